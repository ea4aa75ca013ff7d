//! What a job cost, once it ended: from the balance window it was in (services with a
//! balance), from what the service said it used priced by the table (an estimate), nothing for
//! a server of your own; otherwise unknown. Written to the library and sent as an event.

use super::{Collected, Job, in_store};
use crate::EventKind;
use crate::cost::{CostSource, JobCost, Ticket};
use crate::provider::ProviderKind;

impl Job {
    pub(super) async fn settle_cost(&mut self, result: &Collected, ticket: Option<Ticket>) {
        let images = match result {
            Ok(images) | Err((images, _)) => images.len() as u32,
        };
        if let Some(ticket) = ticket {
            // The window's last job writes every member's cost (this one's too).
            ticket.leave(images, &mut self.recorder).await;
            return;
        }
        let cost = if self.service.spec.kind == ProviderKind::A1111 {
            (images > 0).then_some(JobCost { amount: 0.0, currency: None, source: CostSource::SelfHosted, images, usage: None })
        } else if let Some(usage) = self.usage {
            let priced = self.inner.config.prices.find(self.service.spec.kind, &self.settings.model).and_then(|p| {
                let amount = p.price_usage(&usage)?;
                Some(JobCost { amount, currency: Some(p.currency.clone()), source: CostSource::UsageEstimate, images, usage: Some(usage) })
            });
            if priced.is_none() {
                // No published price: keep what it used, so it can be priced later.
                let (store, id) = (self.inner.store.clone(), self.id.clone());
                if let Err(why) = in_store(move || store.set_job_usage(&id, &usage)).await {
                    tracing::warn!("job {}: the library did not keep what it used: {why}", self.id);
                }
            }
            priced
        } else {
            None
        };
        let Some(cost) = cost else { return };
        let (store, id, written) = (self.inner.store.clone(), self.id.clone(), cost.clone());
        if let Err(why) = in_store(move || store.set_job_cost(&id, &written)).await {
            tracing::error!("job {}: the library did not take what it cost: {why}", self.id);
        }
        self.emit(EventKind::Cost(Box::new(cost)));
    }
}
