//! Many services through one engine: each with its own provider, server, key and concurrency
//! limit, jobs picked up again on their own service, try-on-several-models groups, what each
//! picture cost, and pictures that arrive when the disk has no room.

use easel_engine::cost::{CostSource, EstimateBasis, PriceTable};
use easel_engine::error::ErrorCategory;
use easel_engine::keys::ApiKey;
use easel_engine::provider::ProviderKind;
use easel_engine::request::SettingsDraft;
use easel_engine::store::{JobPhase, Store, faults};
use easel_engine::{Engine, EngineConfig, Event, EventKind, JobState, ServiceFilter, ServiceSpec, Target};
use easel_sandbox::{Sandbox, SandboxConfig, Scenario};
use easel_testkit::*;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// An engine whose events can be awaited.
struct Rig {
    engine: Engine,
    data: tempfile::TempDir,
    events: mpsc::UnboundedReceiver<Event>,
    seen: Vec<Event>,
}

fn key() -> ApiKey {
    ApiKey::parse(CANARY_KEY).unwrap()
}

/// An engine on `first` (measuring balances, quick waits), its data in a fresh folder.
fn rig(first: &ServiceSpec, tweak: impl FnOnce(&mut EngineConfig)) -> Rig {
    let data = tempfile::tempdir().unwrap();
    rig_in(data, first, tweak)
}

fn rig_in(data: tempfile::TempDir, first: &ServiceSpec, tweak: impl FnOnce(&mut EngineConfig)) -> Rig {
    rig_hooked(data, first, tweak, |_| {})
}

/// The same, with `hook` seeing each event as it is sent (before the test does).
fn rig_hooked(
    data: tempfile::TempDir,
    first: &ServiceSpec,
    tweak: impl FnOnce(&mut EngineConfig),
    hook: impl Fn(&Event) + Send + Sync + 'static,
) -> Rig {
    let mut config = first.config(data.path().to_path_buf());
    config.policy = quick_policy();
    tweak(&mut config);
    let (tx, events) = mpsc::unbounded_channel();
    let engine = Engine::new(
        config,
        Arc::new(move |e| {
            hook(&e);
            drop(tx.send(e));
        }),
    )
    .unwrap();
    Rig { engine, data, events, seen: Vec::new() }
}

/// A hook that fills the disk of `dir` just as the first pictures come down.
fn disk_fills_when_downloading(dir: std::path::PathBuf) -> impl Fn(&Event) + Send + Sync + 'static {
    let filled = Mutex::new(false);
    move |e| {
        if matches!(e.kind, EventKind::State(JobState::Downloading { .. })) && !std::mem::replace(&mut *filled.lock().unwrap(), true) {
            faults::simulate(&dir, Some(std::io::ErrorKind::StorageFull));
        }
    }
}

impl Rig {
    /// Wait (bounded) for an event `pred` accepts; every event is kept in `seen`.
    async fn wait_for(&mut self, what: &str, pred: impl Fn(&Event) -> bool) -> Event {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) => {
                    self.seen.push(event.clone());
                    if pred(&event) {
                        return event;
                    }
                }
                _ => panic!("never saw {what}; saw {:?}", self.seen.iter().map(|e| &e.kind).collect::<Vec<_>>()),
            }
        }
    }

    fn store(&self) -> Store {
        Store::open(self.data.path()).unwrap()
    }

    fn request(&self, service: &easel_engine::Service, d: SettingsDraft) -> easel_engine::request::ValidRequest {
        d.validate(&service.provider().capabilities(d.model.trim())).unwrap()
    }
}

fn modelslab_at(sandbox: &Sandbox) -> ServiceSpec {
    ServiceSpec::at(ProviderKind::ModelsLab, Some(sandbox.base_url()))
}

fn text2img(sandbox: &Sandbox) -> usize {
    sandbox.requests().iter().filter(|r| r.path.ends_with("/text2img")).count()
}

