//! What the model's capabilities say beyond its ranges, in plain words where they matter:
//! under the model, that it only changes pictures (or needs two), that Easel does not know an
//! unlisted model's limits, or that the service picks the size; under Steps, that the service
//! caps them; at the start image, that the model decides how much to change it.

use easel_engine::provider::Capabilities;

/// Under the model's line.
pub fn model_notes_ui(ui: &mut egui::Ui, caps: &Capabilities) {
    let rules = &caps.rules;
    let mut notes: Vec<&str> = Vec::new();
    if rules.edits_only && rules.min_init_images >= 2 {
        notes.push("This model combines pictures you give it: add two start pictures under More settings.");
    } else if rules.edits_only {
        notes.push("This model only changes a picture you give it: add a start picture under More settings.");
    } else if rules.min_init_images >= 2 {
        notes.push("To change pictures, this model needs two start pictures.");
    }
    notes.extend(rules.note);
    for note in notes {
        ui.add(egui::Label::new(egui::RichText::new(note).weak()).wrap());
    }
}

/// Under the Steps field.
pub fn steps_note_ui(ui: &mut egui::Ui, caps: &Capabilities) {
    if let Some(capped) = caps.rules.steps_capped {
        ui.add(egui::Label::new(egui::RichText::new(capped).weak()).wrap());
    }
}

/// In place of the strength, for a model that takes none.
pub fn no_strength_ui(ui: &mut egui::Ui) {
    ui.add(egui::Label::new(egui::RichText::new("This model decides by itself how much to change the picture.").weak()).wrap());
}
