//! When the disk has no room (or the data folder cannot be written) for a picture that arrived:
//! the picture is held in memory and saved as soon as it works, at the waits
//! [`crate::retry::storage_wait`] sets, while the person is told in plain words. Nothing is
//! sent again. Past the policy's patience the job gives up; pictures the service still keeps
//! are collected later (`easel resume`, or the window at start).

use super::Job;
use super::collect::Picture;
use crate::error::EngineError;
use crate::provider::MadeWith;
use crate::retry::{self, WaitReason, WaitSource};
use crate::store::{ImageRecord, StoreError, storage_error};
use crate::{EventKind, JobState};
use std::time::Instant;

impl Job {
    /// Save `picture` once there is room; `waiting` pictures (it and those after it) wait.
    pub(super) async fn save_when_there_is_room(
        &self,
        picture: Picture,
        made: &MadeWith,
        waiting: usize,
        first: StoreError,
    ) -> Result<ImageRecord, EngineError> {
        tracing::warn!("job {}: a picture arrived but could not be saved, so it is held: {first}", self.id);
        let policy = self.inner.config.policy.clone();
        let since = Instant::now();
        let mut error = first;
        let mut tries = 0;
        while let Some(wait) = retry::storage_wait(&policy, tries, since.elapsed()) {
            tries += 1;
            let seconds = wait.as_secs_f64();
            self.emit(EventKind::Wait { seconds, reason: WaitReason::Storage, source: WaitSource::Backoff });
            let problem = error.storage_problem().sentence().to_owned();
            self.state(JobState::WaitingForRoom { pictures: waiting, seconds, problem });
            tokio::time::sleep(wait).await;
            match self.save(picture.clone(), made).await {
                Ok(record) => return Ok(record),
                Err(e) => error = e,
            }
        }
        Err(self.no_room(&error, waiting).await)
    }

    /// The job gives up saving: what happened, and whether the pictures can still be had.
    async fn no_room(&self, error: &StoreError, waiting: usize) -> EngineError {
        let what = format!("{waiting} picture(s) arrived but Easel could not save them.");
        let hint = if !self.collectable_later {
            "The service sent them only once, so they could not be kept. Free some disk space before you try again.".to_owned()
        } else {
            let until = match self.collect_before_ms {
                Some(ms) => format!(" until {}", self.local_clock(ms).await),
                None => String::new(),
            };
            format!(
                "The service keeps them{until}: free some disk space, then run easel resume (or open Easel again) to save them. Nothing is sent again."
            )
        };
        storage_error(error, &what).with_hint(hint)
    }
}
