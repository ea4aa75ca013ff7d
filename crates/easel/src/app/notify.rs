//! Telling the person a job ended while Easel is in the background: a desktop notification
//! with the picture where the desktop shows images, an optional sound, and clicking it brings
//! the window forward on that picture where the desktop supports actions.
//!
//! This file decides *when* and *what* (a pure state machine, [`DoneNotices`]); the command
//! layer sends it off the UI thread through a [`Notifier`], the seam tests replace (the real
//! one speaks freedesktop notifications over D-Bus: `commands/notifier.rs`).

use crate::app::words::{count, one_line_cut};
use easel_engine::error::EngineError;
use easel_engine::store::ImageRecord;
use std::path::PathBuf;

/// A notification to show.
#[derive(Clone, Debug, PartialEq)]
pub struct Note {
    pub summary: String,
    pub body: String,
    /// The picture, for desktops that show images.
    pub image: Option<PathBuf>,
    /// Play the desktop's sound for it.
    pub sound: bool,
    /// A job failed (the sound and category say so).
    pub failed: bool,
}

/// Called with the id of a notification the person clicked, from any thread.
pub type Clicked = Box<dyn Fn(u32) + Send + Sync>;

/// Shows desktop notifications. Blocking: the command layer calls it on a worker.
pub trait Notifier: Send + Sync {
    /// Show `note`, in place of Easel's notification `replaces` when it is not 0. Returns the
    /// id the desktop gave it.
    fn notify(&self, note: &Note, replaces: u32) -> Result<u32, String>;
    /// Report clicks on Easel's notifications from now on (called once, before the first one).
    fn listen(&self, clicked: Clicked);
}

/// No notifications (tests that are not about them).
pub struct NoNotifier;

impl Notifier for NoNotifier {
    fn notify(&self, _note: &Note, _replaces: u32) -> Result<u32, String> {
        Err("notifications are off in this build".to_owned())
    }
    fn listen(&self, _clicked: Clicked) {}
}

/// How a job ended, for its notification.
pub struct Ended<'a> {
    pub prompt: &'a str,
    /// Its first stored picture (none when it failed or made none).
    pub image: Option<&'a ImageRecord>,
    pub pictures: usize,
    pub error: Option<&'a EngineError>,
}

/// What has been said while the window was in the background: one notification, updated as
/// more jobs end, so four candidates do not pop up four times.
#[derive(Default)]
pub struct DoneNotices {
    /// The desktop's id of the notification on screen, and the picture it opens.
    shown: Option<(u32, Option<i64>)>,
    /// Pictures made and jobs failed since the window was last in front.
    ready: usize,
    failed: usize,
    /// The picture the next notification opens.
    latest: Option<i64>,
}

impl DoneNotices {
    /// A job ended. Returns the notification to show (and the one it replaces) when the
    /// window is not in front and notifications are on.
    pub fn job_ended(&mut self, ended: &Ended<'_>, focused: bool, enabled: bool, sound: bool) -> Option<(Note, u32)> {
        if focused || !enabled {
            return None;
        }
        match ended.error {
            Some(_) if ended.pictures == 0 => self.failed += 1,
            _ => self.ready += ended.pictures.max(1),
        }
        if let Some(image) = ended.image {
            self.latest = Some(image.id);
        }
        let summary = match (self.ready, self.failed) {
            (0, 1) => "A picture could not be made".to_owned(),
            (0, n) => format!("{n} pictures could not be made"),
            (1, 0) => "Your picture is ready".to_owned(),
            (n, 0) => format!("{n} pictures are ready"),
            (ready, failed) => format!("{} ready, {} could not be made", count(ready, "picture"), failed),
        };
        let prompt = one_line_cut(ended.prompt, 90);
        let body = match ended.error {
            Some(error) if ended.pictures == 0 => format!("\"{prompt}\": {} {}", error.message, error.hint),
            _ => format!("\"{prompt}\""),
        };
        let note = Note { summary, body, image: ended.image.map(|i| i.path.clone()), sound, failed: ended.pictures == 0 };
        Some((note, self.shown.map_or(0, |(id, _)| id)))
    }

    /// The desktop showed a notification with this id.
    pub fn shown(&mut self, id: u32) {
        self.shown = Some((id, self.latest));
    }

    /// The window is in front again: the next notification starts afresh.
    pub fn in_front(&mut self) {
        self.ready = 0;
        self.failed = 0;
        self.latest = None;
        self.shown = None;
    }

    /// The person clicked notification `id`. `None` when it is not Easel's latest; otherwise
    /// the picture to show, if it has one.
    pub fn clicked(&mut self, id: u32) -> Option<Option<i64>> {
        self.shown.filter(|(shown, _)| *shown == id).map(|(_, image)| image)
    }
}

/// The settings window's part: notifications on or off, and their sound.
pub fn settings_ui(ui: &mut egui::Ui, on: &mut bool, sound: &mut bool) {
    ui.strong("When pictures are ready");
    ui.checkbox(on, "Tell me when Easel is in the background")
        .on_hover_text("A desktop notification when a job finishes or fails while you are in another window. Click it to see the picture.");
    ui.add_enabled(*on, egui::Checkbox::new(sound, "With a sound"))
        .on_hover_text("Your desktop's own sound, where it plays sounds for notifications.");
    ui.add_space(crate::app::style::space::PARAGRAPH);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fixtures::image_record;
    use easel_engine::error::ErrorCategory;

    fn done<'a>(prompt: &'a str, image: &'a ImageRecord) -> Ended<'a> {
        Ended { prompt, image: Some(image), pictures: 1, error: None }
    }

    #[test]
    fn nothing_is_said_in_front_or_when_turned_off() {
        let mut notices = DoneNotices::default();
        let image = image_record(3);
        assert!(notices.job_ended(&done("a fox", &image), true, true, false).is_none(), "the window is in front");
        assert!(notices.job_ended(&done("a fox", &image), false, false, false).is_none(), "turned off");
    }

    #[test]
    fn jobs_ending_in_the_background_update_one_notification_which_opens_the_latest_picture() {
        let mut notices = DoneNotices::default();
        let (first, second) = (image_record(3), image_record(4));
        let (note, replaces) = notices.job_ended(&done("a red fox\nin snow", &first), false, true, true).unwrap();
        assert_eq!((note.summary.as_str(), note.body.as_str(), replaces), ("Your picture is ready", "\"a red fox in snow\"", 0));
        assert_eq!(note.image, Some(first.path.clone()));
        assert!(note.sound && !note.failed);
        notices.shown(41);
        let error = EngineError::new(ErrorCategory::Server);
        let failed = Ended { prompt: "a hare", image: None, pictures: 0, error: Some(&error) };
        let (note, replaces) = notices.job_ended(&failed, false, true, false).unwrap();
        assert_eq!((note.summary.as_str(), replaces), ("1 picture ready, 1 could not be made", 41), "the same notification");
        assert!(note.failed && note.body.contains(&error.message));
        notices.job_ended(&done("a hare", &second), false, true, false).unwrap();
        notices.shown(41);
        assert_eq!(notices.clicked(41), Some(Some(4)), "clicking opens the latest picture");
        assert_eq!(notices.clicked(40), None, "not Easel's latest");
        notices.in_front();
        assert_eq!(notices.clicked(41), None);
        let (note, replaces) = notices.job_ended(&done("a fox", &first), false, true, false).unwrap();
        assert_eq!((note.summary.as_str(), replaces), ("Your picture is ready", 0), "afresh once the window was in front");
    }
}
