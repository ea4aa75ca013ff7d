//! Easel's own file chooser, inside the window: for desktops without a file-chooser portal
//! (many minimal desktops, a fresh Debian without `xdg-desktop-portal`), where the desktop's
//! dialog would silently not appear. Folders to walk through, a file name, and a question
//! before a file is replaced, so saving and opening always work.
//!
//! The chooser only draws: the command layer lists a folder when asked
//! ([`Action::ListFolder`]) and the answer comes back as [`ChooserMessage`].

use super::actions::Action;
use super::saving::SaveBatch;
use super::style::{self, space};
use std::path::{Path, PathBuf};

/// What the chooser was opened for.
pub enum ChooserFor {
    /// Where to save: one picture (to a file) or several (into a folder).
    Save(SaveBatch),
    /// A picture to start from (`mask: false`) or a mask.
    Open { mask: bool },
}

/// One entry of a folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub folder: bool,
}

/// What the command layer found in a folder (the error is a plain sentence).
pub struct ChooserMessage {
    pub folder: PathBuf,
    pub listing: Result<Vec<Entry>, String>,
}

/// The places offered beside the folder: home, pictures, desktop (those that exist).
pub type Places = Vec<(&'static str, PathBuf)>;

/// The open chooser.
pub struct FileChooser {
    purpose: ChooserFor,
    folder: PathBuf,
    entries: Vec<Entry>,
    /// The folder is being read.
    loading: bool,
    error: Option<String>,
    /// The file name typed or picked.
    name: String,
    /// "Replace it?" is being asked for this path.
    replace: Option<PathBuf>,
    places: Places,
    /// The folder as typed in the folder box.
    typed_folder: String,
}

/// What the person decided.
pub enum Chosen {
    /// Still choosing.
    Not,
    Cancelled(ChooserFor),
    Done(ChooserFor, PathBuf),
}

impl FileChooser {
    /// A chooser for `purpose`, showing `folder` (asked for at once).
    pub fn open(purpose: ChooserFor, folder: PathBuf, places: Places, actions: &mut Vec<Action>) -> Self {
        let name = match &purpose {
            ChooserFor::Save(SaveBatch::One(record)) => easel_engine::export::default_file_name(record, record.format.extension()),
            _ => String::new(),
        };
        let mut chooser = Self {
            purpose,
            folder: PathBuf::new(),
            entries: Vec::new(),
            loading: false,
            error: None,
            name,
            replace: None,
            places,
            typed_folder: String::new(),
        };
        chooser.go(folder, actions);
        chooser
    }

    /// The folder shown now (remembered for next time).
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    fn go(&mut self, folder: PathBuf, actions: &mut Vec<Action>) {
        self.loading = true;
        self.error = None;
        self.replace = None;
        actions.push(Action::ListFolder { folder: folder.clone(), folders_only: self.folders_only() });
        self.typed_folder = folder.display().to_string();
        self.folder = folder;
    }

    fn folders_only(&self) -> bool {
        matches!(self.purpose, ChooserFor::Save(SaveBatch::Many(_)))
    }

    /// A folder's listing arrived (ignored when another folder was asked for since).
    pub fn on_listed(&mut self, message: ChooserMessage) {
        if message.folder != self.folder {
            return;
        }
        self.loading = false;
        match message.listing {
            Ok(entries) => self.entries = entries,
            Err(why) => {
                self.entries.clear();
                self.error = Some(why);
            }
        }
    }

    fn title(&self) -> &'static str {
        match &self.purpose {
            ChooserFor::Save(SaveBatch::One(_)) => "Save the picture as",
            ChooserFor::Save(SaveBatch::Many(_)) => "Save the selected pictures into a folder",
            ChooserFor::Open { mask: false } => "Choose a picture to start from",
            ChooserFor::Open { mask: true } => "Choose a mask",
        }
    }

    /// Draw the chooser; returns what was decided.
    pub fn ui(self, ctx: &egui::Context, actions: &mut Vec<Action>) -> (Option<Self>, Chosen) {
        let mut chooser = self;
        let mut decision = Decision::None;
        let modal = egui::Modal::new(egui::Id::unique("easel-file-chooser")).show(ctx, |ui| {
            ui.set_width(ui.ctx().content_rect().width().min(620.0) - 60.0);
            decision = chooser.contents_ui(ui, actions);
        });
        if modal.should_close() && matches!(decision, Decision::None) {
            decision = Decision::Cancel;
        }
        match decision {
            Decision::None => (Some(chooser), Chosen::Not),
            Decision::Cancel => (None, Chosen::Cancelled(chooser.purpose)),
            Decision::Done(path) => (None, Chosen::Done(chooser.purpose, path)),
        }
    }

    fn contents_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) -> Decision {
        ui.heading(self.title());
        ui.label("Easel's own file chooser (this desktop has no file dialog Easel can use).");
        ui.add_space(space::SECTION);
        let mut go = None;
        ui.horizontal(|ui| {
            let label = ui.label("Folder");
            let field =
                ui.add(egui::TextEdit::singleline(&mut self.typed_folder).desired_width(ui.available_width() - 60.0)).labelled_by(label.id);
            let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button("Go").clicked() || entered {
                go = Some(PathBuf::from(self.typed_folder.trim()));
            }
        });
        ui.horizontal_wrapped(|ui| {
            if let Some(parent) = self.folder.parent()
                && ui.button("Up one folder").clicked()
            {
                go = Some(parent.to_path_buf());
            }
            for (name, place) in &self.places {
                if ui.button(*name).on_hover_text(place.display().to_string()).clicked() {
                    go = Some(place.clone());
                }
            }
        });
        let mut picked = None;
        let mut opened = false;
        egui::ScrollArea::vertical()
            .id_salt("easel-chooser-list")
            .max_height(ui.ctx().content_rect().height() * 0.4)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                if self.loading {
                    ui.spinner();
                }
                if let Some(why) = &self.error {
                    style::error_label(ui, why);
                }
                if !self.loading && self.error.is_none() && self.entries.is_empty() {
                    ui.weak(if self.folders_only() { "No folders in here." } else { "Nothing to choose in this folder." });
                }
                for entry in &self.entries {
                    if entry.folder {
                        if ui.button(format!("{}/", entry.name)).on_hover_text("Open this folder").clicked() {
                            go = Some(self.folder.join(&entry.name));
                        }
                    } else {
                        let response = ui.selectable_label(self.name == entry.name, &entry.name);
                        if response.clicked() {
                            picked = Some(entry.name.clone());
                        }
                        if response.double_clicked() {
                            opened = true;
                        }
                    }
                }
            });
        if let Some(name) = picked {
            self.name = name;
            self.replace = None;
        }
        if let Some(folder) = go {
            self.go(folder, actions);
        }
        ui.add_space(space::SECTION);
        self.bottom_ui(ui, opened)
    }

    /// The file name, the question before replacing a file, and the buttons.
    fn bottom_ui(&mut self, ui: &mut egui::Ui, opened: bool) -> Decision {
        let saving_one = matches!(self.purpose, ChooserFor::Save(SaveBatch::One(_)));
        if saving_one {
            let label = ui.label("File name");
            let field = ui.add(egui::TextEdit::singleline(&mut self.name).desired_width(f32::INFINITY)).labelled_by(label.id);
            if field.changed() {
                self.replace = None;
            }
        }
        if let Some(path) = self.replace.clone() {
            style::warn_label(ui, format!("{} is already there. Replace it?", file_name(&path)));
            let mut decision = Decision::None;
            ui.horizontal_wrapped(|ui| {
                if ui.button("Replace it").clicked() {
                    decision = Decision::Done(path.clone());
                }
                if ui.button("Keep it, choose another name").clicked() {
                    self.replace = None;
                }
            });
            return decision;
        }
        let mut decision = Decision::None;
        ui.horizontal_wrapped(|ui| {
            let (text, ready) = match &self.purpose {
                ChooserFor::Save(SaveBatch::One(_)) => ("Save", !self.name.trim().is_empty()),
                ChooserFor::Save(SaveBatch::Many(_)) => ("Save into this folder", !self.loading && self.error.is_none()),
                ChooserFor::Open { .. } => ("Open", !self.name.is_empty()),
            };
            let pressed = ui.add_enabled(ready, egui::Button::new(text)).clicked() || (opened && ready);
            if pressed {
                decision = self.confirm();
            }
            if ui.button("Cancel").clicked() {
                decision = Decision::Cancel;
            }
        });
        decision
    }

    /// The chosen place; saving over a file that is there asks first.
    fn confirm(&mut self) -> Decision {
        match &self.purpose {
            ChooserFor::Save(SaveBatch::Many(_)) => Decision::Done(self.folder.clone()),
            ChooserFor::Open { .. } => Decision::Done(self.folder.join(&self.name)),
            ChooserFor::Save(SaveBatch::One(_)) => {
                let mut name = self.name.trim().to_owned();
                if Path::new(&name).extension().is_none() {
                    name.push_str(".png");
                }
                let path = self.folder.join(&name);
                if self.entries.iter().any(|e| !e.folder && e.name == name) {
                    self.replace = Some(path);
                    Decision::None
                } else {
                    Decision::Done(path)
                }
            }
        }
    }
}

enum Decision {
    None,
    Cancel,
    Done(PathBuf),
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}
