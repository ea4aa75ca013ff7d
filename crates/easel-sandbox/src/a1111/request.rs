//! What A1111's `txt2img` and `img2img` read, checked in A1111's order: pydantic's 422s, then
//! 404 for a missing init image or an unknown sampler, then 422 for an init image that is not
//! an image.

use serde_json::{Value, json};

use super::answers::{self, detail, unprocessable};
use super::catalog::{Checkpoint, VERSION, resolve_sampler};
use super::fields::{Details, parse_object};
use crate::images::{MAX_SIDE, base64_image_size, is_http_url};
use crate::reply::Rejection;

/// Largest `batch_size` and `n_iter`.
const MAX_BATCH: i64 = 8;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Txt2Img,
    Img2Img,
}

/// A checked txt2img or img2img request.
pub(super) struct Params {
    pub(super) prompt: String,
    pub(super) negative_prompt: String,
    pub(super) seed: i64,
    pub(super) batch_size: u32,
    pub(super) n_iter: u32,
    pub(super) steps: u32,
    pub(super) cfg_scale: f64,
    pub(super) width: u32,
    pub(super) height: u32,
    /// The sampler's canonical name.
    pub(super) sampler: &'static str,
    pub(super) checkpoint: Option<String>,
    pub(super) denoising_strength: Option<f64>,
    /// The request with A1111's defaults filled in, echoed as `parameters`.
    pub(super) echo: Value,
}

impl Params {
    /// Checks the body like A1111 (pydantic's 422s, then 404 for a missing init image or an
    /// unknown sampler, then 422 for an init image that is not an image).
    pub(super) fn parse(bytes: &[u8], mode: Mode) -> Result<Self, Rejection> {
        let body = parse_object(bytes)?;
        let mut check = Details::default();
        let prompt = check.text(&body, "prompt").unwrap_or_default();
        let negative_prompt = check.text(&body, "negative_prompt").unwrap_or_default();
        let seed = check.integer(&body, "seed", -1..=i64::from(u32::MAX), -1);
        let batch_size = check.integer(&body, "batch_size", 1..=MAX_BATCH, 1);
        let n_iter = check.integer(&body, "n_iter", 1..=MAX_BATCH, 1);
        let steps = check.integer(&body, "steps", 1..=150, 50);
        let cfg_scale = check.number(&body, "cfg_scale", 1.0..=30.0, 7.0);
        let max_side = i64::from(MAX_SIDE);
        let width = check.integer(&body, "width", 64..=max_side, 512);
        let height = check.integer(&body, "height", 64..=max_side, 512);
        let sampler_name = check.text(&body, "sampler_name").or_else(|| check.text(&body, "sampler_index"));
        let checkpoint = match body.get("override_settings") {
            None | Some(Value::Null) => None,
            Some(Value::Object(settings)) => match settings.get("sd_model_checkpoint") {
                Some(Value::String(name)) => Some(name.clone()),
                _ => None,
            },
            Some(_) => {
                check.push(&["override_settings"], "value is not a valid dict", "type_error.dict");
                None
            }
        };
        let denoising_strength = match mode {
            Mode::Txt2Img if body.get("denoising_strength").is_none_or(Value::is_null) => None,
            _ => Some(check.number(&body, "denoising_strength", 0.0..=1.0, 0.75)),
        };
        let init_images = match (mode, body.get("init_images")) {
            (Mode::Txt2Img, _) | (_, None | Some(Value::Null)) => Vec::new(),
            (Mode::Img2Img, Some(Value::Array(list))) => {
                for (index, entry) in list.iter().enumerate() {
                    if !entry.is_string() {
                        check.push_at(json!(["body", "init_images", index]), "str type expected", "type_error.str");
                    }
                }
                list.iter().filter_map(Value::as_str).map(str::to_owned).collect()
            }
            (Mode::Img2Img, Some(_)) => {
                check.push(&["init_images"], "value is not a valid list", "type_error.list");
                Vec::new()
            }
        };
        if !check.is_empty() {
            return Err(check.into_rejection());
        }
        if mode == Mode::Img2Img && init_images.is_empty() {
            return Err(answers::init_image_not_found());
        }
        let sampler = resolve_sampler(sampler_name.as_deref().unwrap_or("Euler")).ok_or_else(answers::sampler_not_found)?;
        for (index, init) in init_images.iter().enumerate() {
            if !is_http_url(init.trim_start()) && base64_image_size(init).is_none() {
                let loc = json!(["body", "init_images", index]);
                return Err(unprocessable(vec![detail(loc, "Invalid encoded image", "value_error")]));
            }
        }
        // A mask (white: repaint) is decoded like the init images.
        if mode == Mode::Img2Img
            && let Some(mask) = body.get("mask").and_then(Value::as_str)
            && !is_http_url(mask.trim_start())
            && base64_image_size(mask).is_none()
        {
            return Err(unprocessable(vec![detail(json!(["body", "mask"]), "Invalid encoded image", "value_error")]));
        }

        let mut echo = defaults(mode);
        if let Value::Object(echo) = &mut echo {
            echo.extend(body);
            if mode == Mode::Img2Img && !echo.get("include_init_images").is_some_and(|v| v == &json!(true)) {
                echo.insert("init_images".to_owned(), Value::Null);
            }
        }
        // The range checks above keep every count and side well within u32.
        Ok(Self {
            prompt,
            negative_prompt,
            seed,
            batch_size: batch_size as u32,
            n_iter: n_iter as u32,
            steps: steps as u32,
            cfg_scale,
            width: width as u32,
            height: height as u32,
            sampler,
            checkpoint,
            denoising_strength,
            echo,
        })
    }

