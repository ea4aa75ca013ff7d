//! The pictures to start from: a strip of thumbnails (remove, move earlier or later), what
//! will be done to each before it is sent ("Your 4032×3024 photo will be scaled to 1024×768"),
//! the strength, and the part to change — painted on the picture, loaded from a mask file, or
//! the whole picture.

use super::PromptPanel;
use crate::app::actions::Action;
use crate::app::style::{self, space};
use crate::app::textures::FileThumbs;
use easel_engine::provider::Capabilities;
use easel_engine::request::{ImageFacts, SettingsDraft};
use std::path::{Path, PathBuf};

/// Side of a thumbnail in the strip, in points.
const STRIP_THUMB: f32 = 72.0;

/// What is known of a chosen file: asked for, or what the command layer found.
pub enum FileFacts {
    Asked,
    Known(Result<ImageFacts, String>),
}

impl PromptPanel {
    /// The facts of `path`, asking the command layer for them the first time.
    fn facts_of(&mut self, path: &str, actions: &mut Vec<Action>) -> Option<&Result<ImageFacts, String>> {
        let facts = self.files.entry(path.to_owned()).or_insert_with(|| {
            actions.push(Action::InspectFile(path.into()));
            FileFacts::Asked
        });
        match facts {
            FileFacts::Asked => None,
            FileFacts::Known(result) => Some(result),
        }
    }

    /// A chosen file was read (its size, what it is), or could not be.
    pub fn file_inspected(&mut self, path: &str, result: Result<ImageFacts, String>) {
        self.files.insert(path.to_owned(), FileFacts::Known(result));
    }

    /// Pictures to start from were chosen (picked, dropped, pasted): after those there are when
    /// the model takes several, up to its most; otherwise in place of the one there is.
    /// Returns what to tell the person, when not all could be used.
    pub fn add_start_images(&mut self, draft: &mut SettingsDraft, paths: Vec<PathBuf>, caps: &Capabilities) -> Option<String> {
        let most = caps.max_init_images.max(1) as usize;
        let offered = paths.len();
        let first_before = draft.init_images.first().cloned();
        for path in paths {
            let path = path.display().to_string();
            if most == 1 {
                draft.init_images = vec![path];
            } else if !draft.init_images.contains(&path) {
                draft.init_images.push(path);
            }
        }
        let dropped = draft.init_images.len().saturating_sub(most);
        draft.init_images.truncate(most);
        self.start_images_changed(draft, first_before);
        match (dropped, caps.max_init_images) {
            (_, 0) => Some("This model makes pictures from words only: choose another model to start from a picture.".to_owned()),
            (0, _) => None,
            (n, m) => Some(format!("This model takes at most {m} pictures to start from: {n} of the {offered} chosen were left out.")),
        }
    }

    /// Start from this picture alone ("Edit this picture"); a mask of another picture goes.
    pub fn start_from(&mut self, draft: &mut SettingsDraft, path: &Path) {
        let first_before = draft.init_images.first().cloned();
        draft.init_images = vec![path.display().to_string()];
        self.start_images_changed(draft, first_before);
    }

    /// The first start image changed: the mask (painted on it) no longer applies.
    fn start_images_changed(&mut self, draft: &mut SettingsDraft, first_before: Option<String>) {
        self.note_changed("init_image");
        if draft.init_images.first() != first_before.as_ref() && !draft.mask_image.is_empty() {
            self.remove_mask(draft);
        }
    }

    /// A mask was chosen (a file) or painted (the file written for the painting).
    pub fn mask_chosen(&mut self, draft: &mut SettingsDraft, path: &Path) {
        draft.mask_image = path.display().to_string();
        self.note_changed("mask_image");
    }

    /// Change the whole picture: no mask.
    pub fn remove_mask(&mut self, draft: &mut SettingsDraft) {
        draft.mask_image.clear();
        self.note_changed("mask_image");
    }

    /// Stop using the start images, and so the mask too.
    pub(super) fn clear_init_image(&mut self, draft: &mut SettingsDraft) {
        draft.init_images.clear();
        draft.mask_image.clear();
        for field in ["init_image", "mask_image"] {
            self.note_changed(field);
        }
    }

