//! Easel: make images through hosted image-generation APIs, with every failure explained.
//!
//! This crate holds the two faces on the engine ([`easel_engine`]), and the `easel` binary:
//! - [`app`]: the desktop window (egui/eframe);
//! - [`cli`]: the command line, which also starts the window and the sandbox.
//!
//! The crates and what each may depend on are in ARCHITECTURE.md at the repository root.

pub mod app;
pub mod cli;
