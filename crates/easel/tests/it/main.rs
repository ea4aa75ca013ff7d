//! The app crate's integration tests, in one binary so the crate links once: the command line,
//! resume after kill -9, the secrecy audit, the real keyring, the kittest window suites and the
//! release window under Xvfb.
#![allow(clippy::unwrap_used)]

mod cli;
mod docs;
mod keyring;
mod kill_loop;
mod resume;
mod secrecy;
mod smoke;
mod ui;
mod ui_library;
mod window;
