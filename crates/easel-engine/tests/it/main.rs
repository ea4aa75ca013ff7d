//! The engine's integration tests, in one binary so the crate links once: engine scenarios
//! against the sandbox, every provider's suite, the fault matrix against a hostile server,
//! the property tests over the parsers, and finding the key.
#![allow(clippy::unwrap_used)]
// Fuzz cases call parsers only to prove they do not panic, and a test may ignore how a child
// process it killed ended: discarding those results is the point.
#![allow(clippy::let_underscore_must_use)]

mod editing;
mod engine_scenarios;
mod fault_matrix;
mod fuzz_props;
mod keys;
mod modelslab_real;
mod openai;
mod providers;
mod services;
