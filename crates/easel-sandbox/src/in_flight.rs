//! In-flight job accounting: how many generation jobs run at once, the most there ever were,
//! and the queue limit that refuses one more.

use std::sync::{Arc, Mutex};

use crate::shared::lock;

/// Counts generation jobs in flight and enforces the queue limit.
pub(crate) struct InFlight {
    limit: usize,
    counts: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    current: usize,
    peak: usize,
}

impl InFlight {
    pub(crate) fn new(limit: usize) -> Arc<Self> {
        Arc::new(Self { limit, counts: Mutex::default() })
    }

    /// Admits one more job, unless `limit` jobs are already in flight.
    pub(crate) fn try_acquire(self: &Arc<Self>) -> Option<JobSlot> {
        let mut counts = lock(&self.counts);
        if counts.current >= self.limit {
            return None;
        }
        Some(self.count_one(&mut counts))
    }

    /// Counts one more job without enforcing the limit, for a service that queues everything
    /// (AUTOMATIC1111).
    pub(crate) fn acquire_unlimited(self: &Arc<Self>) -> JobSlot {
        let mut counts = lock(&self.counts);
        self.count_one(&mut counts)
    }

    /// The largest number of jobs that were in flight at the same time.
    pub(crate) fn peak(&self) -> usize {
        lock(&self.counts).peak
    }

    fn count_one(self: &Arc<Self>, counts: &mut Counts) -> JobSlot {
        counts.current += 1;
        counts.peak = counts.peak.max(counts.current);
        JobSlot(Arc::clone(self))
    }
}

/// One job's place in the in-flight count; the job stops counting when this is dropped.
pub(crate) struct JobSlot(Arc<InFlight>);

impl Drop for JobSlot {
    fn drop(&mut self) {
        lock(&self.0.counts).current -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{generation, post, text2img};
    use crate::{Sandbox, SandboxConfig, Scenario};
    use std::time::Duration;

    #[test]
    fn slots_count_until_dropped_and_the_peak_stays() {
        let in_flight = InFlight::new(2);
        let first = in_flight.try_acquire().unwrap();
        let second = in_flight.try_acquire().unwrap();
        assert!(in_flight.try_acquire().is_none());
        let third = in_flight.acquire_unlimited();
        assert_eq!(in_flight.peak(), 3);
        drop((first, second, third));
        assert!(in_flight.try_acquire().is_some());
        assert_eq!(in_flight.peak(), 3);
    }

    #[tokio::test]
    async fn queue_limit_answers_429() {
        let config = SandboxConfig { queue_limit: 2, ..SandboxConfig::new(Scenario::ProcessingForever) };
        let sandbox = Sandbox::start(config).await.unwrap();
        for _ in 0..2 {
            let (_, queued) = post(&text2img(&sandbox), generation()).await;
            assert_eq!(queued["status"], "processing");
        }
        let (status, limited) = post(&text2img(&sandbox), generation()).await;
        assert_eq!(status, 429);
        assert_eq!(limited["retry_after"], 30, "the documented queue-full answer");
        assert_eq!(limited["message"], "Rate limit exceeded. Maximum 2 queued requests allowed.");
        assert_eq!(sandbox.max_in_flight(), 2);
        assert_eq!(sandbox.rate_limited_count(), 1);
    }

    #[tokio::test]
    async fn job_duration_overlaps_concurrent_jobs() {
        let config = SandboxConfig { job_duration: Duration::from_millis(100), ..SandboxConfig::new(Scenario::Success) };
        let sandbox = Sandbox::start(config).await.unwrap();
        let url = text2img(&sandbox);
        let replies = tokio::join!(post(&url, generation()), post(&url, generation()), post(&url, generation()));
        assert_eq!(replies.0.1["status"], "success");
        assert_eq!(sandbox.max_in_flight(), 3);
    }
}
