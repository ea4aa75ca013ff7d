//! Carrying out what was asked: each [`Action`] changes the panels' state and hands the work
//! to the command layer. Runs after the frame is drawn (or in `logic`), never while drawing.

use super::{AppRequest, Workspace};
use crate::app::actions::Action;
use crate::app::keys::Busy;
use crate::app::provider_picker::Switch;
use crate::app::settings::{more_time, timeout_text};
use crate::app::viewer::Viewer;
use easel_engine::diagnostics::{curl_command, report};
use easel_engine::error::{EngineError, ErrorCategory};
use easel_engine::request::ValidRequest;
use std::time::Instant;

impl Workspace {
    /// Carry out one action.
    pub(super) fn apply(&mut self, action: Action, ctx: &egui::Context) {
        match action {
            Action::Generate => self.generate(),
            Action::CancelJob(job) => self.commands.cancel(&job),
            Action::RetryJob(job) => self.retry(&job),
            Action::RetryStoredJob(job) => self.commands.retry_settings(job),
            Action::ClearFinishedJobs => self.jobs.clear_finished(),
            Action::OpenKeyPanel => self.keys.open_panel(),
            Action::CloseKeyPanel => self.keys.close_panel(),
            Action::TestKey(key) => {
                self.keys.testing_key(&key);
                self.commands.check_key(key);
            }
            Action::SaveKey(key) => {
                if self.keys.start_keychain_change(Busy::Saving) {
                    self.commands.save_key(key);
                }
            }
            Action::ForgetKey => {
                if self.keys.start_keychain_change(Busy::Forgetting) {
                    self.commands.forget_key();
                }
            }
            Action::UseKeyForSession(key) => self.keys.use_for_session(key),
            Action::OpenImage(id) => self.open_image(id),
            Action::CloseViewer => self.viewer = None,
            action @ (Action::EditImage(_)
            | Action::Vary(_)
            | Action::Upscale { .. }
            | Action::OpenRecord(_)
            | Action::Compare
            | Action::CloseCompare
            | Action::PaintMask
            | Action::ClosePainter
            | Action::SaveMask(_)
            | Action::MaskRemoved
            | Action::StartImagesChanged
            | Action::UseDroppedImages(_)
            | Action::UsePastedImage(_)
            | Action::UsePastedText(_)) => self.apply_editing(action),
            Action::StepImage(step) => {
                if let Some(next) = self.viewer.as_ref().and_then(|v| self.gallery.neighbour(v.image(), step)) {
                    self.open_image(next);
                }
            }
            Action::ToggleStar(id) => {
                let starred = self.gallery.toggle_star(id);
                self.commands.set_starred(id, starred);
            }
            Action::ReuseSettings(id) => {
                if let Some(record) = self.record(id) {
                    self.commands.image_settings(record);
                }
            }
            Action::TrashImage(id) => self.trash_image(id),
            Action::UndoTrash(id) => {
                self.gallery.restore(id);
                self.commands.restore(id);
            }
            Action::EmptyTrash => self.commands.empty_trash(),
            Action::ReadLibrary(read) => self.commands.read_library(read),
            Action::CopyImage(id) => {
                if let Some(record) = self.record(id) {
                    self.commands.decode_for_clipboard(&record);
                }
            }
            Action::SaveImageAs(id) => {
                if let Some(record) = self.record(id) {
                    self.saving.asking();
                    self.commands.ask_save_as(record, self.state.own_file_chooser);
                }
            }
            Action::SavePickedToFolder => {
                let records = self.gallery.picked();
                if !records.is_empty() {
                    self.saving.asking();
                    self.commands.ask_save_to_folder(records, self.state.own_file_chooser);
                }
            }
            Action::CopyCurl(index) => self.copy_curl(index, ctx),
            Action::CopyReport => {
                ctx.copy_text(report(self.diagnostics.records()));
                self.notices.info("Copied the diagnostics report. Your API key is not in it.");
            }
            Action::CheckConnection => self.check_connection(),
            Action::ToggleDiagnostics => self.state.show_diagnostics = !self.state.show_diagnostics,
            Action::UseUsualServer => self.request = Some(AppRequest::UsualServer),
            // Running jobs keep going on their own service: only the next job goes elsewhere.
            Action::SwitchProvider { kind, base_url, api_key_header } => {
                self.request = Some(AppRequest::Switch(Switch { api_key_header, ..Switch::to(kind, base_url) }));
            }
            Action::RefreshModels => self.list_models(true),
            Action::PickInitImage => self.commands.pick_image(false, self.state.own_file_chooser),
            Action::PickMask => self.commands.pick_image(true, self.state.own_file_chooser),
            Action::SaveTo { batch, path } => self.commands.save(batch, path, self.state.embed_parameters),
            Action::UseChosenImage { path, mask } => self.commands.check_images(vec![path], mask),
            Action::ListFolder { folder, folders_only } => self.commands.list_folder(folder, folders_only),
            Action::InspectFile(path) => self.commands.inspect_file(path),
            Action::TrySandbox => {
                if !self.welcome.starting_sandbox {
                    self.welcome.starting_sandbox = true;
                    self.commands.start_sandbox();
                }
            }
            Action::ToggleHelp => self.help.toggle(),
            Action::ToggleSettings => self.settings.open = !self.settings.open,
            Action::SetTimeout(minutes) => self.set_timeout(minutes),
            Action::AllowMoreTime => {
                let minutes = more_time(self.state.timeout_minutes);
                self.set_timeout(minutes);
                self.notices.info(format!(
                    "Easel now waits up to {} for each try (Settings, \"Time allowed for each try\"). Press Retry to try again.",
                    timeout_text(minutes).to_lowercase()
                ));
            }
            Action::WaitAndRetry(job) => self.jobs.retry_later(&job, Instant::now()),
            Action::OpenLink(url) => self.commands.open_link(url),
            Action::CopyJobReport(job) => self.commands.job_report(job),
            Action::OpenLogsFolder => self.commands.open_logs_folder(),
            Action::ReadHistory => self.commands.read_history(),
            Action::SavePreset { name, draft } => self.commands.save_preset(name, *draft),
            Action::DeletePreset(name) => self.commands.delete_preset(name),
            more @ (Action::CheckLibrary
            | Action::AddKeyFor { .. }
            | Action::OpenSeveralModels
            | Action::TryModels(_)
            | Action::OpenGroup(_)
            | Action::CloseGroup) => self.apply_more(more),
        }
    }

