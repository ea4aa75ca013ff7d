//! Work off the UI thread, and the one channel its results come back through.
//!
//! Every background task ends by posting a [`Message`]; posting also asks egui for a repaint,
//! so the app's `logic` drains the channel right away, even while the window is idle or hidden.
//!
//! A message is a plain envelope: each panel names what its background work reports in its
//! own message type, next to the code that takes it in. The panels never see this module.

use super::gallery::GalleryMessage;
use super::history::HistoryMessage;
use super::jobs::JobsMessage;
use super::keys::KeyMessage;
use super::prompt::PromptMessage;
use super::saving::SavingMessage;
use super::textures::ImageMessage;
use easel_engine::Event;
use easel_engine::doctor::Check;
use easel_engine::request::GenerationSettings;
use std::future::Future;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

/// A result from the engine or from background work, for the UI thread.
pub enum Message {
    /// Something happened to a job.
    Engine(Event),
    /// The key store or the key check answered.
    Keys(KeyMessage),
    /// For the prompt panel: the model list, a picked or checked image, settings to reuse.
    Prompt(PromptMessage),
    /// A read or write for the gallery.
    Gallery(GalleryMessage),
    /// A read or write for the history and presets window.
    History(HistoryMessage),
    /// Start-up resume finished.
    Jobs(JobsMessage),
    /// An image was decoded (and uploaded) for a thumbnail, the viewer or the clipboard.
    Images(ImageMessage),
    /// A save dialog closed, or the images were written.
    Saving(SavingMessage),
    /// "Check connection" finished.
    Doctor(Vec<Check>),
    /// The settings of a job read back from the library, for "Try again" (the error is a
    /// plain sentence; `None`: the job is no longer there).
    RetrySettings(Result<Option<GenerationSettings>, String>),
    /// "Try the sandbox": the built-in sandbox started (or why not).
    SandboxStarted(Result<easel_sandbox::Sandbox, String>),
    /// A link or folder was opened, or could not be.
    Opened(super::commands::Opened),
    /// The service's exchanges from earlier runs, read at start-up.
    Diagnostics(Result<Vec<easel_engine::diagnostics::Diagnostics>, String>),
    /// One job's diagnostics report, to copy.
    JobReport(Result<String, String>),
    /// No desktop dialog can be shown: open Easel's own file chooser for this.
    OpenChooser { purpose: super::file_chooser::ChooserFor, start: std::path::PathBuf, places: super::file_chooser::Places },
    /// A folder was listed for Easel's own file chooser.
    Chooser(super::file_chooser::ChooserMessage),
    /// For the painter: its mask was written, or a mask file read to paint on.
    Paint(super::paint::PaintMessage),
    /// For the viewer: what a picture was made from.
    Viewer(super::viewer::ViewerMessage),
    /// The library check finished (the error is a plain sentence).
    LibraryChecked(Result<easel_engine::store::CheckReport, String>),
    /// An estimate, or what was spent.
    Costs(super::costs::CostsMessage),
    /// A try-on-several-models group read back for the side-by-side view.
    Group(super::several_models::GroupMessage),
    /// A group's keys were found: it can be sent (or why not).
    GroupKeys(super::commands::GroupKeys),
    /// The desktop showed a notification, with this id.
    Notified(u32),
    /// The person clicked the notification with this id.
    NotificationClicked(u32),
    /// A job's streamed preview was decoded.
    Preview { job: easel_engine::JobId, result: Result<super::jobs::Preview, String> },
}

/// The sending end: posts a message and wakes the UI.
#[derive(Clone)]
pub struct Inbox {
    sender: Sender<Message>,
    ctx: egui::Context,
}

impl Inbox {
    /// A new channel whose messages wake `ctx`.
    pub fn new(ctx: egui::Context) -> (Self, Receiver<Message>) {
        let (sender, receiver) = channel();
        (Self { sender, ctx }, receiver)
    }

    /// Deliver a message and request a repaint. Once the window has closed nobody is left
    /// to take it in, and it is dropped.
    pub fn post(&self, message: Message) {
        match self.sender.send(message) {
            Ok(()) => self.ctx.request_repaint(),
            Err(_closed) => tracing::debug!("a background result came after the window closed"),
        }
    }
}

/// Blocking work that posts what it returns.
type Work = Box<dyn FnOnce() -> Message + Send>;

