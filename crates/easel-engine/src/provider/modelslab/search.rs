//! The service's own word on a model: `GET /api/v6/model-search/{modelId}?key=…` (docs-v2
//! agents-api/usage-and-models.mdx: "model details (includes `parameters` JSON Schema)"),
//! preferred over the table where it answers.
//!
//! The answer's exact shape is not documented beyond "endpoint configurations with a
//! `parameters` object — a JSON Schema describing each endpoint's accepted parameters", so
//! this reads only what such a schema says plainly — an `aspect_ratio` enum, `width`/`height`
//! bounds, a `samples` maximum, an `init_image` array's `maxItems` — from any `parameters`
//! object under an endpoint whose name says text-to-image or image-to-image. Anything else,
//! an error, or no answer leaves the table as it is. Each model is asked about once per run.

use crate::capabilities::Capabilities;
use crate::http::{HttpCall, Method, Reply};
use crate::keys::ApiKey;
use crate::provider::json_call;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Community models Easel offers, whose rules are the community endpoint's (one schema for
/// thousands of models): the search has nothing of their own to say, so they are not asked.
const COMMUNITY: &[&str] = &["flux", "sdxl", "realistic-vision-51", "dreamshaper-8", "anything-v5"];

/// Most distinct aspect-ratio sets kept from answers (each lives as long as the program).
const MAX_RATIO_SETS: usize = 32;
/// Longest aspect ratio text read ("113:48").
const MAX_RATIO_CHARS: usize = 9;

/// The request for what the service says about `model`, if it is worth asking.
pub(super) fn request(base: &url::Url, model: &str, key: Option<&ApiKey>) -> Option<HttpCall> {
    let model = model.trim();
    if model.is_empty() || COMMUNITY.iter().any(|m| m.eq_ignore_ascii_case(model)) {
        return None;
    }
    let mut url = base.clone();
    url.set_path("/api/v6/model-search/");
    url.path_segments_mut().ok()?.pop_if_empty().push(model);
    url.query_pairs_mut().append_pair("key", key.map_or("", ApiKey::expose));
    Some(json_call("model_search", Method::Get, url, None, Vec::new()))
}

/// What an answer said about one model; `None` where it said nothing readable.
#[derive(Clone, Debug, Default, PartialEq)]
struct Facts {
    aspect_ratios: Option<&'static [&'static str]>,
    size: Option<(u32, u32)>,
    max_samples: Option<u32>,
    max_init_images: Option<u32>,
}

/// What the model search said, by model id (lower case). A model asked about and answered
/// with nothing readable is kept too, so it is not asked again.
#[derive(Default)]
pub(super) struct Learned {
    models: Mutex<HashMap<String, Option<Facts>>>,
}

impl Learned {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Option<Facts>>> {
        self.models.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// True the first time `model` is asked about (and notes that it was).
    pub(super) fn asking(&self, model: &str) -> bool {
        let mut models = self.lock();
        let id = model.trim().to_ascii_lowercase();
        if models.contains_key(&id) {
            return false;
        }
        models.insert(id, None);
        true
    }

    /// Read a model-search answer; true when it said something about `model`.
    pub(super) fn learn(&self, model: &str, reply: &Reply) -> bool {
        let facts = ((200..300).contains(&reply.status))
            .then(|| serde_json::from_slice::<Value>(&reply.body).ok())
            .flatten()
            .and_then(|b| read(&b));
        let found = facts.is_some();
        self.lock().insert(model.trim().to_ascii_lowercase(), facts);
        found
    }

