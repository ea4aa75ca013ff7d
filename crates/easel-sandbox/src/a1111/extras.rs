//! A1111's other routes that `webuiapi` calls (real-services.md §3): the lists it reads at
//! start-up and on demand (`scripts`, `schedulers`, `sd-vae`, `upscalers`, `loras`,
//! `cmd-flags`, `memory`, `embeddings`, …), `skip`, `refresh-checkpoints`, `png-info`, and
//! `extra-single-image` (upscaling).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::answers::{detail, unprocessable};
use super::catalog::{SCHEDULERS, UPSCALERS};
use super::fields::Details;
use crate::images::{decode_base64, encode_base64, fit_within_max_side};
use crate::reply::json_response;

/// `GET /sdapi/v1/scripts`: the installed scripts (none of the extensions webuiapi looks for).
pub(super) fn scripts() -> Response {
    let txt2img = ["prompt matrix", "prompts from file or textbox", "x/y/z plot"];
    let img2img =
        ["img2img alternative test", "loopback", "outpainting mk2", "poor man's outpainting", "prompt matrix", "sd upscale", "x/y/z plot"];
    json_response(StatusCode::OK, json!({"txt2img": txt2img, "img2img": img2img}))
}

/// `GET /sdapi/v1/schedulers`.
pub(super) fn schedulers() -> Response {
    let list: Vec<Value> = SCHEDULERS
        .iter()
        .map(|(name, label)| json!({"name": name, "label": label, "aliases": null, "default_rho": -1.0, "need_inner_model": false}))
        .collect();
    json_response(StatusCode::OK, Value::Array(list))
}

/// `GET /sdapi/v1/upscalers`.
pub(super) fn upscalers() -> Response {
    let list: Vec<Value> = UPSCALERS
        .iter()
        .map(|(name, scale)| json!({"name": name, "model_name": null, "model_path": null, "model_url": null, "scale": scale}))
        .collect();
    json_response(StatusCode::OK, Value::Array(list))
}

/// The routes (under `/sdapi/v1/`) that answer a fixed value here.
pub(super) const FIXED: &[&str] = &[
    "sd-vae",
    "latent-upscale-modes",
    "loras",
    "hypernetworks",
    "prompt-styles",
    "realesrgan-models",
    "face-restorers",
    "cmd-flags",
    "memory",
    "embeddings",
];

/// The value of each route in [`FIXED`].
pub(super) fn fixed(route: &str) -> Option<Value> {
    Some(match route {
        "sd-vae" => json!([{"model_name": "sdxl_vae.safetensors", "filename": "/models/VAE/sdxl_vae.safetensors"}]),
        "latent-upscale-modes" => json!([{"name": "Latent"}, {"name": "Latent (nearest)"}, {"name": "Latent (bicubic)"}]),
        "loras" | "hypernetworks" | "prompt-styles" | "realesrgan-models" => json!([]),
        "face-restorers" => json!([{"name": "CodeFormer", "cmd_dir": null}, {"name": "GFPGAN", "cmd_dir": null}]),
        "cmd-flags" => {
            json!({"api": true, "api_auth": null, "listen": false, "port": null, "nowebui": true, "medvram": false, "xformers": false})
        }
        "memory" => json!({
            "ram": {"free": 12.0e9, "used": 4.0e9, "total": 16.0e9},
            "cuda": {"system": {"free": 6.0e9, "used": 2.0e9, "total": 8.0e9}, "active": {"current": 2.0e9, "peak": 3.0e9},
                     "allocated": {"current": 2.0e9, "peak": 3.0e9}, "reserved": {"current": 2.5e9, "peak": 3.5e9},
                     "inactive": {"current": 0, "peak": 0}, "events": {"retries": 0, "oom": 0}},
        }),
        "embeddings" => json!({"loaded": {}, "skipped": {}}),
        _ => return None,
    })
}

/// `POST /sdapi/v1/png-info`: the infotext A1111 stored in a PNG's `parameters` chunk.
pub(super) fn png_info(body: &Map<String, Value>) -> Response {
    let Some(bytes) = body.get("image").and_then(Value::as_str).and_then(decode_base64) else {
        return unprocessable(vec![detail(json!(["body", "image"]), "field required", "value_error.missing")]).into_response();
    };
    let info = png_text(&bytes, "parameters").unwrap_or_default();
    let items = if info.is_empty() { json!({}) } else { json!({"parameters": info}) };
    json_response(StatusCode::OK, json!({"info": info, "items": items, "parameters": {}}))
}

