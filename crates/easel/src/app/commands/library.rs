//! Reads and writes of the library, all on tokio's blocking pool: the gallery's pages and
//! counts, the failed jobs, stars, the trash, the history and presets, a job's settings.
//! This is the only part of the window that holds the [`Store`].

use super::Commands;
use crate::app::actions::LibraryRead;
use crate::app::gallery::GalleryMessage;
use crate::app::history::{self, HistoryMessage};
use crate::app::inbox::Message;
use crate::app::prompt::PromptMessage;
use easel_engine::Engine;
use easel_engine::request::{GenerationSettings, Seed, SettingsDraft};
use easel_engine::store::{ImageRecord, JobPhase, Store, StoreError};

/// How many recent jobs the "Failed jobs" view looks through.
const RECENT_JOBS: u32 = 2000;
/// How many of the service's exchanges from earlier runs the diagnostics pane shows again.
const RECENT_EXCHANGES: u32 = 500;

/// The settings a job was sent with, if the library still has the job.
pub fn job_settings(engine: &Engine, job: &str) -> Result<Option<GenerationSettings>, StoreError> {
    engine.store().job_settings(job)
}

impl Commands {
    fn store(&self) -> Store {
        self.engine.store().clone()
    }

    /// A read for the gallery; the answer names the query it was for. Done after the
    /// changes asked for before it, so it sees them.
    pub fn read_library(&self, read: LibraryRead) {
        let store = self.store();
        self.bg.in_order(move || {
            let message = match read {
                LibraryRead::Page { generation, filter, offset } => {
                    let result = store.search(&filter, crate::app::gallery::PAGE, offset).map_err(|e| e.to_string());
                    GalleryMessage::Page { generation, result }
                }
                LibraryRead::Count { generation, filter } => {
                    GalleryMessage::Count { generation, result: store.count_matching(&filter).map_err(|e| e.to_string()) }
                }
                LibraryRead::FailedJobs { generation, text } => {
                    let result = store
                        .recent_jobs(RECENT_JOBS)
                        .map(|jobs| {
                            jobs.into_iter()
                                .filter(|j| matches!(j.state, JobPhase::Failed | JobPhase::Unknown))
                                .filter(|j| text.is_empty() || j.prompt.to_lowercase().contains(&text))
                                .collect()
                        })
                        .map_err(|e| e.to_string());
                    GalleryMessage::Failed { generation, result }
                }
            };
            Message::Gallery(message)
        });
    }

    /// Write a change to the library (star, trash, restore); a failure says `failure` and why.
    /// Done in order with the gallery's reads: a listing asked for later sees the change.
    pub fn change_library(&self, change: impl FnOnce(&Store) -> Result<(), StoreError> + Send + 'static, failure: &'static str) {
        let store = self.store();
        self.bg.in_order(move || Message::Gallery(GalleryMessage::Changed(change(&store).map_err(|e| format!("{failure} ({e}).")))));
    }

    pub fn set_starred(&self, image: i64, starred: bool) {
        self.change_library(move |store| store.set_starred(image, starred), "The star could not be saved");
    }

    pub fn trash(&self, image: i64) {
        self.change_library(move |store| store.trash(image), "The image could not be moved to the trash");
    }

    pub fn restore(&self, image: i64) {
        self.change_library(move |store| store.restore(image), "The image could not be taken out of the trash");
    }

    /// Delete the images in the trash for good, files and all (in order with the gallery's
    /// reads, like any change).
    pub fn empty_trash(&self) {
        let store = self.store();
        self.bg.in_order(move || Message::Gallery(GalleryMessage::TrashEmptied(store.empty_trash().map_err(|e| e.to_string()))));
    }

    /// The settings of a job from the library, for "Try again" in the failed jobs view.
    pub fn retry_settings(&self, job: String) {
        let engine = self.engine.clone();
        self.bg.blocking(move || Message::RetrySettings(job_settings(&engine, &job).map_err(|e| e.to_string())));
    }

    /// The settings that made one image, for "Use these settings again": its job's settings
    /// (fallback, images per request, aspect ratio, start image…) with this image's own seed.
    pub fn image_settings(&self, record: ImageRecord) {
        self.image_settings_for(record, false);
    }

