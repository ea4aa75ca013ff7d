//! The app crate's integration tests, in one binary so the crate links once: the command line,
//! resume after kill -9, the secrecy audit, the real keyring, the kittest window suites and the
//! release window under Xvfb.
#![allow(clippy::unwrap_used)]
// Fuzz cases call parsers only to prove they do not panic, and a test may ignore how a child
// process it killed ended: discarding those results is the point.
#![allow(clippy::let_underscore_must_use)]

mod cli;
mod docs;
mod keyring;
mod kill_loop;
mod library_cli;
mod no_portal;
mod notify;
mod real_editing;
mod resume;
mod secrecy;
mod smoke;
mod ui;
mod ui_editing;
mod ui_library;
mod ui_plain;
mod ui_services;
mod window;