    /// Check the draft; if it is valid and there is a key, start its jobs. An invalid draft
    /// sends nothing and explains every field. While a painted mask is still being written,
    /// it generates once the mask is in the draft.
    pub(super) fn generate(&mut self) {
        if self.mask_being_saved() {
            self.generate_after_mask = true;
            return;
        }
        let caps = self.commands.service().provider().capabilities(self.state.draft.model.trim());
        let Ok(request) = self.state.draft.validate(&caps) else {
            self.prompt.show_all_problems();
            return;
        };
        if self.ready_to_send() {
            self.prompt.submitted();
            self.submit(request);
            // Painting is done: the new picture shows in the gallery as it arrives.
            if self.painter.take().is_some() {
                self.viewer = None;
            }
        }
    }

    /// Allow this many minutes for each try from now on (remembered).
    fn set_timeout(&mut self, minutes: Option<u32>) {
        self.state.timeout_minutes = minutes;
        self.commands.engine().set_timeout(minutes.map(|m| std::time::Duration::from_secs(u64::from(m) * 60)));
    }

    /// Send a job's settings again, as a new job.
    fn retry(&mut self, job: &str) {
        if let Some(settings) = self.jobs.settings_of(job).cloned()
            && self.ready_to_send()
        {
            self.submit(ValidRequest { candidates: vec![settings] });
        }
    }

    /// True when requests can go out; otherwise ask for the key.
    pub(super) fn ready_to_send(&mut self) -> bool {
        let ready = self.keys.ready();
        if !ready {
            self.keys.open_panel();
            self.notices.error("Add your API key first. Nothing was sent.");
        }
        ready
    }

    pub(super) fn submit(&mut self, request: ValidRequest) {
        let jobs = self.commands.submit(request, self.keys.active().cloned());
        self.jobs.submitted(jobs, Instant::now());
    }

    fn open_image(&mut self, id: i64) {
        if let Some(record) = self.gallery.get(id).cloned() {
            self.open_record(&record);
        }
    }

    /// Show a picture in the viewer, and read what it was made from.
    pub(super) fn open_record(&mut self, record: &easel_engine::store::ImageRecord) {
        self.commands.read_origin(record);
        self.viewer = Some(Viewer::open(record));
        self.compare = None;
    }

    /// Move an image to the library's trash (the viewer moves on), with an Undo.
    fn trash_image(&mut self, id: i64) {
        if self.viewer.as_ref().is_some_and(|v| v.image() == id) {
            let next = self.gallery.neighbour(id, 1).or_else(|| self.gallery.neighbour(id, -1));
            self.viewer = None;
            if let Some(next) = next {
                self.open_image(next);
            }
        }
        if self.gallery.remove(id) {
            self.thumbs.forget(id);
            self.commands.trash(id);
            self.notices.trashed("Moved to the trash. The file is kept until the trash is emptied.", id);
        }
    }

    /// "Copy as curl", at the address of the service the exchange went to: a job's own service
    /// (which may not be the one in use now), else the service in use.
    fn copy_curl(&mut self, index: usize, ctx: &egui::Context) {
        if let Some(record) = self.diagnostics.record(index) {
            let job_url = record.job.as_deref().and_then(|job| self.jobs.service_of(job)).and_then(|s| url::Url::parse(&s.base_url).ok());
            let base_url = job_url.unwrap_or_else(|| self.commands.service().provider().base_url().clone());
            ctx.copy_text(curl_command(record, &base_url));
            self.notices.info("Copied a curl command. It reads your key from $EASEL_API_KEY.");
        }
    }

    /// The doctor's checks (DNS, connection, TLS, key), with the key in use.
    fn check_connection(&mut self) {
        self.diagnostics.doctor_started();
        let kind = self.commands.service().kind();
        let key = easel_engine::keys::key_or_none(self.keys.active_with_source(), kind.needs_key(), || {
            EngineError::new(ErrorCategory::Auth)
                .with_message("No key is set in the window.")
                .with_hint("Paste your key in the key panel, then check again.")
        });
        self.commands.check_connection(key);
    }
}
