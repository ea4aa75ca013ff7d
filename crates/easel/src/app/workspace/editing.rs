//! Editing pictures, from the workspace's side: any picture becomes a start (edit, drop,
//! paste), the painter writes its mask into the draft, variations and enlargements are sent,
//! two pictures are compared; and what comes back for these.

use super::Workspace;
use crate::app::actions::Action;
use crate::app::compare::Compare;
use crate::app::paint::{PaintMessage, Painter};
use easel_engine::request::{GenerationSettings, InitImageRef, ValidRequest};
use easel_engine::store::ImageRecord;
use std::path::PathBuf;

/// How far a variation moves from its picture: a low strength keeps it recognisable.
pub const VARY_STRENGTH: &str = "0.30";

impl Workspace {
    /// A picture by id: from the gallery, or the one the viewer shows (it may not be listed).
    pub(super) fn record(&self, id: i64) -> Option<ImageRecord> {
        self.gallery.get(id).cloned().or_else(|| self.viewer.as_ref().map(|v| v.record()).filter(|r| r.id == id).cloned())
    }

    pub(super) fn apply_editing(&mut self, action: Action) {
        match action {
            Action::EditImage(id) => {
                if let Some(record) = self.record(id) {
                    self.edit(record.path);
                }
            }
            Action::Vary(id) => {
                if let Some(record) = self.record(id) {
                    self.commands.vary(record);
                }
            }
            Action::Upscale { image, factor } => self.upscale(image, factor),
            Action::OpenRecord(record) => self.open_record(&record),
            Action::Compare => match <[ImageRecord; 2]>::try_from(self.gallery.picked()) {
                Ok([left, right]) => {
                    self.viewer = None;
                    self.compare = Some(Compare::open(left, right));
                }
                Err(_) => self.notices.error("Pick two pictures to compare: Ctrl+click them in the gallery."),
            },
            Action::CloseCompare => self.compare = None,
            Action::PaintMask => self.open_painter(),
            Action::ClosePainter => self.painter = None,
            Action::SaveMask(painting) => {
                if let Some(painter) = &self.painter {
                    self.masks_asked += 1;
                    self.commands.save_mask(*painting, self.masks_asked, painter.path().to_path_buf());
                }
            }
            // The painting is taken back too: painting again starts afresh.
            Action::MaskRemoved => {
                self.forget_pending_mask();
                if let Some(painter) = &self.painter {
                    self.painter = Some(Painter::open(painter.path().to_path_buf()));
                }
            }
            Action::StartImagesChanged => self.follow_start_images(),
            Action::UseDroppedImages(paths) => self.commands.check_images(paths, false),
            Action::UsePastedImage(image) => self.commands.take_pasted_image(image),
            Action::UsePastedText(text) => self.commands.take_pasted_text(text),
            _ => {}
        }
    }

    /// A painted mask is being written and is not in the draft yet.
    pub(super) fn mask_being_saved(&self) -> bool {
        self.masks_asked != self.mask_saved
    }

    /// A mask being written no longer applies (removed, or the picture changed).
    fn forget_pending_mask(&mut self) {
        self.mask_saved = self.masks_asked;
        self.generate_after_mask = false;
    }

    /// "Edit this picture": start from it alone, open the painter on it, and let the person
    /// type the change.
    fn edit(&mut self, path: PathBuf) {
        self.forget_pending_mask();
        self.prompt.start_from(&mut self.state.draft, &path);
        self.prompt.focus_prompt();
        self.compare = None;
        self.painter = Some(Painter::open(path));
        if !self.caps().img2img() {
            self.notices.error("This model makes pictures from words only: choose one that can start from a picture, under \"Model\".");
        }
    }

    /// Paint on the first start image, starting from the mask in use (if any).
    fn open_painter(&mut self) {
        let Some(first) = self.state.draft.init_images.first().map(PathBuf::from) else { return };
        self.painter = Some(Painter::open(first));
        let mask = self.state.draft.mask_image.trim();
        if !mask.is_empty() {
            self.commands.load_mask(PathBuf::from(mask));
        }
    }

    /// The painter paints on the first start image: when that changes, it closes.
    fn follow_start_images(&mut self) {
        let first = self.state.draft.init_images.first().map(PathBuf::from);
        if self.painter.as_ref().is_some_and(|p| Some(p.path()) != first.as_deref()) {
            self.painter = None;
        }
    }