async fn sandbox(scenario: Scenario, tweak: impl FnOnce(&mut SandboxConfig)) -> Sandbox {
    let mut config = SandboxConfig::new(scenario);
    tweak(&mut config);
    Sandbox::start(config).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn jobs_on_two_services_run_at_once_each_within_its_own_limit() {
    let slow = |c: &mut SandboxConfig| c.job_duration = Duration::from_millis(300);
    let (a, b) = (sandbox(Scenario::Success, slow).await, sandbox(Scenario::Success, slow).await);
    let rig = rig(&modelslab_at(&a), |c| c.concurrency = 1);
    let service_a = rig.engine.default_service();
    let service_b = rig.engine.connect(&modelslab_at(&b)).unwrap();
    rig.engine.set_concurrency(&service_b, 3);
    assert_eq!((service_a.concurrency(), service_b.concurrency()), (1, 3));
    let three = || SettingsDraft { candidates: "3".into(), ..draft("at once") };
    let on_a = rig.engine.submit_to(&service_a, rig.request(&service_a, three()), key());
    let on_b = rig.engine.submit_to(&service_b, rig.request(&service_b, three()), key());
    for (id, handle) in on_a.into_iter().chain(on_b) {
        let outcome = handle.await.unwrap();
        assert!(outcome.error.is_none(), "{id}: {:?}", outcome.error);
    }
    assert_eq!(a.max_in_flight(), 1, "service A's own limit");
    assert_eq!(b.max_in_flight(), 3, "service B ran its jobs together, meanwhile");
    // Each job's row names its own service.
    let images = rig.store().search(&Default::default(), 10, 0).unwrap();
    let on = |s: &Sandbox| images.iter().filter(|i| i.base_url == format!("{}/", s.base_url())).count();
    assert_eq!((on(&a), on(&b)), (3, 3));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_unfinished_job_is_picked_up_on_its_own_service_and_a_missing_key_waits() {
    let processing = |c: &mut SandboxConfig| c.job_duration = Duration::from_secs(2);
    let (a, b) = (sandbox(Scenario::Processing, processing).await, sandbox(Scenario::Processing, processing).await);
    let mut first = rig(&modelslab_at(&a), |_| {});
    let service_b = first.engine.connect(&modelslab_at(&b)).unwrap();
    let jobs: Vec<_> = first
        .engine
        .submit(first.request(&first.engine.default_service(), draft("on a")), key())
        .into_iter()
        .chain(first.engine.submit_to(&service_b, first.request(&service_b, draft("on b")), key()))
        .collect();
    for _ in 0..2 {
        first.wait_for("a processing job", |e| matches!(e.kind, EventKind::State(JobState::Processing { .. }))).await;
    }
    // Easel stops mid-job on both services.
    for (_, handle) in &jobs {
        handle.abort();
    }
    let data = std::mem::replace(&mut first.data, tempfile::tempdir().unwrap());
    drop(first);

    // The next run starts on neither service, and has B's key only later.
    let elsewhere = ServiceSpec::new(ProviderKind::A1111);
    let next = rig_in(data, &elsewhere, |_| {});
    let b_base = format!("{}/", b.base_url());
    let no_key_for_b = |service: &easel_engine::Service| {
        if service.info().base_url == b_base {
            Err(easel_engine::error::EngineError::new(ErrorCategory::Auth).with_message("No key for B."))
        } else {
            Ok(Some(key()))
        }
    };
    let report = next.engine.resume_with(&ServiceFilter::default(), &no_key_for_b).unwrap();
    assert_eq!((report.resumed.len(), report.waiting_for_key.len()), (1, 1), "A resumes, B waits for its key");
    assert_eq!(report.services.len(), 2, "reported per service");
    for (_, handle) in report.resumed {
        assert!(handle.await.unwrap().error.is_none());
    }
    let unfinished = next.store().unfinished_jobs().unwrap();
    assert_eq!(unfinished.len(), 1, "B's job stays resumable");
    assert_eq!(unfinished[0].service.normalized(), modelslab_at(&b).normalized(), "with its service");

    // With the key, B's job is picked up too, on B.
    let report = next.engine.resume_with(&ServiceFilter::default(), &|_| Ok(Some(key()))).unwrap();
    assert_eq!(report.resumed.len(), 1);
    for (_, handle) in report.resumed {
        assert!(handle.await.unwrap().error.is_none());
    }
    assert_eq!((text2img(&a), text2img(&b)), (1, 1), "fetched by id, never resubmitted");
    assert!(next.store().unfinished_jobs().unwrap().is_empty());
    assert_eq!(next.store().search(&Default::default(), 10, 0).unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_balance_before_and_after_says_what_a_job_cost_and_overlapping_jobs_share_it() {
    let s = sandbox(Scenario::Success, |c| c.job_duration = Duration::from_millis(200)).await;
    let start = s.balance();
    let mut rig = rig(&modelslab_at(&s), |_| {});
    let service = rig.engine.default_service();
    let two = SettingsDraft { samples: "2".into(), ..draft("alone") };
    let outcome = rig.engine.run(rig.request(&service, two), key()).await;
    assert!(outcome[0].error.is_none());
    let cost = rig.wait_for("the job's cost", |e| matches!(e.kind, EventKind::Cost(_))).await;
    let EventKind::Cost(cost) = cost.kind else { unreachable!() };
    assert_eq!((cost.source, cost.images, cost.currency.as_deref()), (CostSource::Balance, 2, Some("USD")));
    assert!((cost.amount - (start - s.balance())).abs() < 1e-9, "what the wallet fell by: {}", cost.amount);
    let stored = rig.store().search(&Default::default(), 10, 0).unwrap();
    assert!(stored.iter().all(|i| i.cost.as_ref().is_some_and(|c| (c.amount - cost.amount / 2.0).abs() < 1e-9)), "{stored:?}");

    // Three jobs at once on the same key: the fall is shared by pictures, and marked.
    let before = s.balance();
    let three = SettingsDraft { candidates: "3".into(), ..draft("together") };
    rig.engine.run(rig.request(&service, three), key()).await;
    let mut shared = Vec::new();
    while shared.len() < 3 {
        if let EventKind::Cost(c) = rig.wait_for("the shared costs", |e| matches!(e.kind, EventKind::Cost(_))).await.kind {
            shared.push(*c);
        }
    }
    assert!(shared.iter().all(|c| c.source == CostSource::BalanceShared));
    let total: f64 = shared.iter().map(|c| c.amount).sum();
    assert!((total - (before - s.balance())).abs() < 1e-9, "the shares add up to the fall");
    let today = rig.store().cost_totals(easel_engine::cost::Period::Today).unwrap();
    assert!((today.spent[0].amount - (start - s.balance())).abs() < 1e-9);
    assert!(today.estimated, "shared costs are Easel's reckoning");
    assert_eq!(today.unknown, 0, "every picture has its cost");
}

#[tokio::test(flavor = "multi_thread")]
async fn openai_usage_is_priced_by_the_table_and_marked_an_estimate() {
    let s = sandbox(Scenario::Success, |_| {}).await;
    let spec = ServiceSpec::at(ProviderKind::OpenAi, Some(format!("{}/v1", s.base_url())));
    let mut rig = rig(&spec, |_| {});
    let service = rig.engine.default_service();
    let d = SettingsDraft { model: "gpt-image-1.5".into(), width: "1024".into(), height: "1024".into(), ..draft("a priced fox") };
    let mut request = rig.request(&service, d);
    request.candidates[0].options.insert("quality".into(), "medium".into());
    let estimate = rig.engine.estimate(&[(&service, &request, None)]);
    assert!(matches!(estimate.jobs[0].basis, EstimateBasis::PriceTable { .. }), "{estimate:?}");
    assert!((estimate.low.unwrap() - 1056.0 * 32.0 / 1e6).abs() < 1e-9);
    let outcome = rig.engine.run(request, key()).await;
    assert!(outcome[0].error.is_none(), "{:?}", outcome[0].error);
    let EventKind::Cost(cost) = rig.wait_for("the cost", |e| matches!(e.kind, EventKind::Cost(_))).await.kind else { unreachable!() };
    let usage = cost.usage.unwrap();
    let expected = (usage.input_tokens as f64 * 5.0 + usage.output_tokens as f64 * 32.0) / 1e6;
    assert_eq!(cost.source, CostSource::UsageEstimate);
    assert!((cost.amount - expected).abs() < 1e-12, "{} vs {expected}", cost.amount);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_estimate_uses_the_last_measured_cost_and_warns_past_the_known_balance() {
    let s = sandbox(Scenario::Success, |c| c.image_price = 5.0).await;
    let rig = rig(&modelslab_at(&s), |_| {});
    let service = rig.engine.default_service();
    let unknown = rig.engine.estimate(&[(&service, &rig.request(&service, draft("first")), None)]);
    assert_eq!((unknown.unknown, unknown.low), (1, None), "no published price and nothing measured: unknown");
    assert!(matches!(unknown.jobs[0].basis, EstimateBasis::Unknown));
    rig.engine.run(rig.request(&service, draft("measured")), key()).await;
    // The wallet now holds 38.60; eight more pictures at 5.00 would not fit.
    let eight = SettingsDraft { candidates: "8".into(), ..draft("too many") };
    let k = key();
    let estimate = rig.engine.estimate(&[(&service, &rig.request(&service, eight), Some(&k))]);
    assert!(matches!(estimate.jobs[0].basis, EstimateBasis::LastMeasured { .. }), "{estimate:?}");
    assert!((estimate.high.unwrap() - 40.0).abs() < 1e-9);
    let warning = estimate.warning.expect("more than the balance");
    assert!(warning.contains("$40.00") && warning.contains("$38.60"), "{warning}");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_prompt_on_several_models_and_services_is_one_group_side_by_side() {
    let s = sandbox(Scenario::Success, |_| {}).await;
    let rig = rig(&modelslab_at(&s), |c| c.prices = Arc::new(PriceTable::default()));
    let modelslab = rig.engine.default_service();
    let a1111 = rig.engine.connect(&ServiceSpec::at(ProviderKind::A1111, Some(s.base_url()))).unwrap();
    let sdxl = rig.request(&modelslab, draft("a lighthouse"));
    let flux = rig.request(&modelslab, SettingsDraft { model: "flux".into(), ..draft("a lighthouse") });
    let local = rig.request(&a1111, SettingsDraft { model: String::new(), ..draft("a lighthouse") });
    let targets = vec![
        Target { service: modelslab.clone(), request: sdxl, key: Some(key()) },
        Target { service: modelslab, request: flux, key: Some(key()) },
        Target { service: a1111, request: local, key: None },
    ];
    let submitted = rig.engine.submit_group(targets);
    let group = submitted.group.clone().expect("a group of three");
    for (_, _, handle) in submitted.jobs {
        assert!(handle.await.unwrap().error.is_none());
    }
    let members = rig.store().group(&group).unwrap();
    assert_eq!(members.len(), 3);
    assert_eq!(members.iter().map(|m| m.model.as_str()).take(2).collect::<Vec<_>>(), ["sdxl", "flux"]);
    assert!(members[2].service.starts_with("AUTOMATIC1111"), "{}", members[2].service);
    for m in &members {
        assert_eq!((m.state, m.images.len()), (JobPhase::Done, 1), "{}", m.model);
        assert!(m.seconds.is_some(), "each with its time");
        assert!(m.images.iter().all(|i| i.group.as_deref() == Some(group.as_str())));
    }
    assert_eq!(members[2].cost_source, Some(CostSource::SelfHosted), "your own server charges nothing");
    assert!(members[0].cost.is_some(), "the wallet measured ModelsLab's");
}

#[tokio::test(flavor = "multi_thread")]
async fn pictures_that_arrive_on_a_full_disk_are_held_and_saved_once_there_is_room() {
    let s = sandbox(Scenario::Success, |_| {}).await;
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_path_buf();
    let mut rig = rig_hooked(data, &modelslab_at(&s), |_| {}, disk_fills_when_downloading(dir.clone()));
    let service = rig.engine.default_service();
    let jobs = rig.engine.submit(rig.request(&service, draft("a full disk")), key());
    let waiting = rig.wait_for("the wait for room", |e| matches!(e.kind, EventKind::State(JobState::WaitingForRoom { .. }))).await;
    let EventKind::State(JobState::WaitingForRoom { pictures, problem, .. }) = waiting.kind else { unreachable!() };
    assert_eq!((pictures, problem.as_str()), (1, "The disk is full."), "said in plain words");
    assert!(rig.store().search(&Default::default(), 10, 0).unwrap().is_empty(), "nothing saved yet");
    faults::simulate(&dir, None);
    let outcome = jobs.into_iter().next().unwrap().1.await.unwrap();
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    assert_eq!(outcome.images.len(), 1);
    assert_eq!(text2img(&s), 1, "never resubmitted");
    assert_eq!(job_phase(&rig.store(), &outcome.job), Some(JobPhase::Done));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disk_that_stays_full_is_a_storage_error_and_the_job_is_collected_later_never_resent() {
    let s = sandbox(Scenario::Success, |_| {}).await;
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_path_buf();
    let patience = |c: &mut EngineConfig| {
        c.policy.storage_wait = Duration::from_millis(20);
        c.policy.storage_patience = Duration::from_millis(100);
    };
    let rig = rig_hooked(data, &modelslab_at(&s), patience, disk_fills_when_downloading(dir.clone()));
    let service = rig.engine.default_service();
    let outcome = rig.engine.run(rig.request(&service, draft("kept for later")), key()).await;
    let err = outcome[0].error.as_ref().expect("the disk stayed full");
    assert_eq!((err.category, err.category.exit_code()), (ErrorCategory::Storage, 9), "a local problem, not the network's");
    assert!(err.message.contains("The disk is full.") && err.hint.contains("easel resume"), "{err:?}");
    let unfinished = rig.store().unfinished_jobs().unwrap();
    assert_eq!(unfinished.len(), 1, "it keeps its output addresses, to be collected later");
    assert!(!unfinished[0].remote.as_ref().unwrap().future_links.is_empty());

    // Room again: resuming saves the pictures, without sending the job again.
    faults::simulate(&dir, None);
    let report = rig.engine.resume(key()).unwrap();
    for (_, handle) in report.resumed {
        assert!(handle.await.unwrap().error.is_none());
    }
    assert_eq!(rig.store().search(&Default::default(), 10, 0).unwrap().len(), 1);
    assert_eq!(text2img(&s), 1, "never resubmitted");

    // A disk that is read-only from the start: nothing is sent, and it says why.
    faults::simulate(&dir, Some(std::io::ErrorKind::ReadOnlyFilesystem));
    let refused = rig.engine.run(rig.request(&service, draft("refused")), key()).await;
    faults::simulate(&dir, None);
    let err = refused[0].error.as_ref().unwrap();
    assert_eq!(err.category, ErrorCategory::Storage, "{err:?}");
    assert!(err.message.contains("read-only"), "{}", err.message);
    assert_eq!(text2img(&s), 1, "nothing more was sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_not_collected_yet_says_until_when_the_service_keeps_it() {
    let s = sandbox(Scenario::Processing, |c| c.job_duration = Duration::from_secs(60)).await;
    let mut first = rig(&modelslab_at(&s), |_| {});
    let jobs = first.engine.submit(first.request(&first.engine.default_service(), draft("temporary")), key());
    first.wait_for("processing", |e| matches!(e.kind, EventKind::State(JobState::Processing { .. }))).await;
    jobs.into_iter().for_each(|(_, h)| h.abort());
    // As a service whose outputs are kept 24 hours would have said.
    let until_ms = easel_engine::store::now_ms() + 24 * 3600 * 1000;
    let id = first.store().unfinished_jobs().unwrap()[0].id.clone();
    first.store().set_collect_before(&id, until_ms).unwrap();
    let listed = first.store().recent_jobs(10).unwrap();
    assert_eq!(listed[0].collect_before_ms, Some(until_ms), "the jobs list has it");
    // Its key is not available: it waits, and says until when it can still be collected.
    let report =
        first.engine.resume_with(&ServiceFilter::default(), &|_| Err(easel_engine::error::EngineError::new(ErrorCategory::Auth))).unwrap();
    assert_eq!(report.waiting_for_key[0].collect_before_ms, Some(until_ms));
    let event = first.wait_for("collect before", |e| matches!(e.kind, EventKind::CollectBefore { .. })).await;
    let EventKind::CollectBefore { until_ms: said, local } = event.kind else { unreachable!() };
    assert_eq!(said, until_ms);
    assert!(local.ends_with("tomorrow") && local.len() == "HH:MM tomorrow".len(), "{local}");
}

#[test]
fn modelslab_temp_outputs_are_kept_a_day_and_others_for_no_known_time() {
    use easel_engine::provider::{HttpCall, Method, Provider as _};
    let provider = easel_engine::provider::modelslab::ModelsLab::new(None);
    let call = |body: serde_json::Value| HttpCall {
        endpoint: "generate",
        method: Method::Post,
        url: url::Url::parse("https://modelslab.com/api/v6/images/text2img").unwrap(),
        headers: Vec::new(),
        body: Some(body.clone()),
        form: None,
        redacted_body: Some(body),
    };
    assert_eq!(provider.outputs_kept_for(&call(serde_json::json!({"temp": "yes"}))), Some(Duration::from_secs(24 * 3600)));
    assert_eq!(provider.outputs_kept_for(&call(serde_json::json!({"prompt": "p"}))), None, "unknown: no promise made");
}
