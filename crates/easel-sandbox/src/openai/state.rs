//! OpenAI's state in one sandbox: how many generation requests were admitted.

use std::sync::atomic::{AtomicUsize, Ordering};

/// OpenAI-specific state of one sandbox.
#[derive(Default)]
pub(crate) struct ProtocolState {
    /// Generation requests admitted so far (scenarios like `rate_limited` script the first few).
    submissions: AtomicUsize,
}

impl ProtocolState {
    /// Counts one admitted submission; returns how many came before it.
    pub(super) fn next_submission(&self) -> usize {
        self.submissions.fetch_add(1, Ordering::Relaxed)
    }
}