/// Runs work on the tokio runtime and posts what it returns.
#[derive(Clone)]
pub struct Background {
    runtime: tokio::runtime::Handle,
    inbox: Inbox,
    /// Work done one at a time, in the order it was asked for (see [`Self::in_order`]).
    queue: tokio::sync::mpsc::UnboundedSender<Work>,
    /// How many pieces of work on pixels may run at once (see [`Self::pixels`]).
    pixel_workers: Arc<tokio::sync::Semaphore>,
}

impl Background {
    pub fn new(runtime: tokio::runtime::Handle, inbox: Inbox) -> Self {
        let (queue, mut work) = tokio::sync::mpsc::unbounded_channel::<Work>();
        let posts = inbox.clone();
        // Ends when the last `Background` is dropped (the workspace closed).
        runtime.spawn(async move {
            while let Some(next) = work.recv().await {
                match tokio::task::spawn_blocking(next).await {
                    Ok(message) => posts.post(message),
                    Err(why) => super::logging::note(&format!("a read or write of the library stopped before it finished: {why}")),
                }
            }
        });
        Self { runtime, inbox, queue, pixel_workers: Arc::new(tokio::sync::Semaphore::new(pixel_workers())) }
    }

    pub fn inbox(&self) -> &Inbox {
        &self.inbox
    }

    /// The egui context, for uploading textures from a worker (it is `Send + Sync`).
    pub fn ctx(&self) -> &egui::Context {
        &self.inbox.ctx
    }

    /// Blocking work (disk, keyring, decoding) on tokio's blocking pool.
    pub fn blocking(&self, work: impl FnOnce() -> Message + Send + 'static) {
        let inbox = self.inbox.clone();
        self.runtime.spawn_blocking(move || inbox.post(work()));
    }

    /// Work on pixels (decoding, scaling, cutting tiles), at most [`pixel_workers`] at once, so
    /// a burst of it leaves a core to the window: opening a just-made 8192×8192 picture while its
    /// thumbnail was still being decoded took both cores of a laptop, and a frame 32-37 ms.
    pub fn pixels(&self, work: impl FnOnce() -> Message + Send + 'static) {
        let (inbox, workers) = (self.inbox.clone(), self.pixel_workers.clone());
        self.runtime.spawn(async move {
            let Ok(turn) = workers.acquire_owned().await else {
                return super::logging::note("work on a picture was not done: its workers have stopped");
            };
            tokio::task::spawn_blocking(move || {
                inbox.post(work());
                drop(turn);
            });
        });
    }

    /// Blocking work that may have nothing to report (it handed the answer to a dialog).
    pub fn blocking_maybe(&self, work: impl FnOnce() -> Option<Message> + Send + 'static) {
        let inbox = self.inbox.clone();
        self.runtime.spawn_blocking(move || {
            if let Some(message) = work() {
                inbox.post(message);
            }
        });
    }

    /// Blocking work done after everything asked for this way before it has finished: the
    /// gallery's reads and writes of the library, so a listing asked for after a change (a
    /// trash, a restore) always sees it.
    pub fn in_order(&self, work: impl FnOnce() -> Message + Send + 'static) {
        if self.queue.send(Box::new(work)).is_err() {
            super::logging::note("a read or write of the library was not done: its queue has stopped");
        }
    }

    /// Async work (HTTP through the engine) on the runtime.
    pub fn spawn(&self, work: impl Future<Output = Message> + Send + 'static) {
        let inbox = self.inbox.clone();
        self.runtime.spawn(async move { inbox.post(work.await) });
    }
}

/// How many pieces of work on pixels run at once: all cores but one, which is left to the
/// window, and at least one.
pub fn pixel_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A change that takes long is still done, and answered, before a read asked for after it.
    #[test]
    fn work_in_order_is_done_and_posted_in_the_order_it_was_asked_for() {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let (inbox, receiver) = Inbox::new(egui::Context::default());
        let bg = Background::new(runtime.handle().clone(), inbox);
        let done = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        for (name, slow) in [("change", true), ("read", false)] {
            let done = done.clone();
            bg.in_order(move || {
                if slow {
                    std::thread::sleep(Duration::from_millis(100));
                }
                done.lock().unwrap().push(name);
                Message::JobReport(Ok(name.to_owned()))
            });
        }
        let posted: Vec<String> = (0..2)
            .map(|_| match receiver.recv_timeout(Duration::from_secs(20)) {
                Ok(Message::JobReport(Ok(name))) => name,
                _ => panic!("both were posted"),
            })
            .collect();
        assert_eq!(posted, ["change", "read"]);
        assert_eq!(*done.lock().unwrap(), ["change", "read"], "the read waited for the change");
    }
}
