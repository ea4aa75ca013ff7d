//! Try one prompt on several models at once (2 to 4, on one service or several): the models
//! are picked in a small window, the engine sends them as one group, and the results are shown
//! side by side, each with its model, time and cost, to pick the winner.
//!
//! - this file: the window where the models are picked;
//! - `view`: the group side by side.

mod view;

pub use view::{GroupMessage, GroupView};

use crate::app::actions::Action;
use crate::app::style::{self, space};
use easel_engine::ServiceSpec;
use easel_engine::provider::ModelInfo;

/// Fewest and most models one try sends to.
pub const MIN_MODELS: usize = 2;
pub const MAX_MODELS: usize = 4;

/// A service the person may send to, with the models it names.
#[derive(Clone)]
pub struct ServiceChoice {
    pub label: String,
    pub spec: ServiceSpec,
    pub models: &'static [ModelInfo],
    pub default_model: &'static str,
}

/// One model to try: which service, and its id there.
#[derive(Clone, Debug, PartialEq)]
struct Pick {
    service: usize,
    model: String,
}

/// The "Try on several models" window.
#[derive(Default)]
pub struct SeveralModels {
    pub open: bool,
    /// The services offered: the one in use first, then each provider's usual server.
    choices: Vec<ServiceChoice>,
    picks: Vec<Pick>,
}

impl SeveralModels {
    /// Open the window with `choices` (the service in use first); `model` is the one in the
    /// draft, and the next model of that service is offered beside it.
    pub fn open(&mut self, choices: Vec<ServiceChoice>, model: &str) {
        self.open = true;
        let keep = self.picks.len() >= MIN_MODELS && self.choices.first().map(|c| &c.spec) == choices.first().map(|c| &c.spec);
        self.choices = choices;
        if keep {
            return;
        }
        self.picks = vec![Pick { service: 0, model: model.trim().to_owned() }];
        if let Some(first) = self.choices.first() {
            let other = first.models.iter().find(|m| m.id != model.trim()).map_or(first.default_model, |m| m.id);
            self.picks.push(Pick { service: 0, model: other.to_owned() });
        }
    }

    /// The models picked, each with its service.
    fn targets(&self) -> Vec<(ServiceSpec, String)> {
        self.picks
            .iter()
            .filter(|p| !p.model.trim().is_empty())
            .filter_map(|p| Some((self.choices.get(p.service)?.spec.clone(), p.model.trim().to_owned())))
            .collect()
    }

    pub fn ui(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        if !self.open {
            return;
        }
        let mut open = true;
        egui::Window::new("Try on several models").open(&mut open).default_width(460.0).vscroll(true).show(ctx, |ui| {
            ui.add(
                egui::Label::new(
                    "Your prompt and settings go to each of these models at once. The pictures appear side by side, each with its model, time and cost, so you can pick the one you like. Each one is paid for.",
                )
                .wrap(),
            );
            ui.add_space(space::PARAGRAPH);
            let mut remove = None;
            let count = self.picks.len();
            for (index, pick) in self.picks.iter_mut().enumerate() {
                ui.push_id(index, |ui| {
                    if pick_ui(ui, index, pick, &self.choices, count > MIN_MODELS) {
                        remove = Some(index);
                    }
                });
                ui.add_space(space::FIELD);
            }
            if let Some(index) = remove {
                self.picks.remove(index);
            }
            ui.horizontal_wrapped(|ui| {
                let add = ui.add_enabled(self.picks.len() < MAX_MODELS, egui::Button::new("Add a model"));
                if add.on_disabled_hover_text(format!("At most {MAX_MODELS} models at once.")).clicked() {
                    let service = self.picks.last().map_or(0, |p| p.service);
                    let model = self.choices.get(service).map_or("", |c| c.default_model).to_owned();
                    self.picks.push(Pick { service, model });
                }
            });
            ui.add_space(space::PARAGRAPH);
            let targets = self.targets();
            let ready = targets.len() >= MIN_MODELS;
            let send = ui
                .add_enabled(ready, egui::Button::new(style::main_button_text("Make them all")))
                .on_hover_text("Send the prompt to every model above at once.")
                .on_disabled_hover_text(format!("Pick at least {MIN_MODELS} models."));
            if send.clicked() {
                actions.push(Action::TryModels(targets));
            }
        });
        self.open &= open;
    }

    /// The group was sent: the window closes (the picks are kept for next time).
    pub fn sent(&mut self) {
        self.open = false;
    }
}

/// One row: the service, the model (by its plain name, or any id typed), and Remove. Returns
/// true when Remove was pressed.
fn pick_ui(ui: &mut egui::Ui, index: usize, pick: &mut Pick, choices: &[ServiceChoice], removable: bool) -> bool {
    let mut removed = false;
    ui.strong(format!("Model {}", index + 1));
    ui.horizontal_wrapped(|ui| {
        let service_label = ui.label("Service");
        let current = choices.get(pick.service).map_or("", |c| c.label.as_str()).to_owned();
        egui::ComboBox::from_id_salt("easel-try-service")
            .selected_text(current)
            .show_ui(ui, |ui| {
                for (at, choice) in choices.iter().enumerate() {
                    if ui.selectable_label(pick.service == at, &choice.label).clicked() && pick.service != at {
                        pick.service = at;
                        choice.default_model.clone_into(&mut pick.model);
                    }
                }
            })
            .response
            .labelled_by(service_label.id);
        let Some(choice) = choices.get(pick.service) else { return };
        let model_label = ui.label("Model");
        let shown = choice.models.iter().find(|m| m.id == pick.model).map_or(pick.model.clone(), |m| m.label.to_owned());
        egui::ComboBox::from_id_salt("easel-try-model")
            .selected_text(shown)
            .show_ui(ui, |ui| {
                for model in choice.models {
                    ui.selectable_value(&mut pick.model, model.id.to_owned(), model.label).on_hover_text(model.description);
                }
            })
            .response
            .labelled_by(model_label.id);
        if removable && ui.button("Remove").on_hover_text("Do not try this model.").clicked() {
            removed = true;
        }
    });
    let typed = ui.label(format!("Model {} id (any model the service has)", index + 1));
    ui.add(egui::TextEdit::singleline(&mut pick.model).desired_width(f32::INFINITY)).labelled_by(typed.id);
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use easel_engine::provider::ProviderKind;

    fn choice(kind: ProviderKind, models: &'static [ModelInfo]) -> ServiceChoice {
        ServiceChoice {
            label: kind.label().into(),
            spec: ServiceSpec::new(kind),
            models,
            default_model: models.first().map_or("", |m| m.id),
        }
    }

    #[test]
    fn the_window_starts_with_the_drafts_model_and_another_one() {
        let provider = ProviderKind::ModelsLab.build(None, &Default::default()).unwrap();
        let models = provider.known_models();
        let mut several = SeveralModels::default();
        several.open(vec![choice(ProviderKind::ModelsLab, models)], models[1].id);
        let targets = several.targets();
        assert_eq!(targets.len(), 2);
        assert_eq!(targets[0].1, models[1].id);
        assert_ne!(targets[1].1, targets[0].1, "another model beside it");
        several.picks[1].model = "  ".into();
        assert_eq!(several.targets().len(), 1, "an empty model is not sent");
    }
}
