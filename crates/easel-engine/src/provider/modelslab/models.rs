//! ModelsLab's models: which API each lives on (v6 or v7) and what each accepts, in one place.
//!
//! How the services really answer is in shared/reference/real-services.md, which wins where
//! protocols.md differs; where the sources disagree about a number, the choice is said beside it.

use crate::capabilities::Capabilities;
use crate::provider::{ModelInfo, Speed};

pub(super) const MODELS: &[ModelInfo] = &[
    ModelInfo {
        id: "flux",
        label: "Flux (high quality)",
        description: "Detailed, natural-looking pictures; follows long descriptions well.",
        speed: Speed::Quality,
        negative_prompt: false,
    },
    ModelInfo {
        id: "imagen-4",
        label: "Imagen 4",
        description: "Google's model: clean, photographic pictures with readable text.",
        speed: Speed::Quality,
        negative_prompt: false,
    },
    ModelInfo {
        id: "seedream-4.5",
        label: "Seedream 4.5",
        description: "ByteDance's model: rich colour and scenes; can also edit your pictures.",
        speed: Speed::Quality,
        negative_prompt: false,
    },
    ModelInfo {
        id: "nano-banana-pro",
        label: "Nano Banana Pro",
        description: "Google's model for editing and combining pictures; also makes new ones.",
        speed: Speed::Quality,
        negative_prompt: false,
    },
    ModelInfo {
        id: "sdxl",
        label: "Stable Diffusion XL",
        description: "The classic all-rounder; fast and flexible with styles.",
        speed: Speed::Quality,
        negative_prompt: true,
    },
    ModelInfo {
        id: "realistic-vision-51",
        label: "Realistic Vision 5.1",
        description: "Photo-like portraits and people, quickly.",
        speed: Speed::Fast,
        negative_prompt: true,
    },
    ModelInfo {
        id: "dreamshaper-8",
        label: "DreamShaper 8",
        description: "Painterly and fantasy pictures, quickly.",
        speed: Speed::Fast,
        negative_prompt: true,
    },
    ModelInfo {
        id: "anything-v5",
        label: "Anything V5 (anime)",
        description: "Anime and manga-style drawings.",
        speed: Speed::Fast,
        negative_prompt: true,
    },
];

/// Provider-hosted models that live only on the v7 API and take an aspect ratio.
const V7_MODELS: &[&str] = &["imagen-4", "imagen-4.0-ultra", "seedream-4.5", "gen4_image", "nano-banana-pro"];
const ASPECT_RATIOS: &[&str] = &["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3"];

const SIZE_PRESETS: &[(u32, u32)] = &[(512, 512), (768, 768), (1024, 1024), (768, 512), (512, 768), (1024, 576), (576, 1024)];

/// Which ModelsLab API a model lives on: "choosing v6 or v7 follows the model".
pub(super) fn is_v7(model: &str) -> bool {
    V7_MODELS.iter().any(|m| m.eq_ignore_ascii_case(model))
}

/// Is this a Flux-family model (no negative prompt, steps 20–50)?
fn is_flux(model: &str) -> bool {
    model.eq_ignore_ascii_case("flux") || model.to_ascii_lowercase().starts_with("flux-")
}

/// What ModelsLab accepts for `model`.
pub(super) fn capabilities(model: &str) -> Capabilities {
    let flux = is_flux(model);
    let v7 = is_v7(model);
    let negative = !flux && !v7 && MODELS.iter().find(|m| m.id == model).is_none_or(|m| m.negative_prompt);
    Capabilities {
        size: 256..=1024,
        size_multiple: 8,
        size_presets: SIZE_PRESETS,
        samples: 1..=4,
        // The reference disagrees: community models 1–20 (server clamps higher values),
        // FLUX-OAS 1–50, the flux page 20–50. Flux gets its page's range; others 1–50.
        steps: Some(if flux { 20..=50 } else { 1..=50 }),
        guidance: Some(1.0..=20.0),
        seed: true,
        negative_prompt: negative,
        negative_prompt_note: (!negative).then_some(if v7 {
            "This model ignores negative prompts, so the field is hidden."
        } else {
            "Flux ignores negative prompts, so the field is hidden."
        }),
        max_prompt_chars: 2000,
        balance: true,
        aspect_ratios: if v7 { ASPECT_RATIOS } else { &[] },
        exact_sizes: false,
        free_size: None,
        // v7 takes starting images as URLs: the job uploads local files first (`upload`).
        max_init_images: 1,
        inpaint: true,
        any_init_size: false,
        model_required: true,
        options: Vec::new(),
        option_rules: &[],
    }
}
