//! `--model` on the command line: one model, or up to four to try the same prompt on, each on
//! the service of `--provider`/`--base-url` or on its own (`openai:gpt-image-1`,
//! `modelslab:flux@http://127.0.0.1:7860`); and each checked against its own model's
//! capabilities, as one draft per model.

use super::args::usage_error;
use easel_engine::error::{EngineError, ErrorCategory, FieldErrors};
use easel_engine::provider::ProviderKind;
use easel_engine::request::{SettingsDraft, ValidRequest};
use easel_engine::{Engine, Service, ServiceSpec};

/// Most models one prompt is tried on at once.
pub const MAX_MODELS: usize = 4;

/// One `--model`: the service it names (or `default`) and the model id (empty: the service's
/// default model).
pub fn parse_target(text: &str, default: &ServiceSpec) -> Result<(ServiceSpec, String), EngineError> {
    let text = text.trim();
    let (left, url) = match text.find("@http://").or_else(|| text.find("@https://")) {
        Some(at) => (&text[..at], Some(text[at + 1..].to_owned())),
        None => (text, None),
    };
    let (kind, model) = match left.split_once(':') {
        Some((provider, model)) => match ProviderKind::parse(provider) {
            Some(kind) => (Some(kind), model),
            None => (None, left),
        },
        None => (None, left),
    };
    let spec = match (kind, url) {
        (None, None) => default.clone(),
        (kind, base_url) => {
            let kind = kind.unwrap_or(default.kind);
            let openai_auth = if kind == default.kind { default.openai_auth } else { Default::default() };
            ServiceSpec { kind, base_url, openai_auth }
        }
    };
    if model.trim().is_empty() && text.contains(':') {
        return Err(usage_error(format!("'{text}' names no model: write it as PROVIDER:MODEL, e.g. openai:gpt-image-1."), "model"));
    }
    Ok((spec, model.trim().to_owned()))
}

/// What one model of the command asks for: its service and its checked request.
pub struct Checked {
    pub service: Service,
    pub request: ValidRequest,
    /// The service takes a seed for this model (elsewhere a seed is not used).
    pub seeded: bool,
    /// What the person should know about the model or the settings (the table's own words).
    pub notes: Vec<&'static str>,
}

/// Check `draft` for each `(service, model)`: every problem of every model is named at once.
/// `sized` says the person gave a width or height (else each model starts at its first size);
/// `sized_steps` that they gave the steps (then a model that caps them says so).
pub fn check_all(
    engine: &Engine,
    targets: &[(ServiceSpec, String)],
    draft: &SettingsDraft,
    sized: bool,
    sized_steps: bool,
) -> Result<Vec<Checked>, EngineError> {
    let mut checked = Vec::new();
    let mut fields = FieldErrors::new();
    let several = targets.len() > 1;
    for (spec, model) in targets {
        let service = engine.connect(spec)?;
        let mut draft = draft.clone();
        draft.model = if model.is_empty() { service.provider().default_model().to_owned() } else { model.clone() };
        let caps = service.provider().capabilities(draft.model.trim());
        if let (false, Some((w, h))) = (sized, caps.size_presets.first()) {
            draft.width = w.to_string();
            draft.height = h.to_string();
        }
        // An option the model does not have is a mistake worth naming (the window only ever
        // offers the model's own).
        let mut problems = FieldErrors::new();
        for id in draft.options.keys().filter(|id| caps.option(id).is_none()) {
            let known: Vec<&str> = caps.options.iter().map(|o| o.id).collect();
            let takes = if known.is_empty() { "takes no options".to_owned() } else { format!("takes: {}", known.join(", ")) };
            problems.insert("option".into(), vec![format!("The model {} has no option '{id}'; it {takes}.", draft.model.trim())]);
        }
        match draft.validate(&caps) {
            Ok(request) if problems.is_empty() => {
                let asked_steps = draft.steps.trim().parse::<u32>().ok();
                let capped = match (caps.rules.steps_capped, asked_steps, &caps.steps) {
                    (Some(why), Some(asked), Some(range)) if asked > *range.end() && sized_steps => Some(why),
                    _ => None,
                };
                let notes = caps.rules.note.into_iter().chain(capped).collect();
                checked.push(Checked { service, request, seeded: caps.seed, notes });
            }
            Ok(_) => merge(&mut fields, problems, several.then_some(draft.model.trim())),
            Err(e) => {
                merge(&mut fields, e.fields, several.then_some(draft.model.trim()));
                merge(&mut fields, problems, several.then_some(draft.model.trim()));
            }
        }
    }
    if fields.is_empty() {
        return Ok(checked);
    }
    Err(EngineError::new(ErrorCategory::Validation).with_message("Some settings need fixing before anything is sent.").with_fields(fields))
}

/// Add `more` to `all`, each message naming its model when there are several.
fn merge(all: &mut FieldErrors, more: FieldErrors, model: Option<&str>) {
    for (field, messages) in more {
        let entry = all.entry(field).or_default();
        entry.extend(messages.into_iter().map(|m| match model {
            Some(model) => format!("{model}: {m}"),
            None => m,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_may_name_its_own_provider_and_server() {
        let default = ServiceSpec::at(ProviderKind::ModelsLab, Some("http://127.0.0.1:1".into()));
        assert_eq!(parse_target("flux", &default).unwrap(), (default.clone(), "flux".into()));
        let (spec, model) = parse_target("openai:gpt-image-1", &default).unwrap();
        assert_eq!((spec.kind, spec.base_url, model.as_str()), (ProviderKind::OpenAi, None, "gpt-image-1"));
        let (spec, model) = parse_target("a1111:sd_xl_base_1.0@http://127.0.0.1:7860", &default).unwrap();
        assert_eq!(
            (spec.kind, spec.base_url.as_deref(), model.as_str()),
            (ProviderKind::A1111, Some("http://127.0.0.1:7860"), "sd_xl_base_1.0")
        );
        let (spec, model) = parse_target("sdxl@http://127.0.0.1:2", &default).unwrap();
        assert_eq!((spec.kind, spec.base_url.as_deref(), model.as_str()), (ProviderKind::ModelsLab, Some("http://127.0.0.1:2"), "sdxl"));
        let (spec, model) = parse_target("lora:name", &default).unwrap();
        assert_eq!((spec, model.as_str()), (default, "lora:name"), "not a provider: part of the model id");
    }
}
