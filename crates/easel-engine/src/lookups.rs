//! Calls that make nothing: checking a key (the provider's balance call, or another cheap
//! authenticated call) and listing the server's models. They belong to no job, yet each
//! exchange leaves its diagnostics record like any other: kept in the library and sent as an
//! [`crate::EventKind::Response`] whose event names no job, with the key redacted.

use crate::Inner;
use crate::diagnostics::Diagnostics;
use crate::error::{EngineError, ErrorCategory};
use crate::http::{HttpCall, MAX_API_BODY, Reply};
use crate::keys::ApiKey;
use crate::provider::{ApiFailure, ApiOutcome, Balance, Retry};
use crate::recorder::{Exchange, Recorder, transport_error};
use crate::service::ServiceRt;
use std::sync::Arc;
use std::time::Duration;

/// How long a lookup may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The key check: the provider's balance call, or another cheap authenticated call.
/// `Ok(None)` when the key was accepted and there is no balance to show.
pub(crate) async fn check_key(inner: &Arc<Inner>, service: &ServiceRt, key: Option<&ApiKey>) -> Result<Option<Balance>, EngineError> {
    let mut recorder = Recorder::new(inner.clone(), service.spec.kind, None, key);
    if service.provider.balance(key).is_some() {
        return read_balance(&mut recorder, service, key).await.map(Some);
    }
    let Some(call) = service.provider.key_check(key) else { return Ok(None) };
    let (reply, record) = ask(&mut recorder, inner, &call).await?;
    let checked = service.provider.parse_key_check(&reply).map(|()| None).map_err(|f| refused(&recorder, f, reply.status));
    recorder.keep_and_wait(record, checked.as_ref().err()).await;
    checked
}

/// The provider's balance call, recorded by `recorder` (a job's, when it is read around jobs
/// to know what they cost). An error when the provider has none.
pub(crate) async fn read_balance(recorder: &mut Recorder, service: &ServiceRt, key: Option<&ApiKey>) -> Result<Balance, EngineError> {
    let Some(call) = service.provider.balance(key) else {
        return Err(EngineError::new(ErrorCategory::Server).with_message("This service has no balance to read."));
    };
    let inner = recorder.inner().clone();
    let (reply, record) = ask(recorder, &inner, &call).await?;
    let checked = service.provider.parse_balance(&reply).map_err(|f| refused(recorder, f, reply.status));
    recorder.keep_and_wait(record, checked.as_ref().err()).await;
    checked
}

/// The server's model list (ModelsLab's public models, A1111 checkpoints, OpenAI image
/// models), for the pickers. Empty for providers without a list.
pub(crate) async fn list_models(inner: &Arc<Inner>, service: &ServiceRt, key: Option<&ApiKey>) -> Result<Vec<String>, EngineError> {
    let Some(call) = service.provider.models(key) else { return Ok(Vec::new()) };
    let mut recorder = Recorder::new(inner.clone(), service.spec.kind, None, key);
    let (reply, mut record) = ask(&mut recorder, inner, &call).await?;
    let failure = if (200..300).contains(&reply.status) {
        service.provider.models_failure(&reply)
    } else {
        let parsed = service.provider.parse_generation(&reply);
        Recorder::annotate(&mut record, &parsed);
        Some(match parsed.outcome {
            ApiOutcome::Failed(f) => f,
            _ => ApiFailure::new(ErrorCategory::Server, Retry::No),
        })
    };
    if let Some(f) = failure {
        // A refused key or an empty account says so; anything else is about the list itself.
        let own_words = matches!(f.category, ErrorCategory::Auth | ErrorCategory::Account | ErrorCategory::RateLimited);
        let message =
            f.message.filter(|_| own_words).unwrap_or_else(|| format!("The server did not list its models (HTTP {}).", reply.status));
        let err = EngineError::new(f.category).with_message(message).with_http_status(Some(reply.status));
        recorder.keep_and_wait(record, Some(&err)).await;
        return Err(err);
    }
    recorder.keep_and_wait(record, None).await;
    Ok(service.provider.parse_models(&reply))
}

/// One exchange of a lookup: the answer and its record (to keep once read), or the error of
/// an exchange that got no answer (its record kept). A lookup returns once its record is in
/// the library.
async fn ask(recorder: &mut Recorder, inner: &Inner, call: &HttpCall) -> Result<(Reply, Diagnostics), EngineError> {
    let (exchange, record) = recorder.send(&inner.clients.api, call, TIMEOUT, MAX_API_BODY, "", &mut |_| {}).await;
    match exchange {
        Exchange::Reply(reply) => Ok((reply, record)),
        Exchange::Transport(t) => {
            let err = transport_error(&t, TIMEOUT);
            recorder.keep_and_wait(record, Some(&err)).await;
            Err(err)
        }
    }
}

/// A refused check, with the service's own (redacted) words.
fn refused(recorder: &Recorder, f: ApiFailure, status: u16) -> EngineError {
    let mut err = EngineError::new(f.category).with_http_status(Some(status));
    if let Some(m) = f.message {
        err = err.with_message(m);
    }
    if let Some(d) = f.detail {
        err = err.with_detail(recorder.redactor().text(&d));
    }
    err
}
