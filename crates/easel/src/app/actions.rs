//! What the person asked for this frame. Panels only draw and push actions; the workspace
//! carries them out after drawing, so UI code never touches the engine or the disk.

use easel_engine::JobId;
use easel_engine::keys::ApiKey;
use easel_engine::provider::ProviderKind;

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
    CopyImage(i64),
    SaveImageAs(i64),
    SavePickedToFolder,

    CopyCurl(usize),
    CopyReport,
    CheckConnection,
    ToggleDiagnostics,

    /// Stop using the server override and go back to the provider's usual server.
    UseUsualServer,

    /// Talk to another provider (or another server): the workspace's engine is rebuilt.
    SwitchProvider {
        kind: ProviderKind,
        base_url: Option<String>,
        api_key_header: bool,
    },
    /// Ask the provider for its model list again.
    RefreshModels,
    /// "Start from an image...": open the file dialog.
    PickInitImage,
    /// Choose the inpainting mask (async file dialog).
    PickMask,
    /// A file was dropped on the window: the start image, once checked off the UI thread.
    UseDroppedImage(std::path::PathBuf),
    /// Start the built-in sandbox and point the window at it.
    TrySandbox,
    /// Show or hide the help and troubleshooting window.
    ToggleHelp,
    /// Open the logs folder with the desktop's file manager.
    OpenLogsFolder,
}
