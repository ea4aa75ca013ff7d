//! A job's phase in words, honestly timed: how long each phase has taken so far, an estimate
//! that counts down, and once it ran out, "taking longer than expected (2 min 10 s so far)".

use super::JobRow;
use crate::app::words::elapsed_text;
use easel_engine::JobState;
use std::time::{Duration, Instant};

impl JobRow {
    /// The state in words at `now`: "sending (12 s)", "being made, about 8 s left", "failed
    /// after 3 s".
    pub(super) fn state_text(&self, now: Instant) -> String {
        let phase = elapsed_text(now.saturating_duration_since(self.since));
        let total = elapsed_text(self.finished_at.unwrap_or(now).saturating_duration_since(self.started));
        let left = self.deadline.map(|deadline| deadline.saturating_duration_since(now));
        let estimate = |doing: &str| match left {
            Some(left) if !left.is_zero() => format!("{doing}, about {} left", elapsed_text(left + Duration::from_millis(999))),
            Some(_) => format!("{doing}, taking longer than expected ({phase} so far)"),
            None => format!("{doing} ({phase} so far)"),
        };
        match &self.state {
            JobState::Queued => format!("waiting for a free place ({phase})"),
            JobState::Uploading => format!("uploading the start image ({phase})"),
            JobState::Sending { attempt: 1 } => format!("sending ({phase})"),
            JobState::Sending { attempt } => format!("sending, try {attempt} ({phase})"),
            JobState::Waiting { reason, .. } => match left {
                Some(left) if !left.is_zero() => format!("waiting {} s ({})", left.as_secs_f64().ceil(), reason.label()),
                _ => format!("trying again ({})", reason.label()),
            },
            JobState::Processing { .. } => estimate("being made"),
            JobState::Generating { progress, .. } => estimate(&format!("generating {:.0}%", progress * 100.0)),
            JobState::Downloading { index, total } => format!("downloading {index} of {total} ({phase})"),
            JobState::WaitingForRoom { pictures, problem, .. } => match left {
                Some(left) if !left.is_zero() => format!(
                    "{problem} Keeping {pictures} picture(s), saving again in {} s. Nothing is sent again.",
                    left.as_secs_f64().ceil()
                ),
                _ => format!("{problem} Keeping {pictures} picture(s), saving again. Nothing is sent again."),
            },
            JobState::Done { .. } => format!("done in {total}"),
            JobState::Failed { .. } => format!("failed after {total}"),
            JobState::Cancelled => "cancelled".to_owned(),
            JobState::Unknown => "unknown: Easel stopped before the answer came (it may have been made and charged)".to_owned(),
        }
    }

    /// How long until the row's words change, while they count: once a second (never every
    /// frame), at the next whole second of the phase or of the estimate.
    pub(super) fn next_tick(&self, now: Instant) -> Option<Duration> {
        if let Some(at) = self.retry_at {
            return Some(down_to_next_second(at.saturating_duration_since(now)));
        }
        if self.finished {
            return None;
        }
        Some(match self.deadline {
            Some(deadline) if deadline > now => down_to_next_second(deadline - now),
            _ => up_to_next_second(now.saturating_duration_since(self.since)),
        })
    }

    /// The state changed: a new phase starts its clock, the same phase (another poll of a job
    /// being made) keeps it, and an estimate is fixed once per phase, so it only counts down.
    pub(super) fn enter(&mut self, state: &JobState, now: Instant) {
        let same_phase = match (&self.state, state) {
            (JobState::Processing { .. }, JobState::Processing { .. }) | (JobState::Generating { .. }, JobState::Generating { .. }) => true,
            (JobState::Downloading { .. }, JobState::Downloading { .. }) => true,
            (a, b) => a == b && !matches!(b, JobState::Waiting { .. } | JobState::WaitingForRoom { .. }),
        };
        if !same_phase {
            self.since = now;
            self.deadline = None;
        }
        let estimate = match state {
            JobState::Waiting { seconds, .. } | JobState::WaitingForRoom { seconds, .. } => Some(*seconds),
            JobState::Processing { eta_seconds } | JobState::Generating { eta_seconds, .. } => *eta_seconds,
            _ => None,
        };
        if self.deadline.is_none()
            && let Some(seconds) = estimate.filter(|s| s.is_finite() && *s >= 0.0)
        {
            self.deadline = Some(now + Duration::from_secs_f64(seconds.min(86_400.0)));
        }
        if matches!(
            state,
            JobState::Processing { .. } | JobState::Generating { .. } | JobState::Downloading { .. } | JobState::WaitingForRoom { .. }
        ) {
            self.accepted = true;
        }
        if matches!(state, JobState::Done { .. } | JobState::Failed { .. } | JobState::Cancelled | JobState::Unknown) {
            self.finished_at.get_or_insert(now);
        }
        self.state = state.clone();
    }
}

/// A countdown shows whole seconds rounded up: it changes when its fraction has run out.
fn down_to_next_second(left: Duration) -> Duration {
    let fraction = left.subsec_nanos();
    Duration::from_nanos(if fraction == 0 { 1_000_000_000 } else { u64::from(fraction) }).max(MIN_TICK)
}

/// A clock shows whole seconds gone: it changes at the next whole second.
fn up_to_next_second(gone: Duration) -> Duration {
    Duration::from_nanos(1_000_000_000 - u64::from(gone.subsec_nanos())).max(MIN_TICK)
}

/// Never sooner than this, so a clock that just turned over does not ask for a frame at once.
const MIN_TICK: Duration = Duration::from_millis(20);
