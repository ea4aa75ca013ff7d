//! What pictures cost: the published price table (`prices`), an estimate before sending
//! (`estimate`), and the real cost after a job (`ledger` for services with a balance, the price
//! table for services that report what they used). A cost that cannot be known stays unknown:
//! nothing here invents a number.

mod estimate;
mod ledger;
pub mod prices;

pub use estimate::{Estimate, EstimateBasis, JobEstimate};
pub(crate) use ledger::{Ledger, Ticket};
pub use prices::{ModelPrice, PriceTable};

use crate::provider::TokenUsage;
use serde::{Deserialize, Serialize};

/// Where a cost figure came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostSource {
    /// The account's balance before and after the job, with no other job on that key in
    /// between: what the service charged.
    Balance,
    /// The balance fell across jobs that overlapped on one key: shared out among them by the
    /// pictures each made.
    BalanceShared,
    /// The service's own count of what the job used (OpenAI's tokens), priced with Easel's
    /// price table: an estimate, since the bill is the service's.
    UsageEstimate,
    /// A server of your own (AUTOMATIC1111 / Forge): no service charges for it.
    SelfHosted,
}

impl CostSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Balance => "balance",
            Self::BalanceShared => "balance_shared",
            Self::UsageEstimate => "usage_estimate",
            Self::SelfHosted => "self_hosted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Balance, Self::BalanceShared, Self::UsageEstimate, Self::SelfHosted].into_iter().find(|s| s.as_str() == text)
    }

    /// True when the figure is Easel's reckoning rather than the service's own charge.
    pub fn is_estimate(self) -> bool {
        matches!(self, Self::BalanceShared | Self::UsageEstimate)
    }

    /// What the figure is, in a person's words (for a tooltip next to the cost).
    pub fn describe(self) -> &'static str {
        match self {
            Self::Balance => "What the service charged: your balance before and after this job.",
            Self::BalanceShared => {
                "Shared out: other jobs on the same key ran at the same time, so the fall in your balance was split by pictures."
            }
            Self::UsageEstimate => "An estimate: what the service says it used, priced with Easel's price table.",
            Self::SelfHosted => "Your own server: no service charges for it.",
        }
    }
}

/// An amount of money.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Money {
    pub amount: f64,
    /// `None` only for a self-hosted server's nothing.
    pub currency: Option<String>,
}

/// What one job cost, once known (an [`crate::EventKind::Cost`], and the library's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobCost {
    pub amount: f64,
    pub currency: Option<String>,
    pub source: CostSource,
    /// Pictures it made; each carries `amount / images` (the job carries all of it when it
    /// made none, as when it failed after being charged).
    pub images: u32,
    /// What the service said it used, when it says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<TokenUsage>,
}

impl JobCost {
    /// What each of its pictures cost.
    pub fn per_image(&self) -> Option<f64> {
        (self.images > 0).then(|| self.amount / f64::from(self.images))
    }
}

/// A picture's cost, as the library keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageCost {
    pub amount: f64,
    pub currency: Option<String>,
    pub source: CostSource,
}

/// What was spent over a period (today, this month), for the window's total.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CostTotals {
    /// Per currency, largest first.
    pub spent: Vec<Money>,
    /// Some of it is an estimate ([`CostSource::is_estimate`]).
    pub estimated: bool,
    /// Pictures made in the period.
    pub images: u64,
    /// Of those, pictures whose cost is unknown (not counted in `spent`).
    pub unknown: u64,
}

/// The periods the totals are kept for, in local time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Today,
    ThisMonth,
}

/// A money amount in a person's words: "$0.042", "0.50 EUR".
pub fn money_text(amount: f64, currency: Option<&str>) -> String {
    let digits = if amount != 0.0 && amount.abs() < 0.1 { 3 } else { 2 };
    match currency {
        Some("USD") => format!("${amount:.digits$}"),
        Some(c) => format!("{amount:.digits$} {c}"),
        None => format!("{amount:.digits$}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_round_trip_and_say_which_are_estimates() {
        for s in [CostSource::Balance, CostSource::BalanceShared, CostSource::UsageEstimate, CostSource::SelfHosted] {
            assert_eq!(CostSource::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert!(CostSource::UsageEstimate.is_estimate() && CostSource::BalanceShared.is_estimate());
        assert!(!CostSource::Balance.is_estimate());
        assert_eq!(money_text(0.0423, Some("USD")), "$0.042");
        assert_eq!(money_text(1.5, Some("EUR")), "1.50 EUR");
        let cost = JobCost { amount: 0.3, currency: Some("USD".into()), source: CostSource::Balance, images: 3, usage: None };
        assert!((cost.per_image().unwrap() - 0.1).abs() < 1e-12);
    }
}
