//! The large viewer: one picture to fit, zoom and pan, with what to do with it (edit, vary,
//! enlarge, keep) and its full settings beside it, including what it was made from.
//!
//! Big pictures stay smooth: the picture is decoded off the UI thread and drawn from a fit
//! texture and, zoomed in, from tiles (see [`Pictures`]); its gallery thumbnail stands in
//! while it decodes.

use super::actions::Action;
use super::gallery::image_label;
use super::picture::{Pictures, Shown, View};
use super::style::space;
use super::textures::{FileThumbs, Thumb, Thumbnails};
use easel_engine::capabilities::Upscaler;
use easel_engine::request::{GenerationSettings, InitImageRef};
use easel_engine::store::ImageRecord;
use std::path::PathBuf;

/// What a picture was made from, read from the library.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    /// Enlarged this many times (its start image is the picture enlarged).
    pub upscaled: Option<u32>,
    /// The start images, first first: each a file, and the library's image when it is one.
    pub starts: Vec<(PathBuf, Option<ImageRecord>)>,
    /// The mask, when only part was changed.
    pub mask: Option<PathBuf>,
    pub strength: f32,
}

/// What the command layer reports to the viewer.
pub enum ViewerMessage {
    /// What `image` was made from (`None`: from words only).
    Origin { image: i64, result: Result<Option<Origin>, String> },
}

/// What else the viewer needs to draw.
pub struct ViewerContext<'a> {
    pub starred: bool,
    pub saving_busy: bool,
    /// How the service enlarges pictures, if it does.
    pub upscaler: Option<Upscaler>,
    pub pictures: &'a mut Pictures,
    pub thumbs: &'a mut Thumbnails,
    pub files: &'a mut FileThumbs,
}

/// The open viewer. Its picture is let go when the viewer closes.
pub struct Viewer {
    record: ImageRecord,
    view: View,
    origin: Option<Result<Option<Origin>, String>>,
}

impl Viewer {
    /// Open `record`; its pixels come when they are decoded, what it was made from when read.
    pub fn open(record: &ImageRecord) -> Self {
        Self { record: record.clone(), view: View::default(), origin: None }
    }

    /// The image shown.
    pub fn image(&self) -> i64 {
        self.record.id
    }

    pub fn record(&self) -> &ImageRecord {
        &self.record
    }

    pub fn on_message(&mut self, message: ViewerMessage) {
        match message {
            ViewerMessage::Origin { image, result } if image == self.record.id => self.origin = Some(result),
            ViewerMessage::Origin { .. } => {}
        }
    }

    /// Draw the toolbar, the details and the picture.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: ViewerContext<'_>, actions: &mut Vec<Action>) {
        self.toolbar_ui(ui, &cx, actions);
        ui.separator();
        let (thumbs, files) = (cx.thumbs, cx.files);
        egui::Panel::right("easel-viewer-details")
            .resizable(true)
            .default_size(300.0)
            .show(ui, |ui| details_ui(ui, &self.record, self.origin.as_ref(), thumbs, files, actions));
        let (rect, response) = ui.allocate_exact_size(ui.available_size(), egui::Sense::click_and_drag());
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, image_label(&self.record)));
        let path = self.record.path.clone();
        let size = match cx.pictures.shown(&path) {
            Shown::Ready([w, h]) => egui::vec2(w as f32, h as f32),
            Shown::Loading | Shown::Failed(_) => egui::vec2(self.record.width.max(1) as f32, self.record.height.max(1) as f32),
        };
        self.view.handle(ui, &response, rect, true);
        let image_rect = self.view.image_rect(rect, size);
        let placeholder = match thumbs.get(&self.record) {
            Thumb::Ready(texture) => Some(texture.clone()),
            _ => None,
        };
        cx.pictures.paint(ui, &path, rect, image_rect, placeholder.as_ref());
    }

    fn toolbar_ui(&mut self, ui: &mut egui::Ui, cx: &ViewerContext<'_>, actions: &mut Vec<Action>) {
        let id = self.record.id;
        ui.horizontal_wrapped(|ui| {
            if ui.button("« Gallery").on_hover_text("Back to all images (Esc)").clicked() {
                actions.push(Action::CloseViewer);
            }
            if ui.button("‹ Previous").on_hover_text("Left arrow").clicked() {
                actions.push(Action::StepImage(-1));
            }
            if ui.button("Next ›").on_hover_text("Right arrow").clicked() {
                actions.push(Action::StepImage(1));
            }
            ui.separator();
            self.view.buttons_ui(ui);
            ui.separator();
            let edit = ui.button("Edit this picture").on_hover_text(
                "Start from this picture: paint the part to change (or change it all), say what it should become, and press Generate.",
            );
            if edit.clicked() {
                actions.push(Action::EditImage(id));
            }
            if ui.button("Vary").on_hover_text("A variation: the same prompt, starting from this picture at a low strength.").clicked() {
                actions.push(Action::Vary(id));
            }
            upscale_menu(ui, &self.record, cx.upscaler.as_ref(), actions);
            ui.separator();
            if ui.selectable_label(cx.starred, "Star").on_hover_text("Mark this image as a keeper").clicked() {
                actions.push(Action::ToggleStar(id));
            }
            if ui.button("Use these settings again").clicked() {
                actions.push(Action::ReuseSettings(id));
            }
            if ui.button("Copy image").clicked() {
                actions.push(Action::CopyImage(id));
            }
            if ui.add_enabled(!cx.saving_busy, egui::Button::new("Save as…")).clicked() {
                actions.push(Action::SaveImageAs(id));
            }
            let trash = ui
                .button("Move to trash")
                .on_hover_text("Take this image out of the gallery. Its file is kept until the trash is emptied; you can undo.");
            if trash.clicked() {
                actions.push(Action::TrashImage(id));
            }
        });
    }
}

