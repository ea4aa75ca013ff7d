//! The job's side of each exchange: progress while a synchronous server works, the waits
//! recorded on the exchange that caused them, and the errors a person reads.

use super::Job;
use crate::diagnostics::{Diagnostics, RequestIds, WaitInfo};
use crate::error::EngineError;
use crate::http::{self, HttpCall, MAX_API_BODY, Reply};
use crate::intake;
use crate::provider::ApiFailure;
use crate::recorder::Exchange;
use crate::retry::{WaitReason, WaitSource};
use crate::{Event, EventKind, JobState};
use std::time::Duration;

impl Job {
    /// The generation exchange; for synchronous servers with a progress endpoint (A1111),
    /// progress is read on a second connection meanwhile and shown as the job's state.
    pub(super) async fn exchange_with_progress(&mut self, call: &HttpCall, timeout: Duration) -> (Exchange, Diagnostics) {
        if self.service.provider.streams(&self.settings) {
            return self.exchange_streaming(call, timeout).await;
        }
        let Some(progress_call) = self.service.provider.progress(self.key.as_ref()) else {
            return self.exchange(call, timeout, self.answer_limit()).await;
        };
        let inner = self.inner.clone();
        let service = self.service.clone();
        let job = self.id.clone();
        let watcher = async move {
            let mut ticker = tokio::time::interval(Duration::from_secs(1));
            ticker.tick().await;
            loop {
                ticker.tick().await;
                // Progress is a nicety read every second: a failed read just shows no progress.
                let (result, _) = http::send(&inner.clients.api, &progress_call, Duration::from_secs(10), 1 << 20).await;
                if let Some(p) = result.ok().and_then(|r| service.provider.parse_progress(&r))
                    && p.fraction > 0.0
                {
                    let state = JobState::Generating { progress: p.fraction, eta_seconds: p.eta_seconds };
                    (inner.sink)(Event { job: Some(job.clone()), kind: EventKind::State(state) });
                }
            }
        };
        tokio::select! {
            done = self.exchange(call, timeout, self.answer_limit()) => done,
            () = watcher => unreachable!("the progress loop never ends by itself"),
        }
    }

    /// The longest generation answer read: an enlarged picture may come inline (A1111), as
    /// base64 of a PNG of up to 256 MB.
    fn answer_limit(&self) -> u64 {
        if self.settings.upscale.is_some() { intake::Limits::upscaled().max_download_bytes / 3 * 4 + (1 << 20) } else { MAX_API_BODY }
    }

    /// A generation whose answer is a stream of server-sent events: each partial picture is
    /// checked like any image and handed to the faces as it arrives; the whole answer is then
    /// read as usual, and only its finished images are stored.
    async fn exchange_streaming(&mut self, call: &HttpCall, timeout: Duration) -> (Exchange, Diagnostics) {
        let inner = self.inner.clone();
        let service = self.service.clone();
        let job = self.id.clone();
        let mut decoder = crate::provider::stream::SseDecoder::default();
        let mut observe = move |piece: &[u8]| {
            for event in decoder.feed(piece) {
                let Some(partial) = service.provider.parse_stream_event(event.event.as_deref(), &event.data) else { continue };
                let limits = inner.config.limits;
                let checked =
                    intake::decode_base64_text(&partial.base64, limits.max_download_bytes).and_then(|b| intake::verify(b, &limits));
                match checked {
                    Ok(image) => {
                        let preview = crate::Preview {
                            index: partial.index,
                            width: image.width,
                            height: image.height,
                            mime: image.format.mime(),
                            bytes: image.bytes.into(),
                        };
                        (inner.sink)(Event { job: Some(job.clone()), kind: EventKind::Preview(Box::new(preview)) });
                    }
                    // A preview is a nicety: a broken one is skipped, the final image still counts.
                    Err(why) => tracing::warn!("job {job}: partial picture {} is not usable: {why}", partial.index),
                }
            }
        };
        let client = self.inner.clients.api.clone();
        let model = self.settings.model.clone();
        self.recorder.send(&client, call, timeout, MAX_API_BODY, &model, &mut observe).await
    }

    /// One API exchange and its record (not yet kept).
    pub(super) async fn exchange(&mut self, call: &HttpCall, timeout: Duration, max_body: u64) -> (Exchange, Diagnostics) {
        let client = self.inner.clients.api.clone();
        self.exchange_with(&client, call, timeout, max_body).await
    }

    /// One exchange on `client` and its record (not yet kept).
    pub(super) async fn exchange_with(
        &mut self,
        client: &reqwest::Client,
        call: &HttpCall,
        timeout: Duration,
        max_body: u64,
    ) -> (Exchange, Diagnostics) {
        self.recorder.send(client, call, timeout, max_body, &self.settings.model, &mut |_| {}).await
    }

    /// Keep and announce a record, with the error it ended in, if any.
    pub(super) fn finish_record(&self, record: Diagnostics, error: Option<&EngineError>) {
        self.recorder.keep(record, error);
    }

    /// Keep the record of the exchange that ended the job's step with `err`, and hand `err` on.
    pub(super) fn ended(&self, record: Diagnostics, err: EngineError) -> EngineError {
        self.finish_record(record, Some(&err));
        err
    }

    /// Record the wait on the exchange that caused it, tell the faces, and wait.
    pub(super) async fn wait_after(&self, record: &mut Diagnostics, wait: Duration, reason: WaitReason, source: WaitSource) {
        record.wait = Some(WaitInfo { seconds: wait.as_secs_f64(), reason, source });
        self.finish_record(record.clone(), None);
        self.emit(EventKind::Wait { seconds: wait.as_secs_f64(), reason, source });
        self.state(JobState::Waiting { seconds: wait.as_secs_f64(), reason });
        tokio::time::sleep(wait).await;
    }

    /// The person-facing error for a provider failure, with the server's words kept.
    pub(super) fn error_from(&self, f: &ApiFailure, reply: Option<&Reply>, body_id: Option<&str>) -> EngineError {
        // Name fields as the person knows them (diagnostics keep the server's own names).
        let mut fields = crate::error::FieldErrors::new();
        for (name, messages) in &f.fields {
            fields.entry(crate::provider::draft_field(name).to_owned()).or_default().extend(messages.iter().cloned());
        }
        let mut err = EngineError::new(f.category).with_fields(fields);
        if let Some(m) = &f.message {
            err = err.with_message(m.clone());
        }
        match reply {
            Some(r) => self.decorate(err, f, r, body_id),
            None => err,
        }
    }

    /// Add the HTTP status, request id and the provider's own (redacted) words.
    pub(super) fn decorate(&self, mut err: EngineError, f: &ApiFailure, reply: &Reply, body_id: Option<&str>) -> EngineError {
        if let Some(detail) = &f.detail {
            err = err.with_detail(self.recorder.redactor().text(detail));
        }
        let mut ids = RequestIds::from_headers(&reply.headers);
        ids.body_id = body_id.map(str::to_owned).or_else(|| f.remote_id.clone());
        err.with_http_status(Some(reply.status)).with_request_id(ids.primary())
    }
}
