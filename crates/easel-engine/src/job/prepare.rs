//! Before anything is sent: what the service itself says the model takes, where it can say
//! (ModelsLab's model search), checked against the settings. A setting the service's word
//! rules out is refused here, by name, before anything is charged.

use super::Job;
use crate::error::EngineError;
use crate::http::MAX_API_BODY;
use crate::recorder::{Exchange, transport_error};
use crate::request::SettingsDraft;
use std::time::Duration;

/// How long the service may take to describe a model.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(15);

impl Job {
    /// Ask the service about the model (once per run of Easel), then check the settings
    /// against what it said. No answer, or nothing readable, leaves Easel's own table.
    pub(super) async fn check_with_service(&mut self) -> Result<(), EngineError> {
        let model = self.settings.model.clone();
        let Some(call) = self.service.provider.model_details(&model, self.key.as_ref()) else { return Ok(()) };
        let before = self.service.provider.capabilities(&model);
        let (exchange, record) = self.exchange(&call, LOOKUP_TIMEOUT, MAX_API_BODY).await;
        let learned = match &exchange {
            Exchange::Reply(reply) => {
                let learned = self.service.provider.learn_model(&model, reply);
                self.finish_record(record, None);
                learned
            }
            Exchange::Transport(t) => {
                self.finish_record(record, Some(&transport_error(t, LOOKUP_TIMEOUT)));
                false
            }
        };
        let after = self.service.provider.capabilities(&model);
        if !learned || after == before {
            return Ok(());
        }
        let mut draft = SettingsDraft::default();
        draft.fill_from_settings(&self.settings);
        draft.validate(&after).map(drop).map_err(|err| {
            let fields = err.fields.keys().cloned().collect::<Vec<_>>().join(", ");
            err.with_message(format!("The service says {model} takes other settings than Easel knew, and these do not suit it: {fields}."))
        })
    }
}