    /// Under "More settings" while there is no start image: how to start from a picture.
    pub(super) fn start_from_ui(&mut self, ui: &mut egui::Ui, caps: &Capabilities, actions: &mut Vec<Action>) {
        ui.strong("Start from a picture (optional)");
        if !caps.img2img() {
            ui.weak("This model makes pictures from words only; to start from a picture, choose another model.");
            return;
        }
        let pick = ui
            .button("Start from a picture...")
            .on_hover_text("Pick a PNG, JPEG or WebP picture to change. You can also drop one on the window, or paste one with Ctrl+V.");
        if pick.clicked() {
            actions.push(Action::PickInitImage);
        }
        ui.weak("Or drop a picture on the window, paste one with Ctrl+V, or press \"Edit this picture\" on one of yours.");
        self.messages(ui, "init_image");
    }

    /// The start images on the first screen: the strip, what will be done to each, the
    /// strength and the part to change.
    pub(super) fn start_images_ui(
        &mut self,
        ui: &mut egui::Ui,
        draft: &mut SettingsDraft,
        caps: &Capabilities,
        files: &mut FileThumbs,
        actions: &mut Vec<Action>,
    ) {
        let most = caps.max_init_images;
        ui.add_space(space::SECTION);
        ui.horizontal_wrapped(|ui| {
            ui.strong(if draft.init_images.len() > 1 { "Starting from these pictures" } else { "Starting from this picture" });
            if most > 1 {
                ui.weak(format!("{} of at most {most}", draft.init_images.len()));
            }
        });
        self.strip_ui(ui, draft, files, actions);
        ui.horizontal_wrapped(|ui| {
            if most > 1 && draft.init_images.len() < most as usize && ui.button("Add a picture...").clicked() {
                actions.push(Action::PickInitImage);
            }
            let remove = if draft.init_images.len() > 1 { "Remove all" } else { "Remove" };
            if ui.button(remove).on_hover_text("Stop starting from a picture: make one from words.").clicked() {
                self.clear_init_image(draft);
            }
        });
        for (index, path) in draft.init_images.clone().iter().enumerate() {
            let said = match self.facts_of(path, actions) {
                Some(Ok(facts)) => facts.note(caps),
                Some(Err(why)) => Some(why.clone()),
                None => None,
            };
            if let Some(said) = said {
                let text = if draft.init_images.len() > 1 { format!("{}. {said}", index + 1) } else { said };
                ui.add(egui::Label::new(egui::RichText::new(text).weak()).wrap());
            }
        }
        self.messages(ui, "init_image");
        if draft.init_images.is_empty() {
            return;
        }
        ui.add_space(space::FIELD);
        if caps.rules.no_strength {
            super::notes::no_strength_ui(ui);
        } else {
            let mut strength = draft.strength.trim().parse::<f32>().unwrap_or(0.7).clamp(0.0, 1.0);
            let label = ui.label("Strength");
            let slider = ui
                .add(egui::Slider::new(&mut strength, 0.0..=1.0).fixed_decimals(2))
                .labelled_by(label.id)
                .on_hover_text("How much to change the picture: 0 keeps it as it is, 1 makes something new.");
            if slider.changed() {
                draft.strength = format!("{strength:.2}");
            }
            self.after_edit(ui, &slider, "strength");
        }
        self.mask_ui(ui, draft, caps, actions);
    }

