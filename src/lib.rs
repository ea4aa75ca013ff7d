//! Easel: make images through hosted image-generation APIs, with every failure explained.
//!
//! Layers, which never point backwards:
//! - [`engine`]: providers, jobs, retry policy, output intake, library, diagnostics. No egui.
//! - [`cli`]: the command-line face on the engine.
//! - [`app`]: the desktop window, the other face (egui/eframe); it reuses the CLI's doctor checks.
//! - [`sandbox`]: a local server speaking the providers' protocols, for trying and testing.

// `EngineError` is the value every face shows a person (message, hint, detail, fields); it
// travels rarely and by value on purpose, so clippy's size advice for `Err` does not apply.
#![allow(clippy::result_large_err)]

pub mod app;
pub mod cli;
pub mod engine;
pub mod sandbox;
