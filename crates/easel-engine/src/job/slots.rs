//! How many jobs may be with the service at once. ModelsLab limits the jobs an account has
//! queued (5, 10 or 15 by plan, across every program using the key) and says its number when
//! it refuses one: "Rate limit exceeded. Maximum 10 queued requests allowed." The engine starts
//! at the provider's usual number (or the person's) and takes the service's word from then on:
//! from the refusal's text, or, when the text has no number, from
//! `processing/request_count` asked at the moment the queue was full.

use super::Job;
use crate::http::MAX_API_BODY;
use crate::recorder::Exchange;
use crate::retry::{self, RateLimitHints};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{AcquireError, OwnedSemaphorePermit, Semaphore};

/// `processing/request_count` is throttled to 30 calls a minute: Easel asks at most this often.
const QUEUE_COUNT_EVERY: Duration = Duration::from_secs(60);
const QUEUE_COUNT_TIMEOUT: Duration = Duration::from_secs(10);

/// The engine's places for jobs in flight, resizable while jobs run.
pub(crate) struct Slots {
    semaphore: Arc<Semaphore>,
    state: Mutex<State>,
}

struct State {
    /// Places there are now (some may still be taken by running jobs after a shrink).
    total: usize,
    started_with: usize,
    /// The person chose the number: the service's may lower it, never raise it.
    person_chose: bool,
    last_count: Option<Instant>,
}

impl Slots {
    pub(crate) fn new(started_with: usize, person_chose: bool) -> Arc<Self> {
        let started_with = started_with.max(1);
        Arc::new(Self {
            semaphore: Arc::new(Semaphore::new(started_with)),
            state: Mutex::new(State { total: started_with, started_with, person_chose, last_count: None }),
        })
    }

    /// Wait for a place.
    pub(crate) async fn acquire(&self) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.semaphore.clone().acquire_owned().await
    }

    /// How many places there are.
    pub(crate) fn total(&self) -> usize {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).total
    }

    /// The person chose `n` places: from now on the service's word may lower it, never raise
    /// it. Call it inside the runtime (a shrink waits there for running jobs to end).
    pub(crate) fn choose(&self, n: usize) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.started_with = n.max(1);
        state.person_chose = true;
        self.resize(&mut state, n.max(1));
    }

    /// The account's queue cap is `limit`: make the places fit it. Places taken by running
    /// jobs are given up as those jobs end.
    pub(crate) fn set_queue_limit(&self, limit: u32) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let wanted = retry::job_slots(state.started_with, state.person_chose, Some(limit), 0);
        if wanted != state.total {
            tracing::info!("the service allows {limit} queued jobs: Easel now keeps {wanted} in flight");
        }
        self.resize(&mut state, wanted);
    }

    /// Grow the places at once, or shrink them as running jobs end.
    fn resize(&self, state: &mut State, wanted: usize) {
        if wanted > state.total {
            self.semaphore.add_permits(wanted - state.total);
        } else if wanted < state.total {
            let surplus = (state.total - wanted) as u32;
            let semaphore = self.semaphore.clone();
            // Taken once free, before any later job (the semaphore is fair), and never given back.
            tokio::spawn(async move {
                if let Ok(places) = semaphore.acquire_many_owned(surplus).await {
                    places.forget();
                }
            });
        }
        state.total = wanted;
    }

    /// Whether it is time to ask the service how many jobs it is making (and notes that it is).
    fn may_count(&self) -> bool {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let due = state.last_count.is_none_or(|at| at.elapsed() >= QUEUE_COUNT_EVERY);
        if due {
            state.last_count = Some(Instant::now());
        }
        due
    }
}

impl Job {
    /// After "too many requests": learn the account's queue cap from the refusal's words, or
    /// from how many jobs the service is making now, and fit the engine's places to it.
    pub(super) async fn learn_queue_limit(&mut self, hints: &RateLimitHints) {
        let limit = match hints.queue_limit {
            Some(limit) => Some(limit),
            None if self.service.slots.may_count() => self.queue_count().await.filter(|n| *n >= 1),
            None => None,
        };
        if let Some(limit) = limit {
            self.service.slots.set_queue_limit(limit);
        }
    }

    /// How many of the account's jobs the service is making, if it says.
    async fn queue_count(&mut self) -> Option<u32> {
        let call = self.service.provider.queue_count(self.key.as_ref())?;
        let (exchange, record) = self.exchange(&call, QUEUE_COUNT_TIMEOUT, MAX_API_BODY).await;
        let count = match &exchange {
            Exchange::Reply(reply) => self.service.provider.parse_queue_count(reply),
            Exchange::Transport(_) => None,
        };
        // Only a help: whatever it answered, the job goes on as the rate limit decides.
        self.finish_record(record, None);
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn places_grow_at_once_and_shrink_as_jobs_end() {
        let slots = Slots::new(2, false);
        let first = slots.acquire().await.unwrap();
        let second = slots.acquire().await.unwrap();
        slots.set_queue_limit(3);
        assert_eq!(slots.total(), 3);
        let third = slots.acquire().await.unwrap();
        slots.set_queue_limit(1);
        drop((first, second));
        tokio::task::yield_now().await;
        drop(third);
        let only = slots.acquire().await.unwrap();
        tokio::task::yield_now().await;
        assert_eq!(slots.semaphore.available_permits(), 0, "one place left, and it is taken");
        drop(only);
        assert_eq!(slots.total(), 1);

        let chosen = Slots::new(2, true);
        chosen.set_queue_limit(15);
        assert_eq!(chosen.total(), 2, "the person's number is never raised");
    }
}
