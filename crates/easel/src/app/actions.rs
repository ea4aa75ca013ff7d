//! What the person asked for this frame. Panels only draw and push actions; the workspace
//! carries them out after drawing, through the command layer (`commands`), so UI code never
//! touches the engine, the library or the disk.
//!
//! A panel taking in a background result may push actions too (read the next page, read the
//! history again): every piece of work, whoever asks for it, goes the same way.

use easel_engine::JobId;
use easel_engine::keys::ApiKey;
use easel_engine::provider::ProviderKind;
use easel_engine::request::SettingsDraft;
use easel_engine::store::ImageFilter;

/// One request from the UI.
pub enum Action {
    /// Check the draft and, if it is valid, start its jobs.
    Generate,
    CancelJob(JobId),
    /// Run a job's settings again as a new job.
    RetryJob(JobId),
    /// "Try again" in the Failed jobs view: a job from the library, maybe from an earlier run.
    RetryStoredJob(JobId),
    /// Forget the rows of jobs that ended.
    ClearFinishedJobs,

    OpenKeyPanel,
    CloseKeyPanel,
    TestKey(ApiKey),
    SaveKey(ApiKey),
    ForgetKey,
    /// Keep the key in memory for this session (the keychain could not take it).
    UseKeyForSession(ApiKey),

    /// Show an image in the large viewer.
    OpenImage(i64),
    CloseViewer,
    /// Move the viewer to the previous (-1) or next (+1) image.
    StepImage(isize),
    ToggleStar(i64),
    /// Fill the prompt panel with an image's settings.
    ReuseSettings(i64),
    /// Move an image to the library's trash (the file stays until the trash is emptied), with an undo.
    TrashImage(i64),
    /// Bring a trashed image back.
    UndoTrash(i64),
    /// Delete every image in the trash for good (the person confirmed).
    EmptyTrash,
    /// A read the gallery needs from the library.
    ReadLibrary(LibraryRead),
    CopyImage(i64),
    SaveImageAs(i64),
    SavePickedToFolder,

    CopyCurl(usize),
    CopyReport,
    CheckConnection,
    ToggleDiagnostics,

    /// Stop using the server override and go back to the provider's usual server.
    UseUsualServer,
    /// Show or hide the settings window.
    ToggleSettings,
    /// Allow this many minutes for each try (`None`: each model's usual time).
    SetTimeout(Option<u32>),
    /// "Allow more time" on a job that did not get an answer in time: the next longer time.
    AllowMoreTime,
    /// Retry a job once a minute has passed (it was rate limited); pressed again, not.
    WaitAndRetry(JobId),
    /// Open a web page (a dashboard, a key page) with the desktop's browser; if none opens,
    /// the address is shown to copy.
    OpenLink(String),
    /// Copy the diagnostics report of one job (from this run or an earlier one).
    CopyJobReport(JobId),
    /// Write pictures where Easel's own chooser said.
    SaveTo {
        batch: super::saving::SaveBatch,
        path: std::path::PathBuf,
    },
    /// Easel's own chooser picked a start image (`mask: false`) or a mask: check it, then use it.
    UseChosenImage {
        path: std::path::PathBuf,
        mask: bool,
    },
    /// Easel's own file chooser wants a folder's entries (only folders when saving into one).
    ListFolder {
        folder: std::path::PathBuf,
        folders_only: bool,
    },

    /// Talk to another provider (or another server): the workspace's engine is rebuilt.
    SwitchProvider {
        kind: ProviderKind,
        base_url: Option<String>,
        api_key_header: bool,
    },
    /// Ask the provider for its model list again.
    RefreshModels,
    /// "Start from a picture..." (or "Add a picture..."): open the file dialog.
    PickInitImage,
    /// Choose the inpainting mask (async file dialog).
    PickMask,
    /// Files were dropped on the window: start images, once checked off the UI thread.
    UseDroppedImages(Vec<std::path::PathBuf>),
    /// Ctrl+V with a picture on the clipboard: it becomes a start image.
    UsePastedImage(std::sync::Arc<egui::ColorImage>),
    /// Ctrl+V with text on the clipboard outside a text box: a copied picture file (its path
    /// or `file://` address) becomes a start image.
    UsePastedText(String),
    /// Say what a chosen file is (its size, how it will be sent), for the prompt panel.
    InspectFile(std::path::PathBuf),

    /// "Edit this picture": start from it alone and paint the part to change.
    EditImage(i64),
    /// A variation: the same prompt from this picture at a low strength, sent at once.
    Vary(i64),
    /// Enlarge a picture this many times; the result is a new picture in the gallery.
    Upscale {
        image: i64,
        factor: u32,
    },
    /// Open a picture that may not be listed in the gallery (what another was made from).
    OpenRecord(Box<easel_engine::store::ImageRecord>),
    /// Compare the two picked pictures.
    Compare,
    CloseCompare,
    /// Paint the part to change on the first start image.
    PaintMask,
    ClosePainter,
    /// The painting changed: write its mask (at the start image's size) and use it.
    SaveMask(Box<easel_engine::mask::Painting>),
    /// "Change the whole picture": the mask was taken out of the draft.
    MaskRemoved,
    /// The start images were removed or reordered in the strip.
    StartImagesChanged,
    /// Start the built-in sandbox and point the window at it.
    TrySandbox,
    /// Show or hide the help and troubleshooting window.
    ToggleHelp,
    /// Open the logs folder with the desktop's file manager.
    OpenLogsFolder,

    /// Read the recent prompts and the presets for the history window.
    ReadHistory,
    /// Keep the draft under a name.
    SavePreset {
        name: String,
        draft: Box<SettingsDraft>,
    },
    DeletePreset(String),

    /// Check every picture against its file, from the settings window.
    CheckLibrary,
    /// Jobs of an earlier run wait for this service's key: switch to it and open the key window.
    AddKeyFor {
        kind: ProviderKind,
        base_url: Option<String>,
    },
    /// Open the "Try on several models" window.
    OpenSeveralModels,
    /// Send the draft to each of these models (on its service) as one group.
    TryModels(Vec<(easel_engine::ServiceSpec, String)>),
    /// Show a try-on-several-models group side by side.
    OpenGroup(String),
    CloseGroup,
}

/// A read from the library for the gallery. `generation` names the query it is for, so the
/// answer to a query the person already changed can be dropped.
pub enum LibraryRead {
    /// A page of images from `offset`, newest first.
    Page { generation: u64, filter: ImageFilter, offset: u32 },
    /// How many images the query lists over all its pages.
    Count { generation: u64, filter: ImageFilter },
    /// The jobs that failed or are unknown, whose prompt holds `text` (lower case; empty for all).
    FailedJobs { generation: u64, text: String },
}
