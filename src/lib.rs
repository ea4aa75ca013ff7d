//! Easel: make images through hosted image-generation APIs, with every failure explained.
//!
//! Layers, which never point backwards:
//! - [`engine`]: providers, jobs, retry policy, output intake, library, diagnostics. No egui.
//! - [`cli`]: the command-line face on the engine.
//! - [`app`]: the desktop window, the other face (egui/eframe); it reuses the CLI's doctor checks.
//! - [`sandbox`]: a local server speaking the providers' protocols, for trying and testing.

pub mod app;
pub mod cli;
pub mod engine;
pub mod sandbox;
