//! One HTTP exchange and its one diagnostics record, the same for a job's calls and for the
//! engine's own (the key check, the model list): sent, redacted at the source, kept in the
//! library and announced as an [`EventKind::Response`].

use crate::diagnostics::{self, Diagnostics, ErrorSummary, RequestIds, interesting_headers, now_rfc3339};
use crate::error::{EngineError, ErrorCategory};
use crate::http::{self, HttpCall, Reply, TransportError, TransportKind};
use crate::keys::ApiKey;
use crate::provider::{ApiOutcome, Parsed, ProviderKind};
use crate::redact::Redactor;
use crate::{Event, EventKind, Inner, JobId};
use std::sync::Arc;
use std::time::Duration;

/// How one exchange went, before interpretation.
pub(crate) enum Exchange {
    Reply(Reply),
    Transport(TransportError),
}

/// Sends the calls of one job, or of the engine itself (`job: None`), and keeps one record
/// per exchange.
pub(crate) struct Recorder {
    inner: Arc<Inner>,
    /// The provider the exchanges go to, for the record's `provider`.
    provider: ProviderKind,
    job: Option<JobId>,
    redactor: Redactor,
    /// Counts every exchange, for the diagnostics "attempt" column.
    exchanges: u32,
}

impl Recorder {
    pub(crate) fn new(inner: Arc<Inner>, provider: ProviderKind, job: Option<JobId>, key: Option<&ApiKey>) -> Self {
        Self { inner, provider, job, redactor: Redactor::new(key), exchanges: 0 }
    }

    pub(crate) fn inner(&self) -> &Arc<Inner> {
        &self.inner
    }

    pub(crate) fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Tell the faces, as this job's event (or the engine's own).
    pub(crate) fn emit(&self, kind: EventKind) {
        (self.inner.sink)(Event { job: self.job.clone(), kind });
    }

    /// One HTTP exchange and its record (not yet kept: see [`Recorder::keep`]). `model` is
    /// what the request asks of, for the faces' "request" line; `observe` sees each piece of a
    /// successful answer as it arrives (a streaming answer's events; `&mut |_| {}` otherwise).
    pub(crate) async fn send(
        &mut self,
        client: &reqwest::Client,
        call: &HttpCall,
        timeout: Duration,
        max_body: u64,
        model: &str,
        observe: &mut (dyn FnMut(&[u8]) + Send),
    ) -> (Exchange, Diagnostics) {
        self.exchanges += 1;
        let path = self.redactor.text(call.url.path());
        self.emit(EventKind::Request {
            endpoint: call.endpoint.to_owned(),
            method: call.method.as_str().to_owned(),
            path: path.clone(),
            attempt: self.exchanges,
            model: model.to_owned(),
        });
        let time = now_rfc3339();
        let (result, elapsed) = http::send_observed(client, call, timeout, max_body, observe).await;
        let mut record = Diagnostics {
            time,
            job: self.job.clone(),
            provider: self.provider.id().to_owned(),
            endpoint: call.endpoint.to_owned(),
            method: call.method.as_str().to_owned(),
            path,
            attempt: self.exchanges,
            http_status: None,
            api_status: None,
            request_ids: RequestIds::default(),
            request_id: None,
            duration_ms: elapsed.as_millis() as u64,
            eta_seconds: None,
            wait: None,
            fields: Default::default(),
            request_headers: call.headers.iter().map(|h| (h.name.to_owned(), self.redactor.text(&h.shown))).collect(),
            request_body: call.redacted_body.as_ref().map(|b| self.redactor.json(b)),
            response_excerpt: None,
            response_headers: Vec::new(),
            error: None,
            transport_error: None,
        };
        let exchange = match result {
            Ok(reply) => {
                record.http_status = Some(reply.status);
                record.request_ids = RequestIds::from_headers(&reply.headers);
                record.request_id = record.request_ids.primary();
                record.response_headers = interesting_headers(&reply.headers, &self.redactor);
                if call.endpoint != "download" || !(200..300).contains(&reply.status) {
                    record.response_excerpt = diagnostics::excerpt(&self.redactor, &reply.body);
                } else {
                    record.response_excerpt = Some(format!("({} bytes of image data)", reply.body.len()));
                }
                Exchange::Reply(reply)
            }
            Err(t) => {
                record.transport_error = Some(self.redactor.text(&t.text));
                Exchange::Transport(t)
            }
        };
        (exchange, record)
    }

    /// Fill the record with what the parser read.
    pub(crate) fn annotate(record: &mut Diagnostics, parsed: &Parsed) {
        record.api_status = parsed.api_status.clone();
        record.request_ids.body_id = parsed.body_id.clone();
        record.request_id = record.request_ids.primary();
        match &parsed.outcome {
            ApiOutcome::Processing(r) => record.eta_seconds = r.eta_seconds,
            ApiOutcome::Failed(f) => record.fields = crate::error::bound_fields(f.fields.clone()),
            ApiOutcome::Finished(_) => {}
        }
    }

    /// Keep the record in the library and announce it, with the error it ended in, if any.
    /// A job does not wait for the library: the record is support information, not money,
    /// so a failure to keep it is logged and the faces still get it.
    pub(crate) fn keep(&self, record: Diagnostics, error: Option<&EngineError>) {
        // Not waited for: `store` logs its own failure.
        drop(self.store(record, error));
    }

    /// The same, returning once the record is in the library (for the engine's own calls,
    /// which are rare and may be read back at once).
    pub(crate) async fn keep_and_wait(&self, record: Diagnostics, error: Option<&EngineError>) {
        if let Err(e) = self.store(record, error).await {
            tracing::warn!("the library's worker stopped before keeping a diagnostics record: {e}");
        }
    }

    /// Write the record (off the async threads) and announce it.
    fn store(&self, mut record: Diagnostics, error: Option<&EngineError>) -> tokio::task::JoinHandle<()> {
        if let Some(e) = error {
            record.error = Some(ErrorSummary::from(e));
        }
        let store = self.inner.store.clone();
        let kept = record.clone();
        let written = self.inner.runtime.spawn_blocking(move || {
            if let Err(e) = store.add_diagnostics(&kept) {
                tracing::warn!("the library did not keep the diagnostics record of {}: {e}", kept.one_line());
            }
        });
        self.emit(EventKind::Response(Box::new(record)));
        written
    }
}

/// What a person reads when an exchange got no usable answer.
pub(crate) fn transport_error(t: &TransportError, timeout: Duration) -> EngineError {
    match t.kind {
        TransportKind::Timeout => EngineError::new(ErrorCategory::Timeout)
            .with_message(format!("The service did not answer within {}.", crate::retry::human_duration(timeout)))
            .with_detail(&t.text),
        TransportKind::Redirect => EngineError::new(ErrorCategory::Network)
            .with_message("The server sent Easel somewhere else, and Easel did not follow (it could expose your key or be unsafe).")
            .with_hint("Check the server address in the settings.")
            .with_detail(&t.text),
        TransportKind::TooLarge => EngineError::new(ErrorCategory::Server)
            .with_message("The service sent an answer far larger than any real one, so Easel stopped reading it.")
            .with_detail(&t.text),
        TransportKind::Connect => {
            EngineError::new(ErrorCategory::Network).with_message("Easel could not connect to the service.").with_detail(&t.text)
        }
        TransportKind::Reset | TransportKind::Other => EngineError::new(ErrorCategory::Network)
            .with_message("The connection to the service broke before the answer was complete.")
            .with_detail(&t.text),
    }
}