    /// The infotext A1111 shows under an image and stores in its PNG.
    pub(super) fn infotext(&self, seed: i64, checkpoint: &Checkpoint) -> String {
        let mut text = self.prompt.clone();
        if !self.negative_prompt.is_empty() {
            text.push_str("\nNegative prompt: ");
            text.push_str(&self.negative_prompt);
        }
        text.push_str(&format!(
            "\nSteps: {}, Sampler: {}, Schedule type: Automatic, CFG scale: {}, Seed: {seed}, \
             Size: {}x{}, Model hash: {}, Model: {}",
            self.steps, self.sampler, self.cfg_scale, self.width, self.height, checkpoint.hash, checkpoint.model_name
        ));
        if let Some(strength) = self.denoising_strength {
            text.push_str(&format!(", Denoising strength: {strength}"));
        }
        text.push_str(&format!(", Version: {VERSION}"));
        text
    }
}

/// A1111's request defaults, the base of the `parameters` echo.
fn defaults(mode: Mode) -> Value {
    let mut defaults = json!({
        "prompt": "", "negative_prompt": "", "styles": null, "seed": -1, "subseed": -1,
        "subseed_strength": 0, "seed_resize_from_h": -1, "seed_resize_from_w": -1,
        "sampler_name": null, "scheduler": null, "batch_size": 1, "n_iter": 1, "steps": 50,
        "cfg_scale": 7.0, "width": 512, "height": 512, "restore_faces": null, "tiling": null,
        "do_not_save_samples": false, "do_not_save_grid": false, "eta": null,
        "denoising_strength": null, "override_settings": null,
        "override_settings_restore_afterwards": true, "refiner_checkpoint": null,
        "refiner_switch_at": null, "disable_extra_networks": false, "comments": null,
        "sampler_index": "Euler", "script_name": null, "script_args": [], "send_images": true,
        "save_images": false, "alwayson_scripts": {}, "force_task_id": null, "infotext": null,
    });
    match mode {
        Mode::Txt2Img => {
            for (key, value) in [
                ("enable_hr", json!(false)),
                ("hr_scale", json!(2.0)),
                ("hr_upscaler", Value::Null),
                ("hr_second_pass_steps", json!(0)),
                ("hr_resize_x", json!(0)),
                ("hr_resize_y", json!(0)),
            ] {
                defaults[key] = value;
            }
        }
        Mode::Img2Img => {
            for (key, value) in [
                ("init_images", Value::Null),
                ("resize_mode", json!(0)),
                ("image_cfg_scale", Value::Null),
                ("mask", Value::Null),
                ("denoising_strength", json!(0.75)),
                ("include_init_images", json!(false)),
            ] {
                defaults[key] = value;
            }
        }
    }
    defaults
}

#[cfg(test)]
mod tests {
    use super::super::test_calls::{small, url};
    use crate::images::encode_base64;
    use crate::pattern::ImageSpec;
    use crate::test_support::{decode_image, post};
    use crate::{Sandbox, SandboxConfig, Scenario};
    use serde_json::json;

    #[tokio::test]
    async fn errors_in_a1111_shapes() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        let (status, reply) = post(&url(&sandbox, "txt2img"), small(json!({"width": 8}))).await;
        assert_eq!(status, 422);
        assert_eq!(reply["detail"][0]["loc"], json!(["body", "width"]));
        assert_eq!(reply["detail"][0]["type"], "value_error.number.not_ge");
        let (status, reply) = post(&url(&sandbox, "txt2img"), small(json!({"sampler_name": "Nope"}))).await;
        assert_eq!((status, &reply["detail"]), (404, &json!("Sampler not found")));

        let (status, reply) = post(&url(&sandbox, "img2img"), small(json!({"init_images": ["bm90IGFuIGltYWdl"]}))).await;
        assert_eq!(status, 422);
        assert_eq!(reply["detail"][0]["loc"], json!(["body", "init_images", 0]));
        let png = encode_base64(&ImageSpec { width: 20, height: 10, seed: 1 }.png());
        let (status, reply) = post(
            &url(&sandbox, "img2img"),
            small(json!({"init_images": [format!("data:image/png;base64,{png}")],
                         "denoising_strength": 0.4})),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(decode_image(reply["images"][0].as_str().unwrap()).width(), 64);
        assert!(reply["parameters"]["init_images"].is_null());

        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::Validation400)).await.unwrap();
        let (status, reply) = post(&url(&sandbox, "txt2img"), small(json!({}))).await;
        assert_eq!(status, 422);
        assert_eq!(
            reply,
            json!({"detail": [{"loc": ["body", "width"],
            "msg": "ensure this value is greater than or equal to 64",
            "type": "value_error.number.not_ge"}]})
        );

        let sandbox = Sandbox::start(SandboxConfig::new(Scenario::ModelOutage)).await.unwrap();
        let (status, _) = post(&url(&sandbox, "txt2img"), small(json!({}))).await;
        assert_eq!(status, 200);
        let xl = small(json!({"override_settings": {"sd_model_checkpoint": "sd_xl_base_1.0"}}));
        let (status, reply) = post(&url(&sandbox, "txt2img"), xl).await;
        assert_eq!((status, &reply["error"]), (500, &json!("OutOfMemoryError")));
    }
}
