//! How the panels are laid out in the window: the status bar and the diagnostics at the
//! bottom, the prompt on the left, the jobs above the gallery or the viewer in the middle, and
//! the floating windows (key, help, history, notices). Drawing only pushes actions.

use super::Workspace;
use crate::app::actions::Action;
use crate::app::file_chooser::{ChooserFor, Chosen};
use crate::app::gallery::Toolbar;
use crate::app::help;
use crate::app::keys::balance_text;
use crate::app::settings::SettingsView;
use crate::app::status::Status;
use crate::app::viewer::ViewerContext;
use easel_engine::provider::openai::AuthStyle;

impl Workspace {
    pub(super) fn shortcuts(&self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        let generate = egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::Enter);
        if ctx.input_mut(|i| i.consume_shortcut(&generate)) {
            actions.push(Action::Generate);
        }
        self.pasted_and_dropped(ctx, actions);
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let escape = ctx.input(|i| i.key_pressed(egui::Key::Escape));
        if self.painter.is_some() {
            if escape {
                actions.push(Action::ClosePainter);
            }
        } else if self.compare.is_some() {
            if escape {
                actions.push(Action::CloseCompare);
            }
        } else if self.viewer.is_some() {
            ctx.input(|i| {
                if i.key_pressed(egui::Key::ArrowLeft) {
                    actions.push(Action::StepImage(-1));
                }
                if i.key_pressed(egui::Key::ArrowRight) {
                    actions.push(Action::StepImage(1));
                }
            });
            if escape {
                actions.push(Action::CloseViewer);
            }
        } else if self.more.group.is_some() && !ctx.egui_wants_keyboard_input() && escape {
            actions.push(Action::CloseGroup);
        }
    }

    /// Ctrl+V with a picture (or a copied picture file) and files dropped on the window: they
    /// become start images. Text pasted into a text box stays the text box's.
    fn pasted_and_dropped(&self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        let typing = ctx.egui_wants_keyboard_input();
        ctx.input(|i| {
            for event in &i.events {
                match event {
                    egui::Event::PasteImage(image) => actions.push(Action::UsePastedImage(image.clone())),
                    egui::Event::Paste(text) if !typing => actions.push(Action::UsePastedText(text.clone())),
                    _ => {}
                }
            }
            let dropped: Vec<_> =
                i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()).collect();
            if !dropped.is_empty() {
                actions.push(Action::UseDroppedImages(dropped));
            }
        });
    }

    pub(super) fn panels_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        egui::Panel::bottom("easel-status").show(ui, |ui| self.status().ui(ui, actions));
        if self.state.show_diagnostics {
            egui::Panel::bottom("easel-diagnostics")
                .resizable(true)
                .default_size(240.0)
                .show(ui, |ui| self.diagnostics.ui(ui, &mut self.state.errors_only, actions));
        }
        let service = self.commands.service();
        egui::Panel::left("easel-prompt").resizable(true).default_size(340.0).size_range(280.0..=640.0).show(ui, |ui| {
            keep_width(ui, |ui| {
                egui::Panel::bottom("easel-estimate").show_separator_line(false).show(ui, |ui| self.more.estimate_ui(ui, actions));
                let more_open = &mut self.state.more_settings_open;
                self.prompt.ui(ui, &mut self.state.draft, service.provider(), more_open, &mut self.files, actions);
            });
        });
        egui::CentralPanel::default().show(ui, |ui| self.central_ui(ui, actions));
        self.keys.ui(ui.ctx(), actions);
        self.help.ui(ui.ctx(), &help::logs_dir(&self.commands.engine().config().data_dir), self.sandbox_mode, actions);
        self.settings_ui(ui.ctx(), actions);
        self.chooser_ui(ui.ctx(), actions);
        self.more.several.ui(ui.ctx(), actions);
        self.notices.ui(ui.ctx(), actions);
        if let Some(said) = self.history.ui(ui.ctx(), &mut self.state.draft, actions) {
            self.notices.info(said);
        }
    }

    /// Easel's own file chooser; what was chosen goes where the desktop's dialog would have
    /// sent it.
    fn chooser_ui(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        let Some(chooser) = self.chooser.take() else { return };
        let folder = chooser.folder().to_path_buf();
        let (still, chosen) = chooser.ui(ctx, actions);
        self.chooser = still;
        match chosen {
            Chosen::Not => {}
            Chosen::Cancelled(ChooserFor::Save(_)) => self.saving.cancelled(),
            Chosen::Cancelled(ChooserFor::Open { .. }) => {}
            Chosen::Done(purpose, path) => {
                self.state.last_folder = Some(folder);
                actions.push(match purpose {
                    ChooserFor::Save(batch) => Action::SaveTo { batch, path },
                    ChooserFor::Open { mask } => Action::UseChosenImage { path, mask },
                });
            }
        }
    }

    fn settings_ui(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        let service = self.commands.service();
        let view = SettingsView {
            provider: service.kind(),
            base_url: service.provider().base_url().as_str(),
            api_key_header: service.spec().openai_auth == AuthStyle::ApiKeyHeader,
            timeout_minutes: self.state.timeout_minutes,
            embed_parameters: &mut self.state.embed_parameters,
            own_file_chooser: &mut self.state.own_file_chooser,
            sandbox: self.sandbox_mode,
            starting_sandbox: self.welcome.starting_sandbox,
            notify_when_done: &mut self.state.notify_when_done,
            notify_sound: &mut self.state.notify_sound,
            library: &self.more.library,
        };
        self.settings.ui(ctx, view, actions);
    }

    fn status(&self) -> Status {
        let service = self.commands.service();
        Status {
            key: self.keys.status(),
            provider: service.kind().label(),
            server_override: service.spec().base_url.clone(),
            balance: self.keys.balance().map(balance_text),
            spent_today: self.spent_today(),
            in_flight: self.jobs.in_flight(),
            diagnostics_open: self.state.show_diagnostics,
            settings_open: self.settings.open,
            sandbox: self.sandbox_mode,
        }
    }

    /// No key, no image yet: the welcome shows instead of the empty gallery.
    fn shows_welcome(&self) -> bool {
        !self.sandbox_mode
            && !self.keys.looking()
            && self.keys.active().is_none()
            && self.commands.service().kind().needs_key()
            && self.gallery.len() == 0
            && self.jobs.is_empty()
    }

    /// Jobs on top; below them the viewer when an image is open, else the gallery.
    fn central_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        if self.jobs.waiting_for_key() > 0 {
            let current = self.commands.service().info();
            egui::Panel::top("easel-waiting").show(ui, |ui| self.jobs.waiting_ui(ui, &current, actions));
        }
        if !self.jobs.is_empty() {
            let provider = self.commands.service().kind();
            // The frame's margins, and a little room for the separator line under it.
            let frame = egui::Frame::side_top_panel(ui.style()).total_margin().sum().y + 2.0;
            egui::Panel::top("easel-jobs")
                .resizable(false)
                .exact_size(self.jobs.panel_height() + frame)
                .show(ui, |ui| self.jobs.ui(ui, provider, &mut self.thumbs, actions));
        }
        if let Some(painter) = &mut self.painter {
            let inpaints = self.commands.service().provider().capabilities(self.state.draft.model.trim()).inpaint;
            painter.ui(ui, &mut self.pictures, inpaints, actions);
            return;
        }
        if let Some(compare) = &mut self.compare {
            compare.ui(ui, &mut self.pictures, actions);
            return;
        }
        if self.viewer.is_none() && self.shows_welcome() {
            self.welcome.ui(ui, self.commands.service().kind(), actions);
            return;
        }
        let saving_busy = self.saving.busy();
        if let Some(viewer) = &mut self.viewer {
            let cx = ViewerContext {
                starred: self.gallery.is_starred(viewer.image()),
                saving_busy,
                upscaler: self.commands.service().provider().upscaler(),
                pictures: &mut self.pictures,
                thumbs: &mut self.thumbs,
                files: &mut self.files,
            };
            viewer.ui(ui, cx, actions);
            return;
        }
        if let Some(group) = &self.more.group {
            let starred = |id| self.gallery.is_starred(id);
            group.ui(ui, &mut self.thumbs, &starred, actions);
            return;
        }
        let provider = self.commands.service().kind();
        let upscaler = self.commands.service().provider().upscaler();
        let toolbar = Toolbar { provider, saving_busy, history_open: &mut self.history.open, upscaler };
        self.gallery.ui(ui, &mut self.thumbs, toolbar, actions);
    }
}

/// Draw a side panel's contents within the panel's width: a long sentence or a wide row inside
/// wraps or is clipped, and never widens the panel (which egui would then remember, even
/// across restarts). Only dragging the panel's edge changes its width.
fn keep_width(ui: &mut egui::Ui, add_contents: impl FnOnce(&mut egui::Ui)) {
    let rect = ui.available_rect_before_wrap();
    let mut inner = ui.new_child(egui::UiBuilder::new().max_rect(rect).layout(*ui.layout()));
    inner.shrink_clip_rect(rect);
    add_contents(&mut inner);
    ui.advance_cursor_after_rect(rect);
}
