//! What pictures cost, in the window: the estimate under Generate (asked of the engine off the
//! UI thread whenever what would be sent changes), what was spent today in the status bar, and
//! each picture's own cost where it is shown. Where a cost is not known the window says so: no
//! number is invented.

use crate::app::style;
use crate::app::words::count;
use easel_engine::cost::{CostSource, CostTotals, Estimate, EstimateBasis, ImageCost, money_text};
use easel_engine::store::ImageRecord;

/// What the command layer found out about costs (errors are plain sentences).
pub enum CostsMessage {
    /// What was spent today and this month.
    Totals(Result<(CostTotals, CostTotals), String>),
    /// The estimate for what would be sent, described by `asked` (see [`Costs::wants_estimate`]).
    Estimate { asked: String, estimate: Estimate },
}

/// The window's cost figures.
#[derive(Default)]
pub struct Costs {
    today: Option<CostTotals>,
    month: Option<CostTotals>,
    /// The estimate for `asked`, once it came back.
    estimate: Option<Estimate>,
    /// What the last estimate was asked for: the service, models, sizes and counts.
    asked: Option<String>,
}

impl Costs {
    /// Whether an estimate for `what` (the service, models, sizes and counts that would be sent)
    /// should be asked for: only when it changed, so typing the prompt asks nothing.
    pub fn wants_estimate(&mut self, what: String) -> bool {
        if self.asked.as_ref() == Some(&what) {
            return false;
        }
        self.asked = Some(what);
        self.estimate = None;
        true
    }

    /// Ask again next time (a job ended: the balance and what a model costs may have changed).
    pub fn estimate_again(&mut self) {
        self.asked = None;
    }

    /// Nothing valid would be sent: no estimate is shown.
    pub fn no_estimate(&mut self) {
        self.asked = None;
        self.estimate = None;
    }

    pub fn on_message(&mut self, message: CostsMessage) -> Option<String> {
        match message {
            CostsMessage::Totals(Ok((today, month))) => {
                self.today = Some(today);
                self.month = Some(month);
                None
            }
            CostsMessage::Totals(Err(why)) => Some(format!("What was spent could not be read from the library ({why}).")),
            CostsMessage::Estimate { asked, estimate } => {
                if self.asked.as_ref() == Some(&asked) {
                    self.estimate = Some(estimate);
                }
                None
            }
        }
    }

    /// The line under Generate: what it should cost, and a warning past the balance.
    pub fn estimate_ui(&self, ui: &mut egui::Ui) {
        let Some(estimate) = &self.estimate else { return };
        let Some(text) = estimate_text(estimate) else { return };
        let label = ui.add(egui::Label::new(egui::RichText::new(text).weak()).wrap());
        label.on_hover_text(estimate_basis(estimate));
        if let Some(warning) = &estimate.warning {
            style::warn_label(ui, warning.as_str());
        }
    }

    /// What was spent today, for the status bar, and more about it for its tooltip.
    pub fn today_text(&self) -> Option<(String, String)> {
        let today = self.today.as_ref()?;
        let spent = if today.spent.is_empty() {
            if today.images == 0 { "nothing yet".to_owned() } else { "not known".to_owned() }
        } else {
            spent_text(today)
        };
        let mut more = Vec::new();
        if let Some(month) = &self.month
            && !month.spent.is_empty()
        {
            more.push(format!("This month: {}.", spent_text(month)));
        }
        if today.estimated {
            more.push("Part of it is Easel's estimate from what the service said it used.".to_owned());
        }
        if today.unknown > 0 {
            more.push(format!("{} made today with no known cost (not counted).", count(today.unknown as usize, "picture")));
        }
        Some((format!("Spent today: {spent}"), more.join(" ")))
    }
}

/// "$0.12", "$0.12 + 0.50 EUR".
fn spent_text(totals: &CostTotals) -> String {
    let parts: Vec<String> = totals.spent.iter().map(|m| money_text(m.amount, m.currency.as_deref())).collect();
    parts.join(" + ")
}

/// The estimate in one sentence; `None` when nothing would be sent.
pub fn estimate_text(estimate: &Estimate) -> Option<String> {
    let jobs = estimate.jobs.len();
    if jobs == 0 {
        return None;
    }
    if estimate.jobs.iter().all(|j| j.basis == EstimateBasis::SelfHosted) {
        return Some("Your own server: nothing to pay.".to_owned());
    }
    let currency = estimate.currency.as_deref();
    let known = match (estimate.low, estimate.high) {
        (Some(low), Some(high)) if (high - low).abs() < 1e-9 => Some(format!("about {}", money_text(low, currency))),
        (Some(low), Some(high)) => Some(format!("{} to {}", money_text(low, currency), money_text(high, currency))),
        _ => None,
    };
    let unknown = estimate.unknown;
    Some(match known {
        Some(known) if unknown == 0 => format!("This should cost {known}."),
        Some(known) => format!("This should cost {known}, plus {} whose price Easel does not know.", count(unknown, "job")),
        None if unknown == jobs => "What this costs is not known before it is made.".to_owned(),
        None => "The models are priced in different currencies: each picture's cost shows once it is made.".to_owned(),
    })
}

