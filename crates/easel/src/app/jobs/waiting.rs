//! Jobs of an earlier run that wait for their service's key: "2 jobs on OpenAI wait for their
//! key", with the fix one click away (open the key window, switching to that service first
//! when it is not the one in use). Once the key is there, resume picks them up again.

use super::Jobs;
use crate::app::actions::Action;
use crate::app::style::{self, space};
use crate::app::words::count;
use easel_engine::ServiceInfo;
use easel_engine::provider::ProviderKind;

/// A service whose unfinished jobs wait for its key.
#[derive(Clone, Debug, PartialEq)]
pub struct WaitingService {
    pub service: ServiceInfo,
    /// Its jobs waiting.
    pub jobs: usize,
}

impl Jobs {
    /// The services whose jobs wait for a key, each with its button; nothing when none wait.
    /// `current` is the service new jobs go to.
    pub fn waiting_ui(&self, ui: &mut egui::Ui, current: &ServiceInfo, actions: &mut Vec<Action>) {
        for waiting in &self.waiting {
            ui.horizontal_wrapped(|ui| {
                let jobs = count(waiting.jobs, "job");
                let verb = if waiting.jobs == 1 { "waits" } else { "wait" };
                style::warn_label(ui, format!("{jobs} from last time on {} {verb} for the key of that service.", waiting.service.label));
                let here = waiting.service.provider == current.provider && waiting.service.base_url == current.base_url;
                let button = ui
                    .button(format!("Add the key for {}", waiting.service.label))
                    .on_hover_text("Paste the key of that service: its jobs are then picked up where they were. Nothing is sent again.");
                if button.clicked() {
                    match ProviderKind::parse(&waiting.service.provider).filter(|_| !here) {
                        Some(kind) => {
                            let base_url =
                                easel_engine::ServiceSpec::at(kind, Some(waiting.service.base_url.clone())).normalized().base_url;
                            actions.push(Action::AddKeyFor { kind, base_url });
                        }
                        None => actions.push(Action::OpenKeyPanel),
                    }
                }
            });
        }
        if !self.waiting.is_empty() {
            ui.add_space(space::FIELD);
        }
    }
}