    fn caps(&self) -> easel_engine::provider::Capabilities {
        self.commands.service().provider().capabilities(self.state.draft.model.trim())
    }

    /// Enlarge a picture: checked against the service's upscaler first (nothing is sent when
    /// it cannot), then sent as a job whose result is a new picture linked to this one.
    fn upscale(&mut self, image: i64, factor: u32) {
        let Some(record) = self.record(image) else { return };
        let Some(upscaler) = self.commands.service().provider().upscaler() else {
            self.notices.error("This service cannot enlarge pictures. ModelsLab and AUTOMATIC1111 can. Nothing was sent.");
            return;
        };
        let source = InitImageRef { path: record.path.clone(), sha256: record.sha256.clone(), width: record.width, height: record.height };
        match GenerationSettings::upscale_of(source, &record.prompt, factor, &upscaler) {
            Ok(settings) if self.ready_to_send() => {
                self.notices.info(format!("Enlarging the picture {factor}×: the larger one appears in the gallery when it is ready."));
                self.submit(ValidRequest { candidates: vec![settings] });
                self.viewer = None;
            }
            Ok(_) => {}
            Err(why) => self.notices.error(format!("{} {}", why.message, why.hint)),
        }
    }

    /// Pictures picked, dropped or pasted were checked: start from them (or, for `mask`, use
    /// the first as the mask), and say what could not be used.
    pub(super) fn on_checked(&mut self, paths: Vec<PathBuf>, mask: bool, problems: Vec<String>) {
        if !problems.is_empty() {
            self.notices.error(problems.join(" "));
        }
        if mask {
            if let Some(path) = paths.into_iter().next() {
                self.prompt.mask_chosen(&mut self.state.draft, &path);
                if self.painter.is_some() {
                    self.commands.load_mask(path);
                }
            }
            return;
        }
        if paths.is_empty() {
            return;
        }
        let caps = self.caps();
        if let Some(said) = self.prompt.add_start_images(&mut self.state.draft, paths, &caps) {
            self.notices.info(said);
        }
        self.follow_start_images();
    }

    /// "Use these settings again", or a variation of the picture at `vary`: the same prompt
    /// and settings with a new seed, starting from the picture at a low strength, sent at once.
    pub(super) fn on_reuse(&mut self, settings: &GenerationSettings, vary: Option<PathBuf>) {
        self.prompt.reuse(&mut self.state.draft, settings);
        self.follow_start_images();
        let Some(path) = vary else {
            self.notices.info("The prompt panel now holds this image's settings.");
            return;
        };
        self.prompt.start_from(&mut self.state.draft, &path);
        self.state.draft.strength = VARY_STRENGTH.to_owned();
        // A new seed, so that it varies.
        self.state.draft.seed.clear();
        // The variation shows in the gallery as it arrives.
        (self.painter, self.viewer) = (None, None);
        self.notices.info(format!("Making a variation: the same prompt, starting from this picture at strength {VARY_STRENGTH}."));
        self.generate();
    }

    pub(super) fn on_paint_message(&mut self, message: PaintMessage) {
        match message {
            // Only the latest mask asked for counts: an older one arriving late is not used.
            PaintMessage::Saved { revision, on, result } if revision == self.masks_asked && self.mask_being_saved() => {
                self.mask_saved = revision;
                let generate = std::mem::take(&mut self.generate_after_mask);
                let still_first = self.state.draft.init_images.first().map(PathBuf::from) == Some(on);
                match result {
                    // The picture it was painted on is no longer the first start image: not used.
                    Ok(_) if !still_first => {}
                    Ok(path) => {
                        self.prompt.mask_chosen(&mut self.state.draft, &path);
                        if generate {
                            self.generate();
                        }
                    }
                    Err(why) => self.notices.error(format!("The painted part could not be kept: {why} Nothing was sent.")),
                }
            }
            PaintMessage::Saved { .. } => {}
            PaintMessage::Loaded { path, result } => {
                if let Some(painter) = &mut self.painter
                    && self.state.draft.mask_image.trim() == path.display().to_string()
                {
                    painter.load_mask(result, &self.pictures);
                }
            }
        }
    }
}