    /// [`Self::image_settings`], for a variation of the picture when `vary`.
    pub(super) fn image_settings_for(&self, record: ImageRecord, vary: bool) {
        let engine = self.engine.clone();
        self.bg.blocking(move || {
            let job = job_settings(&engine, &record.job).unwrap_or_else(|why| {
                crate::app::logging::note(&format!("the settings of job {} could not be read: {why}", record.job));
                None
            });
            let vary = vary.then(|| record.path.clone());
            Message::Prompt(PromptMessage::Reuse { settings: Box::new(settings_of_image(job, &record)), vary })
        });
    }

    /// The service's exchanges from earlier runs, for the diagnostics pane at start-up.
    pub fn read_recent_diagnostics(&self) {
        let (store, provider) = (self.store(), self.service.kind().id());
        self.bg.blocking(move || Message::Diagnostics(store.recent_diagnostics(provider, RECENT_EXCHANGES).map_err(|e| e.to_string())));
    }

    /// The diagnostics report of one job, from the library (this run's or an earlier one's).
    pub fn job_report(&self, job: String) {
        let store = self.store();
        self.bg.blocking(move || {
            let result = store.diagnostics_for(&job).map_err(|e| e.to_string()).map(|records| {
                let mut text = easel_engine::diagnostics::report(&records);
                if records.is_empty() {
                    text.push_str(&format!("(job {job} left no record of an exchange: nothing was sent)\n"));
                }
                text
            });
            Message::JobReport(result)
        });
    }

    /// Compare every picture with its file and every file with a picture, and repair what can
    /// be repaired (the engine's library check). Reads every image file, off the UI thread.
    pub fn check_library(&self) {
        let store = self.store();
        self.bg.blocking(move || Message::LibraryChecked(store.check_library().map_err(|e| e.to_string())));
    }

    /// The recent prompts and the presets.
    pub fn read_history(&self) {
        let store = self.store();
        self.bg.blocking(move || {
            let read = store.prompt_history(history::RECENT).and_then(|recent| Ok((recent, store.presets()?)));
            Message::History(HistoryMessage::Loaded(read.map_err(|e| e.to_string())))
        });
    }

    pub fn save_preset(&self, name: String, draft: SettingsDraft) {
        self.change_history(move |store| store.save_preset(&name, &draft));
    }

    pub fn delete_preset(&self, name: String) {
        self.change_history(move |store| store.delete_preset(&name));
    }

    fn change_history(&self, change: impl FnOnce(&Store) -> Result<(), StoreError> + Send + 'static) {
        let store = self.store();
        self.bg.blocking(move || Message::History(HistoryMessage::Changed(change(&store).map_err(|e| e.to_string()))));
    }
}

/// The settings that made `record`: its job's when the library has them (else what the image
/// row says), with the image's own seed and size.
fn settings_of_image(job: Option<GenerationSettings>, record: &ImageRecord) -> GenerationSettings {
    let mut settings = job.unwrap_or_else(|| GenerationSettings {
        prompt: record.prompt.clone(),
        negative_prompt: record.negative_prompt.clone(),
        model: record.model.clone(),
        steps: record.steps,
        guidance: record.guidance,
        ..GenerationSettings::default()
    });
    if let Some(seed) = record.seed {
        settings.seed = Seed::Fixed(seed);
        settings.seed_from_person = true;
    }
    if settings.aspect_ratio.is_none() {
        (settings.width, settings.height) = (record.width, record.height);
    }
    settings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> ImageRecord {
        let record = crate::app::fixtures::image_record(1);
        ImageRecord { index: 1, width: 640, height: 768, seed: Some(43), prompt: "a fox".into(), steps: 21, ..record }
    }

    #[test]
    fn an_image_is_made_again_with_its_jobs_settings_and_its_own_seed() {
        let job = GenerationSettings {
            prompt: "a fox".into(),
            model: "sdxl".into(),
            fallback_model: Some("flux".into()),
            samples: 2,
            seed: Seed::Fixed(42),
            ..GenerationSettings::default()
        };
        let settings = settings_of_image(Some(job), &record());
        assert_eq!((settings.fallback_model.as_deref(), settings.samples), (Some("flux"), 2), "the job's settings");
        assert_eq!((settings.seed, settings.seed_from_person), (Seed::Fixed(43), true), "the second image's seed, pinned");
        assert_eq!((settings.width, settings.height), (640, 768));

        let without_job = settings_of_image(None, &record());
        assert_eq!((without_job.prompt.as_str(), without_job.steps, without_job.seed), ("a fox", 21, Seed::Fixed(43)));
    }
}
