//! The balance ledger: what jobs on a service with a balance (ModelsLab's wallet) really cost.
//!
//! Jobs on one key are followed in windows: the balance is read when the first job of a window
//! starts (before it is sent) and again when the last job in flight ends. A window of one job
//! gives its exact cost; when jobs overlapped, the fall in the balance is shared out by the
//! pictures each made, and marked so. A new job waits while a window's balance is being read,
//! so its charge can never land in the wrong window. A balance that rose (a top-up), a read
//! that failed, or a job picked up after a restart (charged before the first reading) leave
//! the cost unknown.

use super::{CostSource, JobCost};
use crate::keys::ApiKey;
use crate::provider::Balance;
use crate::recorder::Recorder;
use crate::service::{ServiceKey, ServiceRt};
use crate::{Event, EventKind, Inner, JobId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One account: a service and the key used on it (kept as a fingerprint, never the key).
type AccountId = (ServiceKey, String);

/// The windows and the last balance seen, per account.
#[derive(Default)]
pub(crate) struct Ledger {
    accounts: Mutex<HashMap<AccountId, Arc<tokio::sync::Mutex<Account>>>>,
    known: Mutex<HashMap<AccountId, Balance>>,
}

#[derive(Default)]
struct Account {
    window: Option<Window>,
}

struct Window {
    /// The balance before the window's first job was sent (`None`: it could not be read).
    before: Option<Balance>,
    members: Vec<Member>,
    /// Members still running.
    active: usize,
}

struct Member {
    job: JobId,
    /// Pictures it stored, once it ended.
    images: u32,
}

/// A job's place in its account's window, from before it is sent until it ends.
pub(crate) struct Ticket {
    inner: Arc<Inner>,
    service: Arc<ServiceRt>,
    key: Option<ApiKey>,
    account: Arc<tokio::sync::Mutex<Account>>,
    job: JobId,
    left: bool,
}

fn account_id(service: &ServiceRt, key: Option<&ApiKey>) -> AccountId {
    use sha2::Digest as _;
    let print = key.map(|k| crate::intake::hex(&sha2::Sha256::digest(k.expose().as_bytes()))[..16].to_owned()).unwrap_or_default();
    (service.key(), print)
}

impl Ledger {
    /// Keep the balance last seen for an account (a key check reads it too).
    pub(crate) fn remember(&self, service: &ServiceRt, key: Option<&ApiKey>, balance: Balance) {
        if let Ok(mut known) = self.known.lock() {
            known.insert(account_id(service, key), balance);
        }
    }

    /// The balance last seen for an account, if any.
    pub(crate) fn known(&self, service: &ServiceRt, key: Option<&ApiKey>) -> Option<Balance> {
        self.known.lock().ok()?.get(&account_id(service, key)).cloned()
    }

    fn account(&self, id: &AccountId) -> Option<Arc<tokio::sync::Mutex<Account>>> {
        Some(self.accounts.lock().ok()?.entry(id.clone()).or_default().clone())
    }

    /// Enter `job` into its account's window before it is sent, opening one (and reading the
    /// balance, recorded as the job's exchange) when none is open. `None` when the engine does
    /// not measure balances or the service has none.
    pub(crate) async fn enter(
        inner: &Arc<Inner>,
        service: &Arc<ServiceRt>,
        key: Option<&ApiKey>,
        job: &str,
        recorder: &mut Recorder,
    ) -> Option<Ticket> {
        if !inner.config.measure_balance || service.provider.balance(key).is_none() {
            return None;
        }
        let id = account_id(service, key);
        let account = inner.ledger.account(&id)?;
        let mut state = account.lock().await;
        if state.window.is_none() {
            let before = read(inner, service, key, recorder).await;
            state.window = Some(Window { before, members: Vec::new(), active: 0 });
        }
        if let Some(window) = state.window.as_mut() {
            window.members.push(Member { job: job.to_owned(), images: 0 });
            window.active += 1;
        }
        drop(state);
        Some(Ticket { inner: inner.clone(), service: service.clone(), key: key.cloned(), account, job: job.to_owned(), left: false })
    }
}

/// Read the balance; a failure is logged and leaves the window's costs unknown.
async fn read(inner: &Inner, service: &ServiceRt, key: Option<&ApiKey>, recorder: &mut Recorder) -> Option<Balance> {
    match crate::lookups::read_balance(recorder, service, key).await {
        Ok(balance) => {
            inner.ledger.remember(service, key, balance.clone());
            Some(balance)
        }
        Err(e) => {
            tracing::warn!("the balance could not be read, so what these jobs cost stays unknown: {}", e.message);
            None
        }
    }
}

impl Ticket {
    /// The job ended having stored `images` pictures. The last job of its window reads the
    /// balance again and writes what every job of the window cost.
    pub(crate) async fn leave(mut self, images: u32, recorder: &mut Recorder) {
        self.left = true;
        leave(&self.inner, &self.service, self.key.as_ref(), &self.account, &self.job, images, recorder).await;
    }
}

impl Drop for Ticket {
    /// A job stopped before it ended (cancelled): it leaves its window with no pictures, so the
    /// window can still close.
    fn drop(&mut self) {
        if self.left {
            return;
        }
        let (inner, service, key, account, job) =
            (self.inner.clone(), self.service.clone(), self.key.clone(), self.account.clone(), self.job.clone());
        self.inner.runtime.spawn(async move {
            let mut recorder = Recorder::new(inner.clone(), service.spec.kind, Some(job.clone()), key.as_ref());
            leave(&inner, &service, key.as_ref(), &account, &job, 0, &mut recorder).await;
        });
    }
}

async fn leave(
    inner: &Arc<Inner>,
    service: &ServiceRt,
    key: Option<&ApiKey>,
    account: &tokio::sync::Mutex<Account>,
    job: &str,
    images: u32,
    recorder: &mut Recorder,
) {
    let mut state = account.lock().await;
    let Some(window) = state.window.as_mut() else { return };
    if let Some(member) = window.members.iter_mut().find(|m| m.job == job) {
        member.images = images;
    }
    window.active = window.active.saturating_sub(1);
    if window.active > 0 {
        return;
    }
    // The account stays locked while the balance is read: no new job is sent meanwhile.
    let Some(window) = state.window.take() else { return };
    let after = read(inner, service, key, recorder).await;
    let (Some(before), Some(after)) = (window.before, after) else { return };
    for (member, cost) in shares(&before, &after, &window.members) {
        let store = inner.store.clone();
        let (id, written) = (member.clone(), cost.clone());
        match tokio::task::spawn_blocking(move || store.set_job_cost(&id, &written)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!("job {member}: the library did not take what it cost: {e}"),
            Err(e) => tracing::error!("job {member}: what it cost was not written: {e}"),
        }
        (inner.sink)(Event { job: Some(member), kind: EventKind::Cost(Box::new(cost)) });
    }
}

/// What each member of a window cost: the fall in the balance, shared by the pictures each made
/// (equally when none made any). Nothing when the currency changed or the balance rose.
fn shares(before: &Balance, after: &Balance, members: &[Member]) -> Vec<(JobId, JobCost)> {
    let spent = round(before.amount - after.amount);
    if before.currency != after.currency || spent < 0.0 || members.is_empty() {
        return Vec::new();
    }
    let source = if members.len() == 1 { CostSource::Balance } else { CostSource::BalanceShared };
    let total: u32 = members.iter().map(|m| m.images).sum();
    members
        .iter()
        .map(|m| {
            let amount = if total == 0 { spent / members.len() as f64 } else { spent * f64::from(m.images) / f64::from(total) };
            let cost = JobCost { amount: round(amount), currency: Some(after.currency.clone()), source, images: m.images, usage: None };
            (m.job.clone(), cost)
        })
        .collect()
}

/// Balances are kept to the millionth: below that is floating-point noise.
fn round(amount: f64) -> f64 {
    (amount * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(amount: f64) -> Balance {
        Balance { amount, currency: "USD".into() }
    }

    fn member(job: &str, images: u32) -> Member {
        Member { job: job.into(), images }
    }

    #[test]
    fn one_job_gets_the_whole_fall_and_overlapping_jobs_share_it_by_pictures() {
        let alone = shares(&usd(43.6), &usd(43.598), &[member("a", 1)]);
        assert_eq!(alone.len(), 1);
        assert_eq!((alone[0].1.amount, alone[0].1.source, alone[0].1.images), (0.002, CostSource::Balance, 1));

        let shared = shares(&usd(10.0), &usd(9.994), &[member("a", 1), member("b", 2)]);
        let amounts: Vec<f64> = shared.iter().map(|(_, c)| c.amount).collect();
        assert_eq!(amounts, [0.002, 0.004]);
        assert!(shared.iter().all(|(_, c)| c.source == CostSource::BalanceShared));

        let none_made = shares(&usd(1.0), &usd(0.9), &[member("a", 0), member("b", 0)]);
        assert_eq!(none_made.iter().map(|(_, c)| c.amount).collect::<Vec<_>>(), [0.05, 0.05], "charged for nothing, said so");
    }

    #[test]
    fn a_top_up_or_another_currency_leaves_the_cost_unknown() {
        assert!(shares(&usd(1.0), &usd(11.0), &[member("a", 1)]).is_empty(), "the balance rose");
        let eur = Balance { amount: 0.5, currency: "EUR".into() };
        assert!(shares(&usd(1.0), &eur, &[member("a", 1)]).is_empty());
    }
}
