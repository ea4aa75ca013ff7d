//! The first screen's choices: the picture's shape, the model (plain names, one line on each)
//! and how many pictures. The exact size, the model's id and every other setting are under
//! "More settings" (`more`).

use super::PromptPanel;
use crate::app::style;
use easel_engine::capabilities::{Framing, Shape};
use easel_engine::provider::{Capabilities, Provider};
use easel_engine::request::{MAX_CANDIDATES, SettingsDraft};

impl PromptPanel {
    /// Square, portrait or landscape: mapped to a size or ratio the model takes.
    pub(super) fn shape_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft, caps: &Capabilities) {
        let current = if caps.aspect_ratios.is_empty() {
            Shape::of_size(draft.width.trim().parse().unwrap_or(0), draft.height.trim().parse().unwrap_or(0))
        } else {
            Shape::of_ratio(&draft.aspect_ratio)
        };
        let near = (draft.width.trim().parse().unwrap_or(512), draft.height.trim().parse().unwrap_or(512));
        ui.label("Picture shape");
        ui.horizontal_wrapped(|ui| {
            for shape in Shape::ALL {
                let framing = caps.framing(shape, near);
                let button = egui::Button::selectable(current == Some(shape), shape.label());
                let response = ui
                    .add_enabled(framing.is_some(), button)
                    .on_hover_text(shape_hint(shape, framing))
                    .on_disabled_hover_text("This model does not make pictures of this shape.");
                if response.clicked()
                    && let Some(framing) = framing
                {
                    self.frame(draft, framing);
                }
            }
        });
        self.messages(ui, "aspect_ratio");
    }

    /// Put a shape's size or ratio in the draft.
    fn frame(&mut self, draft: &mut SettingsDraft, framing: Framing) {
        match framing {
            Framing::Size { width, height } => {
                draft.width = width.to_string();
                draft.height = height.to_string();
                self.note_changed("width");
                self.note_changed("height");
            }
            Framing::AspectRatio(ratio) => {
                ratio.clone_into(&mut draft.aspect_ratio);
                self.note_changed("aspect_ratio");
            }
        }
    }

    /// The model by its plain name, with one line on what it is good at.
    pub(super) fn model_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft, provider: &dyn Provider) {
        let known = provider.known_models();
        let typed = draft.model.trim().to_owned();
        let chosen = known.iter().find(|m| m.id == typed);
        let selected = match chosen {
            Some(model) => model.label.to_owned(),
            None if typed.is_empty() => crate::app::words::model_name("").to_owned(),
            None => typed.clone(),
        };
        let label = ui.label("Model");
        let mut picked = false;
        egui::ComboBox::from_id_salt("easel-model")
            .selected_text(selected)
            .width(ui.available_width())
            .show_ui(ui, |ui| {
                for model in known {
                    picked |= ui.selectable_value(&mut draft.model, model.id.to_owned(), model.label).changed();
                    ui.add(egui::Label::new(egui::RichText::new(model.description).weak()).wrap());
                    ui.add_space(style::space::FIELD);
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text("The model makes the picture. Models differ in style, speed and price.");
        if picked {
            self.note_changed("model");
        }
        let line = match chosen {
            Some(model) => model.description.to_owned(),
            None => "A model you named under More settings.".to_owned(),
        };
        ui.add(egui::Label::new(egui::RichText::new(line).weak()).wrap());
        self.messages(ui, "model");
    }

    /// How many pictures one press of Generate makes (each its own job, with its own seed).
    pub(super) fn count_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft) {
        let mut count = draft.candidates.trim().parse::<u32>().unwrap_or(1).clamp(1, MAX_CANDIDATES);
        let label = ui.label("How many pictures");
        let slider = ui
            .add(egui::Slider::new(&mut count, 1..=MAX_CANDIDATES).integer())
            .labelled_by(label.id)
            .on_hover_text("Each picture is made separately, so you can pick the one you like. Each one is paid for.");
        if slider.changed() {
            draft.candidates = count.to_string();
            self.note_changed("candidates");
        }
        self.messages(ui, "candidates");
    }
}

/// What a shape button says when hovered: the size or ratio it asks for.
fn shape_hint(shape: Shape, framing: Option<Framing>) -> String {
    match framing {
        Some(Framing::Size { width, height }) => format!("{}: {width} × {height} pixels.", shape.label()),
        Some(Framing::AspectRatio(ratio)) => format!("{}: {ratio}.", shape.label()),
        None => String::new(),
    }
}
