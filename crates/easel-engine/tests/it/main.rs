//! The engine's integration tests, in one binary so the crate links once: engine scenarios
//! against the sandbox, every provider's suite, the fault matrix against a hostile server,
//! and the property tests over the parsers.
#![allow(clippy::unwrap_used)]

mod engine_scenarios;
mod fault_matrix;
mod fuzz_props;
mod providers;
