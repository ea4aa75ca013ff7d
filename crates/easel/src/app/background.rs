//! Work off the UI thread, and the one channel its results come back through.
//!
//! Every background task ends by posting a [`Message`]; posting also asks egui for a repaint,
//! so the frame that drains the channel comes right away, even when the window is idle.

use super::saving::SaveBatch;
use easel_engine::Event;
use easel_engine::doctor::Check;
use easel_engine::error::EngineError;
use easel_engine::keys::{ApiKey, StoreError};
use easel_engine::provider::Balance;
use std::future::Future;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};

/// A result from the engine or from background work, for the UI thread.
pub enum Message {
    /// Something happened to a job.
    Engine(Event),
    /// The key store was read at start-up.
    KeyLoaded(Result<Option<ApiKey>, StoreError>),
    /// "Test key" finished.
    KeyChecked(Result<Option<Balance>, EngineError>),
    /// "Save to keychain" finished; the key is kept so it can be used if the save worked.
    KeySaved {
        key: ApiKey,
        result: Result<(), StoreError>,
    },
    /// "Forget key" finished.
    KeyForgotten(Result<(), StoreError>),
    /// The settings of a job read back from the library, for "Try again".
    StoredJobSettings(Result<Option<easel_engine::request::GenerationSettings>, easel_engine::store::StoreError>),
    /// A gallery thumbnail was decoded and uploaded.
    Thumbnail {
        image: i64,
        result: Result<egui::TextureHandle, String>,
    },
    /// The viewer's full-size image was decoded and uploaded.
    FullImage {
        image: i64,
        result: Result<egui::TextureHandle, String>,
    },
    /// An image decoded for the clipboard.
    ClipboardImage(Result<egui::ColorImage, String>),
    /// A save or folder dialog closed.
    SaveTarget {
        batch: SaveBatch,
        path: Option<PathBuf>,
    },
    /// Images were written: one result per image.
    Saved(Vec<Result<PathBuf, String>>),
    /// "Check connection" finished.
    Doctor(Vec<Check>),
    /// A star, trash or restore was written to the library (the error is a plain sentence).
    /// A change to the library (star, trash, restore) was written, or why not. `listing` is
    /// the gallery's listing at the time it was asked for.
    LibraryChanged {
        result: Result<(), String>,
        listing: u64,
    },
    /// Start-up resume finished: the unfinished jobs it picked up (the error is a plain sentence).
    Resumed(Result<Vec<super::jobs::ResumedJob>, String>),
    /// A read for the gallery (a page of images, failed jobs, the trash emptied).
    Gallery(super::library::GalleryMessage),
    /// A read or write for the history and presets window.
    History(super::history::HistoryMessage),
    /// The provider's model list (empty when it has none).
    Models(Result<Vec<String>, EngineError>),
    /// The file dialog for "Start from an image..." closed.
    InitImagePicked(Option<PathBuf>),
    MaskPicked(Option<PathBuf>),
    /// A picked or dropped image was read and checked off the UI thread (the check is
    /// remembered, so validating the draft on every edit stays cheap): use it now.
    ImageChecked {
        path: PathBuf,
        mask: bool,
    },
    /// "Try the sandbox": the built-in sandbox started (or why not).
    SandboxStarted(Result<easel_sandbox::Sandbox, String>),
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

    /// Deliver a message and request a repaint. A closed window just drops it.
    pub fn post(&self, message: Message) {
        if self.sender.send(message).is_ok() {
            self.ctx.request_repaint();
        }
    }
}

/// Runs work on the tokio runtime and posts what it returns.
#[derive(Clone)]
pub struct Background {
    runtime: tokio::runtime::Handle,
    inbox: Inbox,
}

impl Background {
    pub fn new(runtime: tokio::runtime::Handle, inbox: Inbox) -> Self {
        Self { runtime, inbox }
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

    /// Async work (HTTP through the engine) on the runtime.
    pub fn spawn(&self, work: impl Future<Output = Message> + Send + 'static) {
        let inbox = self.inbox.clone();
        self.runtime.spawn(async move { inbox.post(work.await) });
    }
}
