//! The estimate before Generate: what each job should cost, from the published price table,
//! else from what the same model cost the last time its balance was measured; unknown
//! otherwise. It also warns when the batch could cost more than the balance last seen.

use super::money_text;
use crate::keys::ApiKey;
use crate::provider::{Balance, ProviderKind};
use crate::request::ValidRequest;
use crate::service::Service;
use serde::Serialize;

/// What a press of Generate should cost.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Estimate {
    /// One per job (candidate), in the order they would be sent.
    pub jobs: Vec<JobEstimate>,
    /// The jobs whose cost is known, added up, lowest to highest: `None` when none is known
    /// or they are in different currencies.
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub currency: Option<String>,
    /// Jobs whose cost cannot be known before they are sent.
    pub unknown: usize,
    /// The batch could cost more than the balance last seen: what to tell the person.
    pub warning: Option<String>,
}

/// What one job should cost.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JobEstimate {
    /// The service, in a person's words.
    pub service: String,
    pub model: String,
    pub images: u32,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub currency: Option<String>,
    pub basis: EstimateBasis,
}

/// What an estimate rests on.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EstimateBasis {
    /// The published price table.
    PriceTable { published: String, source: String },
    /// What one picture of this model on this service cost when its balance was last measured.
    LastMeasured { at: String },
    /// A server of your own: nothing is charged.
    SelfHosted,
    /// No price is known.
    Unknown,
}

impl Estimate {
    /// Estimate the jobs of each `(service, request, key)`. `measured` gives what one picture of
    /// a model on a service cost when last measured ([`crate::store::Store::last_measured_cost`]);
    /// `balance` the balance last seen for a service and key.
    pub(crate) fn of(
        targets: &[(&Service, &ValidRequest, Option<&ApiKey>)],
        measured: impl Fn(&Service, &str) -> Option<(f64, String, String)>,
        balance: impl Fn(&Service, Option<&ApiKey>) -> Option<Balance>,
    ) -> Self {
        let mut out = Estimate::default();
        let mut currencies: Vec<String> = Vec::new();
        for (service, request, key) in targets {
            let prices = &service.inner.config.prices;
            let mut service_high = 0.0;
            let mut service_currency = None;
            for settings in &request.candidates {
                let images = settings.samples.max(1);
                let (low, high, currency, basis) = if service.kind() == ProviderKind::A1111 {
                    (Some(0.0), Some(0.0), None, EstimateBasis::SelfHosted)
                } else if let Some(price) = prices.find(service.kind(), &settings.model)
                    && let Some((low, high)) = price.estimate(images, settings.width, settings.height, settings.option("quality"))
                {
                    let basis = EstimateBasis::PriceTable { published: price.published.clone(), source: price.source.clone() };
                    (Some(low), Some(high), Some(price.currency.clone()), basis)
                } else if let Some((each, currency, at)) = measured(service, &settings.model) {
                    let all = each * f64::from(images);
                    (Some(all), Some(all), Some(currency), EstimateBasis::LastMeasured { at })
                } else {
                    (None, None, None, EstimateBasis::Unknown)
                };
                match (low, high) {
                    (Some(l), Some(h)) => {
                        out.low = Some(out.low.unwrap_or(0.0) + l);
                        out.high = Some(out.high.unwrap_or(0.0) + h);
                        service_high += h;
                    }
                    _ => out.unknown += 1,
                }
                if let Some(c) = &currency {
                    service_currency = Some(c.clone());
                    if !currencies.contains(c) {
                        currencies.push(c.clone());
                    }
                }
                out.jobs.push(JobEstimate { service: service.label(), model: settings.model.clone(), images, low, high, currency, basis });
            }
            if let (Some(currency), Some(left)) = (service_currency, balance(service, *key))
                && left.currency == currency
                && service_high > left.amount
            {
                out.warning = Some(format!(
                    "This could cost up to {}, more than the {} left on your {} balance.",
                    money_text(service_high, Some(&currency)),
                    money_text(left.amount, Some(&left.currency)),
                    service.label()
                ));
            }
        }
        match currencies.len() {
            0 => {}
            1 => out.currency = currencies.pop(),
            _ => (out.low, out.high) = (None, None),
        }
        out
    }
}