    /// The thumbnails, each with "move earlier", "move later" and "remove".
    fn strip_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft, files: &mut FileThumbs, actions: &mut Vec<Action>) {
        let count = draft.init_images.len();
        let mut change = None;
        ui.horizontal_wrapped(|ui| {
            for (index, path) in draft.init_images.iter().enumerate() {
                ui.vertical(|ui| {
                    ui.set_width(STRIP_THUMB);
                    let (rect, response) = ui.allocate_exact_size(egui::vec2(STRIP_THUMB, STRIP_THUMB), egui::Sense::click());
                    crate::app::gallery::paint_thumb_in(ui, rect, files.get(Path::new(path)));
                    let name = super::file_name(Path::new(path));
                    let label = format!("Start picture {}: {name}", index + 1);
                    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &label));
                    let tip = match self.files.get(path) {
                        Some(FileFacts::Known(Ok(f))) => format!("{name}, {}×{}, {}", f.width, f.height, size_text(f.bytes)),
                        _ => name.clone(),
                    };
                    response.on_hover_text(tip);
                    ui.horizontal(|ui| {
                        ui.spacing_mut().item_spacing.x = 2.0;
                        let button = |ui: &mut egui::Ui, text: &str, enabled: bool, name: String| {
                            let response = ui.add_enabled(enabled, egui::Button::new(text).small());
                            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, enabled, &name));
                            response.on_hover_text(name).clicked()
                        };
                        if count > 1 && button(ui, "‹", index > 0, format!("Move picture {} earlier", index + 1)) {
                            change = Some((index, Some(index - 1)));
                        }
                        if count > 1 && button(ui, "›", index + 1 < count, format!("Move picture {} later", index + 1)) {
                            change = Some((index, Some(index + 1)));
                        }
                        if button(ui, "×", true, format!("Remove picture {}", index + 1)) {
                            change = Some((index, None));
                        }
                    });
                });
            }
        });
        if let Some((index, to)) = change {
            let first_before = draft.init_images.first().cloned();
            match to {
                Some(to) => draft.init_images.swap(index, to),
                None => {
                    draft.init_images.remove(index);
                }
            }
            self.start_images_changed(draft, first_before);
            if draft.init_images.is_empty() {
                self.clear_init_image(draft);
            }
            actions.push(Action::StartImagesChanged);
        }
    }

    /// The part to change: painted, from a mask file, or all of it.
    fn mask_ui(&mut self, ui: &mut egui::Ui, draft: &mut SettingsDraft, caps: &Capabilities, actions: &mut Vec<Action>) {
        ui.add_space(space::FIELD);
        if !caps.inpaint {
            if !draft.mask_image.is_empty() {
                style::warn_label(ui, "This model cannot change only part of a picture.");
                if ui.button("Change the whole picture").clicked() {
                    self.remove_mask(draft);
                }
            }
            self.messages(ui, "mask_image");
            return;
        }
        let mask = Path::new(draft.mask_image.trim());
        if draft.mask_image.trim().is_empty() {
            ui.label("The whole picture changes.");
        } else if mask.parent().and_then(Path::file_name).is_some_and(|d| d == easel_engine::store::MASKS_DIR) {
            ui.label("Only the painted part changes.");
        } else {
            ui.label(format!("Only the part marked in {} changes.", super::file_name(mask)));
        }
        ui.horizontal_wrapped(|ui| {
            let paint = ui
                .button(if draft.mask_image.is_empty() { "Paint the part to change" } else { "Paint" })
                .on_hover_text("Paint over the part of the picture to change, on the picture itself; the rest stays as it is.");
            if paint.clicked() {
                actions.push(Action::PaintMask);
            }
            if draft.mask_image.is_empty() {
                let load = ui
                    .button("Load a mask file...")
                    .on_hover_text("A black-and-white picture of the same shape: white parts change, black parts stay as they are.");
                if load.clicked() {
                    actions.push(Action::PickMask);
                }
            } else if ui.button("Change the whole picture").on_hover_text("Stop using the painted part.").clicked() {
                self.remove_mask(draft);
                actions.push(Action::MaskRemoved);
            }
        });
        self.messages(ui, "mask_image");
    }
}

/// "1.2 MB", "340 KB".
fn size_text(bytes: u64) -> String {
    if bytes >= 1_000_000 { format!("{:.1} MB", bytes as f64 / 1e6) } else { format!("{} KB", bytes.div_ceil(1000)) }
}

/// The name of a file, for saying which one was chosen. A copy Easel keeps in its library's
/// `inputs/<hash>/` folder is named after the original; a picture of the library itself
/// (named by its content) is called what it is.
pub fn file_name(path: &Path) -> String {
    let from_library = path.file_stem().is_some_and(|s| s.len() == 64 && s.to_string_lossy().bytes().all(|b| b.is_ascii_hexdigit()));
    if from_library {
        return "a picture from your library".to_owned();
    }
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}
