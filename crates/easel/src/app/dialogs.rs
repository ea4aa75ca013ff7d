//! Seams to the desktop: file dialogs (the portal's in production, a fake in tests) and the
//! opener of links and folders (`xdg-open` in production).

use std::path::PathBuf;

/// Called once with the chosen path, or `None` when the person cancelled (or no dialog could
/// be shown). May be called from any thread.
pub type DialogReply = Box<dyn FnOnce(Option<PathBuf>) + Send>;

/// Asks the person where to put files. Implementations must return at once and answer
/// through the reply later: the UI thread never waits for a dialog.
pub trait Dialogs: Send + Sync {
    /// Where to save one image; `default_name` is offered as the file name.
    fn save_file(&self, default_name: &str, reply: DialogReply);
    /// A folder to save several images into.
    fn pick_folder(&self, reply: DialogReply);
    /// An image file to start from (image-to-image). Without a dialog, the answer is "cancelled".
    fn pick_file(&self, reply: DialogReply) {
        reply(None);
    }
    /// Whether these dialogs can be shown at all on this desktop. When not, the window uses
    /// its own file chooser instead (a dialog that cannot appear answers "cancelled", and the
    /// person would be left with nothing). May block briefly: asked off the UI thread.
    fn available(&self) -> bool {
        true
    }
}

/// No dialogs: every one answers "cancelled" (benchmarks and tests that show none).
pub struct NoDialogs;

impl Dialogs for NoDialogs {
    fn save_file(&self, _default_name: &str, reply: DialogReply) {
        reply(None);
    }
    fn pick_folder(&self, reply: DialogReply) {
        reply(None);
    }
}

/// The desktop's own dialogs through rfd's XDG portal backend, run on a blocking worker of
/// the runtime so that the window stays responsive.
pub struct RfdDialogs {
    runtime: tokio::runtime::Handle,
    /// Whether the session bus offers a file-chooser portal, asked once.
    portal: std::sync::OnceLock<bool>,
}

impl RfdDialogs {
    pub fn new(runtime: tokio::runtime::Handle) -> Self {
        Self { runtime, portal: std::sync::OnceLock::new() }
    }
}

/// The desktop portal's service and its file chooser.
const PORTAL: &str = "org.freedesktop.portal.Desktop";
const PORTAL_PATH: &str = "/org/freedesktop/portal/desktop";
const FILE_CHOOSER: &str = "org.freedesktop.portal.FileChooser";

/// Whether the session bus has a file-chooser portal: the portal answers for its FileChooser
/// interface (starting it if the bus can). No bus, no portal, or a portal without a file
/// chooser backend all mean no.
fn portal_file_chooser() -> Result<(), String> {
    let connection = zbus::blocking::connection::Builder::session()
        .and_then(|b| b.method_timeout(std::time::Duration::from_secs(5)).build())
        .map_err(|e| format!("no session bus: {e}"))?;
    let proxy = zbus::blocking::Proxy::new(&connection, PORTAL, PORTAL_PATH, FILE_CHOOSER).map_err(|e| e.to_string())?;
    proxy.get_property::<u32>("version").map(drop).map_err(|e| format!("no file-chooser portal: {e}"))
}

impl Dialogs for RfdDialogs {
    fn available(&self) -> bool {
        *self.portal.get_or_init(|| match portal_file_chooser() {
            Ok(()) => true,
            Err(why) => {
                super::logging::note(&format!("Easel uses its own file chooser: {why}"));
                false
            }
        })
    }

    fn save_file(&self, default_name: &str, reply: DialogReply) {
        let default_name = default_name.to_owned();
        let runtime = self.runtime.clone();
        self.runtime.spawn_blocking(move || {
            let dialog = rfd::AsyncFileDialog::new()
                .set_title("Save image as")
                .set_file_name(default_name)
                .add_filter("PNG image", &["png"])
                .add_filter("JPEG image", &["jpg", "jpeg"])
                .add_filter("WebP image", &["webp"]);
            let chosen = runtime.block_on(dialog.save_file());
            reply(chosen.map(|file| file.path().to_path_buf()));
        });
    }

    fn pick_folder(&self, reply: DialogReply) {
        let runtime = self.runtime.clone();
        self.runtime.spawn_blocking(move || {
            let dialog = rfd::AsyncFileDialog::new().set_title("Save the selected images into this folder");
            let chosen = runtime.block_on(dialog.pick_folder());
            reply(chosen.map(|folder| folder.path().to_path_buf()));
        });
    }

    fn pick_file(&self, reply: DialogReply) {
        let runtime = self.runtime.clone();
        self.runtime.spawn_blocking(move || {
            let dialog =
                rfd::AsyncFileDialog::new().set_title("Start from this image").add_filter("Image", &["png", "jpg", "jpeg", "webp"]);
            let chosen = runtime.block_on(dialog.pick_file());
            reply(chosen.map(|file| file.path().to_path_buf()));
        });
    }
}

/// Opens a web address or a folder with the desktop's own program. Blocking: the command layer
/// calls it on a worker. The error is a plain sentence (the address is shown to copy then).
pub trait Opener: Send + Sync {
    fn open(&self, target: &str) -> Result<(), String>;
}