/// Where the estimate's figures come from, for its tooltip.
fn estimate_basis(estimate: &Estimate) -> String {
    let mut said: Vec<String> = Vec::new();
    for job in &estimate.jobs {
        let line = match &job.basis {
            EstimateBasis::PriceTable { published, source } => format!("{}: the published prices of {published} ({source}).", job.model),
            EstimateBasis::LastMeasured { at } => format!("{}: what one picture cost when last measured ({at}).", job.model),
            EstimateBasis::SelfHosted => format!("{}: your own server, nothing to pay.", job.model),
            EstimateBasis::Unknown => format!("{}: no published price, and Easel has not measured it yet.", job.model),
        };
        if !said.contains(&line) {
            said.push(line);
        }
    }
    said.push("The real cost shows on each picture once it is made.".to_owned());
    said.join("\n")
}

/// A picture's cost in words: "$0.004", "$0.04 (estimate)", "nothing (your own server)",
/// "not known".
pub fn cost_text(cost: Option<&ImageCost>) -> String {
    match cost {
        Some(ImageCost { source: CostSource::SelfHosted, .. }) => "nothing (your own server)".to_owned(),
        Some(cost) if cost.source.is_estimate() => format!("{} (estimate)", money_text(cost.amount, cost.currency.as_deref())),
        Some(cost) => money_text(cost.amount, cost.currency.as_deref()),
        None => "not known".to_owned(),
    }
}

/// What the figure is, for the tooltip next to a cost.
pub fn cost_hover(cost: Option<&ImageCost>) -> &'static str {
    match cost {
        Some(cost) => cost.source.describe(),
        None => "The service has not said what this picture cost, and Easel could not measure it. Easel shows no number it does not know.",
    }
}

/// A picture's cost and what the library check found about its file, for the viewer's details.
pub fn picture_facts_ui(ui: &mut egui::Ui, record: &ImageRecord) {
    ui.strong("Cost");
    ui.label(cost_text(record.cost.as_ref())).on_hover_text(cost_hover(record.cost.as_ref()));
    ui.add_space(style::space::FIELD);
    if let Some(said) = crate::app::library_check::file_words(record) {
        style::warn_label(ui, said);
        ui.add_space(style::space::FIELD);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use easel_engine::cost::{JobEstimate, Money};

    fn job(model: &str, cost: Option<f64>, basis: EstimateBasis) -> JobEstimate {
        let currency = cost.map(|_| "USD".to_owned());
        JobEstimate { service: "ModelsLab".into(), model: model.into(), images: 1, low: cost, high: cost, currency, basis }
    }

    #[test]
    fn an_estimate_says_what_is_known_and_that_the_rest_is_not() {
        let table = EstimateBasis::PriceTable { published: "2026-08-01".into(), source: "pricing page".into() };
        let known = job("flux", Some(0.004), table.clone());
        let mut estimate =
            Estimate { jobs: vec![known.clone()], low: Some(0.004), high: Some(0.004), currency: Some("USD".into()), ..Default::default() };
        assert_eq!(estimate_text(&estimate).unwrap(), "This should cost about $0.004.");
        estimate.jobs.push(job("mystery", None, EstimateBasis::Unknown));
        estimate.unknown = 1;
        assert_eq!(estimate_text(&estimate).unwrap(), "This should cost about $0.004, plus 1 job whose price Easel does not know.");
        assert!(estimate_basis(&estimate).contains("mystery: no published price"));
        let unknown = Estimate { jobs: vec![job("mystery", None, EstimateBasis::Unknown)], unknown: 1, ..Default::default() };
        assert_eq!(estimate_text(&unknown).unwrap(), "What this costs is not known before it is made.", "no number invented");
        let own = Estimate { jobs: vec![job("sdxl", Some(0.0), EstimateBasis::SelfHosted)], ..Default::default() };
        assert_eq!(estimate_text(&own).unwrap(), "Your own server: nothing to pay.");
        assert!(estimate_text(&Estimate::default()).is_none());
    }

    #[test]
    fn todays_total_counts_only_what_is_known() {
        let mut costs = Costs::default();
        assert!(costs.today_text().is_none(), "not read yet");
        let today =
            CostTotals { spent: vec![Money { amount: 0.12, currency: Some("USD".into()) }], estimated: true, images: 4, unknown: 1 };
        costs.on_message(CostsMessage::Totals(Ok((today.clone(), today))));
        let (text, more) = costs.today_text().unwrap();
        assert_eq!(text, "Spent today: $0.12");
        assert!(more.contains("1 picture made today with no known cost") && more.contains("estimate"), "{more}");
        assert_eq!(cost_text(None), "not known");
        let shared = ImageCost { amount: 0.02, currency: Some("USD".into()), source: CostSource::BalanceShared };
        assert_eq!(cost_text(Some(&shared)), "$0.020 (estimate)");
    }

    #[test]
    fn an_estimate_is_asked_again_only_when_what_would_be_sent_changed() {
        let mut costs = Costs::default();
        assert!(costs.wants_estimate("flux 512x512 1".into()));
        assert!(!costs.wants_estimate("flux 512x512 1".into()), "typing the prompt asks nothing");
        costs.on_message(CostsMessage::Estimate { asked: "old".into(), estimate: Estimate::default() });
        assert!(costs.estimate.is_none(), "the answer to an older question is dropped");
        costs.estimate_again();
        assert!(costs.wants_estimate("flux 512x512 1".into()), "after a job ended");
    }
}
