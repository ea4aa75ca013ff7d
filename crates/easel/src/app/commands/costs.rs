//! What pictures cost: the estimate before Generate and the totals for today and this month,
//! both read off the UI thread (the estimate reads what a model cost when last measured).

use super::Commands;
use crate::app::costs::CostsMessage;
use crate::app::inbox::Message;
use easel_engine::cost::Period;
use easel_engine::keys::ApiKey;
use easel_engine::request::ValidRequest;

impl Commands {
    /// Estimate what `request` would cost on the service in use; `asked` names the question,
    /// so an answer to an older one is dropped.
    pub fn estimate(&self, request: ValidRequest, key: Option<ApiKey>, asked: String) {
        let (engine, service) = (self.engine.clone(), self.service.clone());
        self.bg.blocking(move || {
            let estimate = engine.estimate(&[(&service, &request, key.as_ref())]);
            Message::Costs(CostsMessage::Estimate { asked, estimate })
        });
    }

    /// What was spent today and this month.
    pub fn read_cost_totals(&self) {
        let engine = self.engine.clone();
        self.bg.blocking(move || {
            let store = engine.store();
            let totals = store.cost_totals(Period::Today).and_then(|today| Ok((today, store.cost_totals(Period::ThisMonth)?)));
            Message::Costs(CostsMessage::Totals(totals.map_err(|e| e.to_string())))
        });
    }
}
