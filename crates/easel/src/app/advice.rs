//! What to do about a failure, in view and one click away: the plain sentence, what to do,
//! and a button that takes the next step (change the key, add credits, wait and retry, allow
//! more time). The job list and the failed-jobs view both draw failures this way.

use super::actions::Action;
use super::style;
use easel_engine::JobId;
use easel_engine::error::{EngineError, ErrorCategory};
use easel_engine::provider::ProviderKind;

/// The next step for a failure, as a button.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fix {
    /// The key was refused: open the key window.
    ChangeKey,
    /// The account cannot pay: open the service's billing page.
    AddCredits(&'static str),
    /// The service asked to slow down: retry this job in a minute.
    WaitAndRetry(JobId),
    /// No answer in time: allow more time for each try.
    AllowMoreTime,
}

impl Fix {
    /// The button that takes the next step for `category`, if there is one.
    pub fn for_failure(category: ErrorCategory, provider: ProviderKind, job: &str) -> Option<Self> {
        match category {
            ErrorCategory::Auth => Some(Self::ChangeKey),
            ErrorCategory::Account => provider.billing_page().map(Self::AddCredits),
            ErrorCategory::RateLimited => Some(Self::WaitAndRetry(job.to_owned())),
            ErrorCategory::Timeout => Some(Self::AllowMoreTime),
            _ => None,
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Self::ChangeKey => "Change key",
            Self::AddCredits(_) => "Add credits",
            Self::WaitAndRetry(_) => "Wait and retry",
            Self::AllowMoreTime => "Allow more time",
        }
    }

    fn hover(&self) -> String {
        match self {
            Self::ChangeKey => "Open the key window to paste another key.".to_owned(),
            Self::AddCredits(page) => format!("Open your account's billing page: {page}"),
            Self::WaitAndRetry(_) => "Send this job again in one minute, when the service has had a rest.".to_owned(),
            Self::AllowMoreTime => "Let Easel wait longer for the service to answer each try (also in Settings).".to_owned(),
        }
    }

    fn action(&self) -> Action {
        match self {
            Self::ChangeKey => Action::OpenKeyPanel,
            Self::AddCredits(page) => Action::OpenLink((*page).to_owned()),
            Self::WaitAndRetry(job) => Action::WaitAndRetry(job.clone()),
            Self::AllowMoreTime => Action::AllowMoreTime,
        }
    }

    /// The button; pressing it pushes its action.
    pub fn button(&self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        if ui.button(self.label()).on_hover_text(self.hover()).clicked() {
            actions.push(self.action());
        }
    }
}

/// Whether sending a failed job again may be charged again: the service may have made it
/// (it took the job, or it failed after or while making it, or the answer never came).
/// Refused requests (a bad key, no credit, too many requests, bad settings) made nothing.
pub fn may_have_been_charged(category: ErrorCategory) -> bool {
    !matches!(category, ErrorCategory::Validation | ErrorCategory::Auth | ErrorCategory::Account | ErrorCategory::RateLimited)
}

/// The failure in view: its sentence, what to do, and (in the row below it) the fix button.
pub fn failure_ui(ui: &mut egui::Ui, error: &EngineError) {
    ui.add(egui::Label::new(egui::RichText::new(error.message.as_str()).color(style::error(ui))).wrap());
    ui.add(egui::Label::new(format!("What to do: {}", error.hint)).wrap());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_that_has_a_next_step_gets_its_button() {
        let fix = |c| Fix::for_failure(c, ProviderKind::ModelsLab, "j-1").map(|f| f.label());
        assert_eq!(fix(ErrorCategory::Auth), Some("Change key"));
        assert_eq!(fix(ErrorCategory::Account), Some("Add credits"));
        assert_eq!(fix(ErrorCategory::RateLimited), Some("Wait and retry"));
        assert_eq!(fix(ErrorCategory::Timeout), Some("Allow more time"));
        assert_eq!(fix(ErrorCategory::Validation), None, "its fields say what to change");
        assert_eq!(Fix::for_failure(ErrorCategory::Account, ProviderKind::A1111, "j"), None, "your own server bills nobody");
        assert!(!may_have_been_charged(ErrorCategory::Auth) && may_have_been_charged(ErrorCategory::Timeout));
    }
}
