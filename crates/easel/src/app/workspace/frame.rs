//! How the panels are laid out in the window: the status bar and the diagnostics at the
//! bottom, the prompt on the left, the jobs above the gallery or the viewer in the middle, and
//! the floating windows (key, help, history, notices). Drawing only pushes actions.

use super::Workspace;
use crate::app::actions::Action;
use crate::app::gallery::Toolbar;
use crate::app::help;
use crate::app::keys::balance_text;
use crate::app::status::Status;
use easel_engine::provider::openai::AuthStyle;

impl Workspace {
    pub(super) fn shortcuts(&self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        let generate = egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::Enter);
        if ctx.input_mut(|i| i.consume_shortcut(&generate)) {
            actions.push(Action::Generate);
        }
        if self.viewer.is_some() && !ctx.egui_wants_keyboard_input() {
            ctx.input(|i| {
                if i.key_pressed(egui::Key::ArrowLeft) {
                    actions.push(Action::StepImage(-1));
                }
                if i.key_pressed(egui::Key::ArrowRight) {
                    actions.push(Action::StepImage(1));
                }
                if i.key_pressed(egui::Key::Escape) {
                    actions.push(Action::CloseViewer);
                }
            });
        }
    }

    pub(super) fn panels_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        egui::Panel::bottom("easel-status").show(ui, |ui| self.status().ui(ui, actions));
        if self.state.show_diagnostics {
            egui::Panel::bottom("easel-diagnostics")
                .resizable(true)
                .default_size(280.0)
                .show(ui, |ui| self.diagnostics.ui(ui, &mut self.state.errors_only, actions));
        }
        let service = self.commands.service();
        egui::Panel::left("easel-prompt").resizable(true).default_size(340.0).show(ui, |ui| {
            let api_key_header = service.spec().openai_auth == AuthStyle::ApiKeyHeader;
            self.prompt.ui(ui, &mut self.state.draft, service.provider(), api_key_header, actions);
        });
        egui::CentralPanel::default().show(ui, |ui| self.central_ui(ui, actions));
        self.keys.ui(ui.ctx(), actions);
        self.help.ui(ui.ctx(), &help::logs_dir(&self.commands.engine().config().data_dir), actions);
        self.notices.ui(ui.ctx(), actions);
        if let Some(said) = self.history.ui(ui.ctx(), &mut self.state.draft, actions) {
            self.notices.info(said);
        }
    }

    fn status(&self) -> Status {
        let service = self.commands.service();
        Status {
            key: self.keys.status(),
            provider: service.kind().label(),
            server_override: service.spec().base_url.clone(),
            balance: self.keys.balance().map(balance_text),
            in_flight: self.jobs.in_flight(),
            diagnostics_open: self.state.show_diagnostics,
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
        if !self.jobs.is_empty() {
            egui::Panel::top("easel-jobs").resizable(true).default_size(130.0).show(ui, |ui| self.jobs.ui(ui, actions));
        }
        if self.viewer.is_none() && self.shows_welcome() {
            self.welcome.ui(ui, self.commands.service().kind(), actions);
            return;
        }
        let saving_busy = self.saving.busy();
        if let Some(viewer) = &mut self.viewer {
            match self.gallery.get(viewer.image()) {
                Some(record) => viewer.ui(ui, record, self.gallery.is_starred(record.id), saving_busy, actions),
                None => actions.push(Action::CloseViewer),
            }
            return;
        }
        let toolbar = Toolbar { embed_parameters: &mut self.state.embed_parameters, saving_busy, history_open: &mut self.history.open };
        self.gallery.ui(ui, &mut self.thumbs, toolbar, actions);
    }
}