/// `POST /sdapi/v1/extra-single-image`: the image upscaled (`resize_mode` 0: by
/// `upscaling_resize`; 1: to `upscaling_resize_w`×`upscaling_resize_h`).
pub(super) async fn extra_single_image(body: &Map<String, Value>) -> Response {
    let mut check = Details::default();
    let resize_mode = check.integer(body, "resize_mode", 0..=1, 0);
    let factor = check.number(body, "upscaling_resize", 1.0..=8.0, 2.0);
    let (w, h) = (check.integer(body, "upscaling_resize_w", 64..=8192, 512), check.integer(body, "upscaling_resize_h", 64..=8192, 512));
    let upscaler = check.text(body, "upscaler_1").unwrap_or_else(|| "None".into());
    if !check.is_empty() {
        return check.into_rejection().into_response();
    }
    if !UPSCALERS.iter().any(|(name, _)| *name == upscaler) {
        return json_response(
            StatusCode::NOT_FOUND,
            json!({"error": "HTTPException", "detail": format!("Upscaler not found: {upscaler}"), "body": "", "errors": ""}),
        );
    }
    let Some(image) = body.get("image").and_then(Value::as_str).and_then(decode_base64).and_then(|b| image::load_from_memory(&b).ok())
    else {
        return unprocessable(vec![detail(json!(["body", "image"]), "Invalid encoded image", "value_error")]).into_response();
    };
    let (width, height) = match resize_mode {
        1 => (w as u32, h as u32),
        _ => ((f64::from(image.width()) * factor).round() as u32, (f64::from(image.height()) * factor).round() as u32),
    };
    let (width, height) = fit_within_max_side(width.max(1), height.max(1));
    let encoded = crate::pattern::off_thread("upscaling", move || {
        let scaled = image.resize_exact(width, height, image::imageops::FilterType::Triangle);
        let mut png = Vec::new();
        scaled.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).map(|()| encode_base64(&png))
    })
    .await;
    match encoded {
        Some(Ok(image)) => {
            json_response(StatusCode::OK, json!({"html_info": format!("<p>Postprocess upscale to: {width}x{height}</p>"), "image": image}))
        }
        _ => super::answers::out_of_memory(),
    }
}

/// The text of a PNG's `tEXt` chunk named `keyword`.
fn png_text(png: &[u8], keyword: &str) -> Option<String> {
    let mut at = 8;
    while at + 8 <= png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().ok()?) as usize;
        let kind = &png[at + 4..at + 8];
        let data = png.get(at + 8..at + 8 + len)?;
        if kind == b"tEXt"
            && let Some(text) = data.strip_prefix(keyword.as_bytes()).and_then(|rest| rest.strip_prefix(&[0]))
        {
            return Some(String::from_utf8_lossy(text).into_owned());
        }
        at += 12 + len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::test_calls::{get, small, url};
    use crate::test_support::{decode_image, post};
    use crate::{Sandbox, SandboxConfig};
    use serde_json::json;

    #[tokio::test]
    async fn the_routes_webuiapi_calls_answer_and_others_get_fastapis_404() {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        assert!(get(&url(&sandbox, "scripts")).await["txt2img"].is_array());
        for route in ["schedulers", "sd-vae", "upscalers", "loras", "embeddings", "memory", "cmd-flags", "latent-upscale-modes"] {
            let response = reqwest::get(url(&sandbox, route)).await.unwrap();
            assert_eq!(response.status(), 200, "{route}");
        }
        for route in ["skip", "refresh-checkpoints"] {
            assert_eq!(post(&url(&sandbox, route), json!({})).await.0, 200, "{route}");
        }
        let (status, made) = post(&url(&sandbox, "txt2img"), small(json!({"seed": 7}))).await;
        assert_eq!(status, 200);
        let image = made["images"][0].as_str().unwrap();
        let (_, info) = post(&url(&sandbox, "png-info"), json!({"image": format!("data:image/png;base64,{image}")})).await;
        assert!(info["info"].as_str().unwrap().contains("Seed: 7"), "{info}");
        let (status, up) =
            post(&url(&sandbox, "extra-single-image"), json!({"image": image, "upscaling_resize": 2, "upscaler_1": "Lanczos"})).await;
        assert_eq!(status, 200, "{up}");
        assert_eq!(decode_image(up["image"].as_str().unwrap()).width(), 128);
        let wrong = reqwest::Client::new().delete(url(&sandbox, "txt2img")).send().await.unwrap();
        assert_eq!(wrong.status(), 405);
        let (status, reply) = post(&url(&sandbox, "no-such-route"), json!({})).await;
        assert_eq!((status, reply), (404, json!({"detail": "Not Found"})));
    }
}