/// "Upscale": each factor the service has, with why one cannot be used.
pub fn upscale_menu(ui: &mut egui::Ui, record: &ImageRecord, upscaler: Option<&Upscaler>, actions: &mut Vec<Action>) {
    let Some(upscaler) = upscaler else {
        ui.add_enabled(false, egui::Button::new("Upscale"))
            .on_disabled_hover_text("This service cannot enlarge pictures. ModelsLab and AUTOMATIC1111 can.");
        return;
    };
    ui.menu_button("Upscale", |ui| {
        for &factor in upscaler.factors {
            let source =
                InitImageRef { path: record.path.clone(), sha256: record.sha256.clone(), width: record.width, height: record.height };
            let checked = GenerationSettings::upscale_of(source, &record.prompt, factor, upscaler);
            let text = format!("{factor}× larger ({}×{})", record.width * factor, record.height * factor);
            let item = ui.add_enabled(checked.is_ok(), egui::Button::new(text));
            let item = match &checked {
                Ok(_) => item.on_hover_text(format!("With {}. The result is a new picture in the gallery.", upscaler.service)),
                Err(why) => item.on_disabled_hover_text(why.message.clone()),
            };
            if item.clicked() {
                actions.push(Action::Upscale { image: record.id, factor });
                ui.close();
            }
        }
    });
}

/// The image's full settings, selectable for copying, and what it was made from.
fn details_ui(
    ui: &mut egui::Ui,
    record: &ImageRecord,
    origin: Option<&Result<Option<Origin>, String>>,
    thumbs: &mut Thumbnails,
    files: &mut FileThumbs,
    actions: &mut Vec<Action>,
) {
    egui::ScrollArea::vertical().id_salt("easel-viewer-details").show(ui, |ui| {
        origin_ui(ui, origin, thumbs, files, actions);
        let seed = record.seed.map_or("random".to_owned(), |s| s.to_string());
        let rows: [(&str, String); 11] = [
            ("Prompt", record.prompt.clone()),
            ("Negative prompt", record.negative_prompt.clone().unwrap_or_else(|| "none".into())),
            ("Model", record.model.clone()),
            ("Size", format!("{} × {}", record.width, record.height)),
            ("Steps", record.steps.to_string()),
            ("Guidance", record.guidance.to_string()),
            ("Seed", seed),
            ("Provider", record.provider.clone()),
            ("Request id", record.request_id.clone().unwrap_or_else(|| "none".into())),
            ("Made", super::when::when(record.created_ms)),
            ("File", record.path.display().to_string()),
        ];
        for (name, value) in rows {
            ui.strong(name);
            ui.add(egui::Label::new(value).selectable(true).wrap());
            ui.add_space(space::FIELD);
        }
        super::costs::picture_facts_ui(ui, record);
        if record.cached {
            ui.weak("Served from your library: the same settings were made before.");
        }
    });
}

/// Side of the thumbnails of what a picture was made from.
const ORIGIN_THUMB: f32 = 96.0;

fn origin_ui(
    ui: &mut egui::Ui,
    origin: Option<&Result<Option<Origin>, String>>,
    thumbs: &mut Thumbnails,
    files: &mut FileThumbs,
    actions: &mut Vec<Action>,
) {
    let origin = match origin {
        None | Some(Ok(None)) => return,
        Some(Err(why)) => {
            ui.weak(format!("What it was made from could not be read ({why})."));
            return;
        }
        Some(Ok(Some(origin))) => origin,
    };
    ui.strong(match origin.upscaled {
        Some(factor) => format!("Enlarged {factor}× from"),
        None if origin.mask.is_some() => format!("Made from (the painted part changed, strength {:.2})", origin.strength),
        None => format!("Made from (strength {:.2})", origin.strength),
    });
    ui.horizontal_wrapped(|ui| {
        for (path, library) in &origin.starts {
            let (rect, response) = ui.allocate_exact_size(egui::vec2(ORIGIN_THUMB, ORIGIN_THUMB), egui::Sense::click());
            let thumb = match library {
                Some(record) => thumbs.get(record),
                None => files.get(path),
            };
            super::gallery::paint_thumb_in(ui, rect, thumb);
            let name = crate::app::prompt::file_name(path);
            let label = match library {
                Some(record) => format!("Made from: {}", image_label(record)),
                None => format!("Made from the file {name}"),
            };
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
            let response = response.on_hover_text(if library.is_some() { "Open this picture" } else { "A file on this computer" });
            if let (true, Some(record)) = (response.clicked(), library) {
                actions.push(Action::OpenRecord(Box::new(record.clone())));
            }
        }
        if let Some(mask) = &origin.mask {
            let (rect, response) = ui.allocate_exact_size(egui::vec2(ORIGIN_THUMB, ORIGIN_THUMB), egui::Sense::hover());
            super::gallery::paint_thumb_in(ui, rect, files.get(mask));
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, "The mask: white parts were changed"));
        }
    });
    ui.add_space(space::PARAGRAPH);
}