    /// `caps` with what the service said about `model` in place of the table's word.
    pub(super) fn apply(&self, model: &str, mut caps: Capabilities) -> Capabilities {
        let Some(Some(facts)) = self.lock().get(&model.trim().to_ascii_lowercase()).cloned() else { return caps };
        if let Some(ratios) = facts.aspect_ratios {
            caps.aspect_ratios = ratios;
            caps.exact_sizes = false;
        } else if let Some((min, max)) = facts.size {
            caps.aspect_ratios = &[];
            caps.exact_sizes = false;
            caps.size = min..=max;
        }
        if let Some(n) = facts.max_samples {
            caps.samples = 1..=n.clamp(1, 10);
        }
        if let Some(n) = facts.max_init_images {
            caps.max_init_images = n.min(16);
        }
        caps.rules.note = None;
        caps
    }
}

/// Every `parameters` schema in the answer, with the name of the endpoint it belongs to.
fn schemas(value: &Value, endpoint: &str, found: &mut Vec<(String, Value)>, depth: usize) {
    if depth > 8 || found.len() > 16 {
        return;
    }
    match value {
        Value::Object(map) => {
            let name = ["endpoint", "url", "path", "type", "name"]
                .iter()
                .find_map(|k| map.get(*k).and_then(Value::as_str))
                .map_or_else(|| endpoint.to_owned(), str::to_ascii_lowercase);
            if let Some(schema) = map.get("parameters").filter(|p| p.get("properties").is_some_and(Value::is_object)) {
                found.push((name.clone(), schema.clone()));
            }
            for (k, v) in map {
                if k != "parameters" {
                    schemas(v, &name, found, depth + 1);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| schemas(v, endpoint, found, depth + 1)),
        _ => {}
    }
}

fn read(body: &Value) -> Option<Facts> {
    let mut found = Vec::new();
    schemas(body, "", &mut found, 0);
    let is_edit = |name: &str| name.contains("image-to-image") || name.contains("img2img") || name.contains("i2i");
    let text = found.iter().find(|(name, _)| !is_edit(name)).map(|(_, s)| s);
    let edit = found.iter().find(|(name, _)| is_edit(name)).map(|(_, s)| s);
    let property = |schema: Option<&Value>, field: &str| schema.and_then(|s| s.get("properties")).and_then(|p| p.get(field)).cloned();
    let whole = |v: &Value, k: &str| v.get(k).and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok());
    let facts = Facts {
        aspect_ratios: property(text, "aspect_ratio").and_then(|p| p.get("enum").and_then(Value::as_array).and_then(|e| intern(e))),
        size: match (property(text, "width"), property(text, "height")) {
            (Some(w), Some(_)) => Some((whole(&w, "minimum").unwrap_or(256).max(64), whole(&w, "maximum").unwrap_or(1024).min(4096))),
            _ => None,
        }
        .filter(|(min, max)| min <= max),
        max_samples: property(text, "samples").and_then(|p| whole(&p, "maximum")),
        max_init_images: property(edit, "init_image").and_then(|p| whole(&p, "maxItems")),
    };
    (facts != Facts::default()).then_some(facts)
}

/// The aspect ratios of an answer as a set that lives as long as the program, shared by equal
/// answers; `None` for an empty, unreadable or unbounded set.
fn intern(items: &[Value]) -> Option<&'static [&'static str]> {
    static SETS: Mutex<Vec<&'static [&'static str]>> = Mutex::new(Vec::new());
    let wanted: Vec<&str> = items
        .iter()
        .filter_map(Value::as_str)
        .map(str::trim)
        .filter(|r| {
            r.len() <= MAX_RATIO_CHARS && r.split_once(':').is_some_and(|(w, h)| w.parse::<u16>().is_ok() && h.parse::<u16>().is_ok())
        })
        .take(24)
        .collect();
    if wanted.is_empty() {
        return None;
    }
    let mut sets = SETS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(known) = sets.iter().find(|s| s.len() == wanted.len() && s.iter().zip(&wanted).all(|(a, b)| a == b)) {
        return Some(known);
    }
    if sets.len() >= MAX_RATIO_SETS {
        return None;
    }
    // Bounded above: at most MAX_RATIO_SETS small sets for the life of the program.
    let set: &'static [&'static str] = Vec::leak(wanted.into_iter().map(|r| &*String::leak(r.to_owned())).collect());
    sets.push(set);
    Some(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::modelslab::tests::reply;

    #[test]
    fn only_models_with_their_own_fields_are_asked_about_once() {
        let base = url::Url::parse("http://127.0.0.1:9/").unwrap();
        let key = ApiKey::parse("k-123").unwrap();
        assert!(request(&base, "sdxl", Some(&key)).is_none());
        let call = request(&base, "imagen-4", Some(&key)).unwrap();
        assert_eq!(call.url.as_str(), "http://127.0.0.1:9/api/v6/model-search/imagen-4?key=k-123");
        let learned = Learned::default();
        assert!(learned.asking("imagen-4") && !learned.asking("Imagen-4"));
    }

    #[test]
    fn a_parameters_schema_replaces_the_table_and_anything_else_leaves_it() {
        let learned = Learned::default();
        let answer = r#"{"status":"success","data":{"model_id":"m","endpoints":[
            {"endpoint":"/api/v7/images/text-to-image","parameters":{"type":"object","required":["prompt","aspect_ratio"],
              "properties":{"aspect_ratio":{"type":"string","enum":["1:1","21:9"]},"samples":{"type":"integer","maximum":2}}}},
            {"endpoint":"/api/v7/images/image-to-image","parameters":{"properties":{"init_image":{"type":"array","maxItems":3}}}}]}}"#;
        assert!(learned.learn("m", &reply(200, answer)));
        let table = crate::provider::modelslab::models::capabilities("m");
        let caps = learned.apply("m", table.clone());
        assert_eq!(caps.aspect_ratios, ["1:1", "21:9"]);
        assert_eq!((caps.samples, caps.max_init_images, caps.rules.note), (1..=2, 3, None));
        for (status, junk) in [(404, r#"{"status":"error","message":"Model not found"}"#), (200, "[]"), (200, "<html>")] {
            assert!(!learned.learn("other", &reply(status, junk)));
            assert_eq!(learned.apply("other", table.clone()), table);
        }
        let other =
            r#"{"data":{"endpoints":[{"endpoint":"text-to-image","parameters":{"properties":{"aspect_ratio":{"enum":["1:1","21:9"]}}}}]}}"#;
        assert!(learned.learn("again", &reply(200, other)));
        assert!(std::ptr::eq(learned.apply("again", table.clone()).aspect_ratios, caps.aspect_ratios), "equal sets are shared");
    }
}
