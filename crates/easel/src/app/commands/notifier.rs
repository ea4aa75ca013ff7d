//! Desktop notifications through the freedesktop notification service on the session bus
//! (`org.freedesktop.Notifications`), spoken with zbus (already in Easel's tree for the file
//! portal). Works with any desktop that runs a notification server: GNOME, KDE, XFCE, dunst…
//!
//! - the picture goes as the `image-path` hint (a `file://` address); servers that show no
//!   images ignore it;
//! - the sound is the desktop's own (`sound-name`, from the freedesktop sound theme), and
//!   `suppress-sound` when the person turned it off;
//! - a "default" action only when the server says it supports actions; clicking it sends
//!   `ActionInvoked`, which a listening thread reports.

use super::Commands;
use crate::app::inbox::Message;
use crate::app::notify::{Clicked, Note, Notifier};
use std::collections::HashMap;
use std::sync::OnceLock;
use std::sync::atomic::Ordering;
use std::time::Duration;
use zbus::blocking::{Connection, Proxy};
use zbus::zvariant::Value;

const SERVICE: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";
const INTERFACE: &str = "org.freedesktop.Notifications";
/// The key of the action that clicking the notification itself invokes.
const DEFAULT_ACTION: &str = "default";

/// The desktop's notification service.
pub struct DbusNotifier {
    /// A bus address; `None`: the session bus.
    address: Option<String>,
    connection: OnceLock<Result<Connection, String>>,
    /// What the server says it can do, asked once.
    capabilities: OnceLock<Vec<String>>,
}

impl DbusNotifier {
    /// The session bus's notification service (connected when first used).
    pub fn session() -> Self {
        Self { address: None, connection: OnceLock::new(), capabilities: OnceLock::new() }
    }

    /// The notification service on the bus at `address` (a private bus, in tests).
    pub fn at(address: impl Into<String>) -> Self {
        Self { address: Some(address.into()), ..Self::session() }
    }

    fn connection(&self) -> Result<&Connection, String> {
        self.connection
            .get_or_init(|| {
                let builder = match &self.address {
                    Some(address) => zbus::blocking::connection::Builder::address(address.as_str()),
                    None => zbus::blocking::connection::Builder::session(),
                };
                builder
                    .and_then(|b| b.method_timeout(Duration::from_secs(5)).build())
                    .map_err(|e| format!("no session bus for notifications: {e}"))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    fn proxy(&self) -> Result<Proxy<'static>, String> {
        let connection = self.connection()?;
        Proxy::new(connection, SERVICE, PATH, INTERFACE).map_err(|e| format!("no notification service: {e}"))
    }

    fn capabilities(&self, proxy: &Proxy<'_>) -> &[String] {
        self.capabilities.get_or_init(|| {
            proxy.call::<_, _, Vec<String>>("GetCapabilities", &()).unwrap_or_else(|e| {
                crate::app::logging::note(&format!("the notification service did not say what it can do: {e}"));
                Vec::new()
            })
        })
    }
}

impl Notifier for DbusNotifier {
    fn notify(&self, note: &Note, replaces: u32) -> Result<u32, String> {
        let proxy = self.proxy()?;
        let can = |what: &str| self.capabilities(&proxy).iter().any(|c| c == what);
        let mut hints: HashMap<&str, Value<'_>> = HashMap::new();
        hints.insert("desktop-entry", Value::from(crate::app::APP_ID));
        hints.insert("category", Value::from(if note.failed { "transfer.error" } else { "transfer.complete" }));
        hints.insert("urgency", Value::U8(1));
        let image = note.image.as_deref().and_then(|path| url::Url::from_file_path(path).ok()).map(String::from);
        if let Some(image) = &image {
            hints.insert("image-path", Value::from(image.as_str()));
        }
        if note.sound {
            hints.insert("sound-name", Value::from(if note.failed { "dialog-warning" } else { "complete" }));
        } else {
            hints.insert("suppress-sound", Value::Bool(true));
        }
        let actions: Vec<&str> = if can("actions") { vec![DEFAULT_ACTION, "Show the picture"] } else { Vec::new() };
        let args = (crate::app::TITLE, replaces, crate::app::APP_ID, note.summary.as_str(), note.body.as_str(), actions, hints, -1i32);
        proxy.call::<_, _, u32>("Notify", &args).map_err(|e| format!("the notification was not shown: {e}"))
    }

    fn listen(&self, clicked: Clicked) {
        let proxy = match self.proxy() {
            Ok(proxy) => proxy,
            Err(why) => return crate::app::logging::note(&format!("clicks on notifications will not be heard: {why}")),
        };
        let signals = match proxy.receive_signal("ActionInvoked") {
            Ok(signals) => signals,
            Err(e) => return crate::app::logging::note(&format!("clicks on notifications will not be heard: {e}")),
        };
        let spawned = std::thread::Builder::new().name("easel-notification-clicks".into()).spawn(move || {
            for message in signals {
                match message.body().deserialize::<(u32, String)>() {
                    Ok((id, action)) if action == DEFAULT_ACTION => clicked(id),
                    Ok(_) => {}
                    Err(e) => crate::app::logging::note(&format!("a notification click could not be read: {e}")),
                }
            }
        });
        if let Err(e) = spawned {
            crate::app::logging::note(&format!("clicks on notifications will not be heard: {e}"));
        }
    }
}

impl Commands {
    /// Show `note` (in place of notification `replaces`), off the UI thread; the first time,
    /// start listening for clicks on Easel's notifications. The desktop's id comes back as
    /// [`Message::Notified`]; a desktop without notifications is only noted in the log.
    pub fn notify(&self, note: Note, replaces: u32) {
        let notifier = self.notifier.clone();
        let first = !self.listening.swap(true, Ordering::SeqCst);
        let inbox = self.bg.inbox().clone();
        self.bg.blocking_maybe(move || {
            if first {
                notifier.listen(Box::new(move |id| inbox.post(Message::NotificationClicked(id))));
            }
            match notifier.notify(&note, replaces) {
                Ok(id) => Some(Message::Notified(id)),
                Err(why) => {
                    crate::app::logging::note(&format!("no notification was shown: {why}"));
                    None
                }
            }
        });
    }
}
