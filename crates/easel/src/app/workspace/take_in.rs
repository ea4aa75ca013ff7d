//! Taking in what came back: each [`Message`] goes to the panel it is for. Work that follows
//! from it (read the list again, check a picked image) goes out as actions, the same way as
//! what the person asks for. Runs in `logic`, so it never draws.

use super::{AppRequest, Workspace};
use crate::app::actions::Action;
use crate::app::file_chooser::FileChooser;
use crate::app::gallery::{GroupKey, Said};
use crate::app::inbox::Message;
use crate::app::logging;
use crate::app::prompt::PromptMessage;
use crate::app::provider_picker::Switch;
use crate::app::saving::SavingMessage;
use crate::app::textures::ImageMessage;
use easel_engine::request::ValidRequest;
use easel_engine::{Event, EventKind};
use std::time::Instant;

impl Workspace {
    /// Take in one message from the engine or a background task.
    pub(super) fn take_in(&mut self, message: Message, ctx: &egui::Context, actions: &mut Vec<Action>) {
        match message {
            Message::Engine(event) => self.on_event(event, actions),
            Message::Keys(message) => self.keys.on_message(message),
            Message::Prompt(message) => self.on_prompt_message(message),
            Message::Gallery(message) => match self.gallery.on_message(message, actions) {
                Said::Nothing => {}
                Said::Info(sentence) => self.notices.info(sentence),
                Said::Error(sentence) => self.notices.error(sentence),
            },
            Message::History(message) => self.history.on_message(message, actions),
            Message::Jobs(message) => {
                if let Some(why) = self.jobs.on_message(message, Instant::now()) {
                    self.notices.error(why);
                }
            }
            Message::Images(message) => self.on_image(message, ctx),
            Message::Saving(SavingMessage::Target { batch, path }) => {
                if let Some((batch, path)) = self.saving.on_target(batch, path) {
                    self.commands.save(batch, path, self.state.embed_parameters);
                }
            }
            Message::Saving(SavingMessage::Saved(results)) => self.saving.on_saved(results, &mut self.notices),
            Message::Doctor(checks) => self.diagnostics.doctor_finished(checks),
            Message::RetrySettings(Ok(Some(settings))) => {
                if self.ready_to_send() {
                    self.submit(ValidRequest { candidates: vec![settings] });
                }
            }
            Message::RetrySettings(Ok(None)) => self.notices.error("That job is no longer in the library. Nothing was sent."),
            Message::RetrySettings(Err(why)) => {
                self.notices.error(format!("The job's settings could not be read ({why}). Nothing was sent."));
            }
            Message::SandboxStarted(Ok(sandbox)) => {
                let mut switch = Switch::to(easel_engine::provider::ProviderKind::ModelsLab, Some(sandbox.base_url()));
                match easel_engine::keys::ApiKey::parse("sandbox-session-key") {
                    Ok(key) => switch.session_key = Some(key),
                    Err(why) => logging::note(&format!("the sandbox's session key was refused: {why}")),
                }
                switch.sandbox = Some(sandbox);
                self.request = Some(AppRequest::Switch(switch));
            }
            Message::Opened(opened) => {
                if let Err(why) = opened.result {
                    let text = format!(
                        "Easel could not open {}. {why} You can copy its address and open it yourself: {}",
                        opened.what, opened.target
                    );
                    self.notices.error_with_copy(text, opened.target);
                }
            }
            Message::Diagnostics(Ok(records)) => self.diagnostics.earlier(records),
            Message::Diagnostics(Err(why)) => logging::note(&format!("the diagnostics of earlier runs could not be read: {why}")),
            Message::JobReport(Ok(text)) => {
                ctx.copy_text(text);
                self.notices.info("Copied this job's diagnostics report. Your API key is not in it.");
            }
            Message::OpenChooser { purpose, start, places } => {
                let folder = self.state.last_folder.clone().unwrap_or(start);
                self.chooser = Some(FileChooser::open(purpose, folder, places, actions));
            }
            Message::Chooser(listed) => {
                if let Some(chooser) = &mut self.chooser {
                    chooser.on_listed(listed);
                }
            }
            Message::Paint(message) => self.on_paint_message(message),
            Message::Viewer(message) => {
                if let Some(viewer) = &mut self.viewer {
                    viewer.on_message(message);
                }
            }
            Message::JobReport(Err(why)) => self.notices.error(format!("The job's report could not be read from the library ({why}).")),
            Message::LibraryChecked(result) if self.more.library.finished(&result) => {
                // Asked for in the settings window, which says what was found.
                if result.as_ref().is_ok_and(|report| !report.is_clean()) {
                    self.gallery.reset(actions);
                }
            }
            Message::LibraryChecked(Ok(report)) if report.is_clean() => {}
            Message::LibraryChecked(Ok(report)) => {
                self.notices.info(format!("Easel stopped unexpectedly last time, so it checked the library. {}", report.summary()));
                // Recovered pictures and marks: the gallery reads the library again.
                self.gallery.reset(actions);
            }
            Message::LibraryChecked(Err(why)) => self.notices.error(format!("The library could not be checked: {why}")),
            Message::SandboxStarted(Err(why)) => {
                self.welcome.starting_sandbox = false;
                self.notices.error(format!("The sandbox could not start: {why}"));
            }
            message @ (Message::Costs(_)
            | Message::Group(_)
            | Message::GroupKeys(_)
            | Message::Notified(_)
            | Message::NotificationClicked(_)
            | Message::Preview { .. }) => self.take_in_more(message, ctx, actions),
        }
    }

    fn on_event(&mut self, event: Event, actions: &mut Vec<Action>) {
        logging::event(&event);
        self.jobs.on_event(&event, Instant::now());
        self.on_event_more(&event, actions);
        match event.kind {
            EventKind::Image(record) => {
                let job = event.job.unwrap_or_default();
                let key = self.jobs.batch_of(&job).map_or(GroupKey::Job(job), GroupKey::Batch);
                self.gallery.add(*record, key);
            }
            EventKind::Response(record) => self.diagnostics.push(*record),
            EventKind::Error(error) if !error.fields.is_empty() => self.prompt.server_said(&error.fields),
            EventKind::Finished { ok: false, .. } => self.gallery.job_failed(actions),
            _ => {}
        }
    }

    fn on_prompt_message(&mut self, message: PromptMessage) {
        match message {
            PromptMessage::Models(result) => self.prompt.models_listed(result),
            PromptMessage::Picked { path: Some(path), mask } => self.commands.check_images(vec![path], mask),
            PromptMessage::Picked { path: None, .. } => {}
            PromptMessage::Checked { paths, mask, problems } => self.on_checked(paths, mask, problems),
            PromptMessage::Inspected { path, result } => self.prompt.file_inspected(&path, result),
            PromptMessage::Reuse { settings, vary } => self.on_reuse(&settings, vary),
        }
    }

    fn on_image(&mut self, message: ImageMessage, ctx: &egui::Context) {
        match message {
            ImageMessage::Thumbnail { image, result } => self.thumbs.on_loaded(image, result),
            ImageMessage::File { path, result } => self.files.on_loaded(&path, result),
            ImageMessage::Picture(message) => self.pictures.on_message(message),
            ImageMessage::Clipboard(Ok(image)) => {
                ctx.copy_image(image);
                self.notices.info("Image copied. You can paste it into another app.");
            }
            ImageMessage::Clipboard(Err(why)) => self.notices.error(why),
        }
    }
}
