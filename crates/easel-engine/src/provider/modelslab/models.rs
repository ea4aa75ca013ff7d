//! ModelsLab's models: which API each lives on, what each takes, and which model id edits for
//! it, in one table with the source of every row.
//!
//! How the service really answers is in shared/reference/real-services.md (it wins where
//! protocols.md differs). The v7 rows come from ModelsLab's official Python SDK,
//! `modelslab-py` 0.2.3 (`providers/<provider>/schemas.py` for the fields, `api.py` for the
//! endpoint); where a source is silent, the row says what Easel chose and why. A model id the
//! table does not know goes by the generic v6 rules (where ModelsLab's thousands of
//! community models live), with a note that its limits are unknown; what the service's model
//! search says about a model wins over the table (`search.rs`).

use crate::capabilities::{Capabilities, Choice, ModelOption, ModelRules};
use crate::provider::{ModelInfo, Speed};
use std::ops::RangeInclusive;

/// Which API a model is sent to: "choosing v6 or v7 follows the model".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Api {
    /// `/api/v6/images/{text2img,img2img,inpaint}`: community models and Flux, with sizes,
    /// steps, guidance, seeds and base64 start images.
    V6,
    /// `/api/v7/images/{text-to-image,image-to-image}`: provider-hosted models, each with its
    /// own fields; start images travel as URLs.
    V7,
}

/// How a request says the picture's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    /// `width` and `height`, from `min` to `max` and divisible by 8.
    Size { min: u32, max: u32 },
    /// `aspect_ratio`, one of these; `required` when the SDK makes it a required field
    /// (otherwise it is still sent, as the person chose it).
    Ratio { ratios: &'static [&'static str], required: bool },
    /// Neither: the service decides (square pictures). Nothing is sent.
    Service,
}

/// How an editing request carries its start images.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Images {
    /// `init_image`: one URL.
    One,
    /// `init_image`: an array of URLs, even for one picture (the SDK's `List[Any]`).
    Array,
    /// `init_image` and `init_image_2`: exactly two pictures.
    Pair,
}

/// How a model edits: the model id an editing request names, and what it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Editing {
    pub model_id: &'static str,
    pub images: Images,
    pub max_images: u32,
    /// The shape an editing request takes (none: the start image decides).
    pub shape: Shape,
}

/// One row of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct ModelSpec {
    pub id: &'static str,
    pub api: Api,
    /// The shape a text-to-image request takes; `None` for a model that only edits.
    pub text: Option<Shape>,
    /// Most pictures per request; 1 means the field is not sent at all.
    pub max_samples: u32,
    pub edit: Option<Editing>,
    /// Where the row comes from.
    pub source: &'static str,
}

impl ModelSpec {
    /// The model id and editing fields of a request with start images.
    pub(super) fn editing(&self) -> Option<&Editing> {
        self.edit.as_ref()
    }
}

/// The aspect ratios Google's Imagen 4 takes (`Imagen4Schema.aspect_ratio`).
const IMAGEN: &[&str] = &["1:1", "3:4", "4:3", "9:16", "16:9"];
/// Seedream 4 and 4.5 make pictures in these (`SeeDream45Schema.aspect_ratio`).
const SEEDREAM: &[&str] = &["1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3", "21:9"];
/// Seedream 4.5 edits in these: 3:4 is missing (`SeeDream45I2ISchema.aspect_ratio`).
const SEEDREAM_EDIT: &[&str] = &["1:1", "4:3", "16:9", "9:16", "3:2", "2:3", "21:9"];
/// Flux Kontext Pro (`FluxKontextProSchema.aspect_ratio`).
const KONTEXT: &[&str] = &["21:9", "16:9", "4:3", "3:2", "1:1", "2:3", "3:4", "9:16", "9:21"];
/// Runway Gen-4 Image (`modelslab.com/models/runway_ml/gen4_image/llms.txt`).
const GEN4: &[&str] = &["16:9", "9:16", "1:1", "85:48", "4:3", "3:4", "113:48", "88:38", "7:3"];

const fn ratio(ratios: &'static [&'static str]) -> Shape {
    Shape::Ratio { ratios, required: true }
}

const fn edits(model_id: &'static str, images: Images, max_images: u32, shape: Shape) -> Option<Editing> {
    Some(Editing { model_id, images, max_images, shape })
}

/// The v7 models (and the two v6 ones the SDK names), each with its source.
pub(super) const TABLE: &[ModelSpec] = &[
    ModelSpec {
        id: "imagen-4",
        api: Api::V7,
        text: Some(ratio(IMAGEN)),
        max_samples: 1,
        edit: None,
        source: "modelslab-py google/schemas.py Imagen4Schema; google/api.py imagen_4 (v7 text-to-image). Imagen has no image-to-image.",
    },
    ModelSpec {
        id: "imagen-4.0-fast-generate",
        api: Api::V7,
        text: Some(ratio(IMAGEN)),
        max_samples: 1,
        edit: None,
        source: "modelslab-py google/schemas.py Imagen40FastGenerateSchema",
    },
    ModelSpec {
        id: "imagen-4.0-ultra",
        api: Api::V7,
        text: Some(ratio(IMAGEN)),
        max_samples: 4,
        edit: None,
        source: "modelslab-py google/schemas.py Imagen40UltraSchema (samples 1-4)",
    },
    ModelSpec {
        id: "imagen-3",
        api: Api::V7,
        text: Some(Shape::Service),
        max_samples: 1,
        edit: None,
        source: "modelslab-py google/schemas.py Imagen3Schema: the prompt only",
    },
    ModelSpec {
        id: "nano-banana-t2i",
        api: Api::V7,
        text: Some(Shape::Service),
        max_samples: 1,
        edit: edits("nano-banana", Images::Pair, 2, Shape::Service),
        source: "modelslab-py google/schemas.py NanoBananaT2ISchema (the prompt only); edits as nano-banana (Easel's pairing)",
    },
    ModelSpec {
        id: "nano-banana",
        api: Api::V7,
        text: None,
        max_samples: 1,
        edit: edits("nano-banana", Images::Pair, 2, Shape::Service),
        source: "modelslab-py google/schemas.py NanoBananaSchema: init_image and init_image_2, both required (v7 image-to-image)",
    },
    ModelSpec {
        id: "nano-banana-pro",
        api: Api::V7,
        text: Some(Shape::Ratio { ratios: IMAGEN, required: false }),
        max_samples: 1,
        edit: edits("nano-banana-pro", Images::Array, 14, Shape::Ratio { ratios: IMAGEN, required: false }),
        source: "modelslab-py google/schemas.py NanoBananaProSchema, NanoBananaProImageEditSchema (\"up to 14 images\"); aspect_ratio is \
                 optional and the SDK lists no values, so Easel offers Imagen's five, which Google's image models all take",
    },
    ModelSpec {
        id: "seedream-4.5",
        api: Api::V7,
        text: Some(ratio(SEEDREAM)),
        max_samples: 1,
        edit: edits("seedream-4.5-i2i", Images::Array, 10, ratio(SEEDREAM_EDIT)),
        source: "modelslab-py byteplus/schemas.py SeeDream45Schema, SeeDream45I2ISchema (init_image: List, up to 10; aspect_ratio \
                 required, no 3:4)",
    },
    ModelSpec {
        id: "seedream-4.5-i2i",
        api: Api::V7,
        text: None,
        max_samples: 1,
        edit: edits("seedream-4.5-i2i", Images::Array, 10, ratio(SEEDREAM_EDIT)),
        source: "modelslab-py byteplus/schemas.py SeeDream45I2ISchema",
    },
    ModelSpec {
        id: "seedream-4",
        api: Api::V7,
        text: Some(ratio(SEEDREAM)),
        max_samples: 1,
        edit: edits("seedream-4.0-i2i", Images::Array, 10, Shape::Service),
        source: "modelslab-py byteplus/schemas.py SeeDream4Schema, SeeDream4I2ISchema (init_image: List, up to 10; no aspect_ratio)",
    },
    ModelSpec {
        id: "seedream-4.0-i2i",
        api: Api::V7,
        text: None,
        max_samples: 1,
        edit: edits("seedream-4.0-i2i", Images::Array, 10, Shape::Service),
        source: "modelslab-py byteplus/schemas.py SeeDream4I2ISchema",
    },
    ModelSpec {
        id: "seedream-t2i",
        api: Api::V7,
        text: Some(Shape::Size { min: 512, max: 1024 }),
        max_samples: 1,
        edit: edits("seededit-i2i", Images::One, 1, Shape::Service),
        source: "modelslab-py byteplus/schemas.py SeeDreamT2ISchema (width/height 512-1024); edits as seededit-i2i (Easel's pairing)",
    },
    ModelSpec {
        id: "seededit-i2i",
        api: Api::V7,
        text: None,
        max_samples: 1,
        edit: edits("seededit-i2i", Images::One, 1, Shape::Service),
        source: "modelslab-py byteplus/schemas.py SeeEditI2ISchema (one init_image)",
    },
    ModelSpec {
        id: "flux-2-pro",
        api: Api::V7,
        text: Some(Shape::Size { min: 512, max: 1024 }),
        max_samples: 1,
        edit: edits("flux-2-pro", Images::Array, 10, Shape::Service),
        source: "modelslab-py bfl/schemas.py Flux2ProSchema (width/height 512-1024), Flux2ProImageEditingSchema (\"up to 10 images\"); \
                 bfl/api.py: both on v7",
    },
    ModelSpec {
        id: "flux-kontext-pro",
        api: Api::V7,
        text: None,
        max_samples: 1,
        edit: edits("flux-kontext-pro", Images::One, 1, Shape::Ratio { ratios: KONTEXT, required: false }),
        source: "modelslab-py bfl/schemas.py FluxKontextProSchema (one init_image, optional aspect_ratio); bfl/api.py: v7 image-to-image",
    },
    ModelSpec {
        id: "flux-pro-1.1",
        api: Api::V6,
        text: Some(Shape::Size { min: 512, max: 1024 }),
        max_samples: 1,
        edit: None,
        source: "modelslab-py bfl/schemas.py FluxPro11Schema (width/height 512-1024, guidance 1-10); bfl/api.py: v6 text2img",
    },
    ModelSpec {
        id: "flux-pro-1.1-ultra",
        api: Api::V6,
        text: Some(Shape::Size { min: 512, max: 1024 }),
        max_samples: 1,
        edit: None,
        source: "modelslab-py bfl/schemas.py FluxPro11UltraSchema; bfl/api.py: v6 text2img",
    },
    ModelSpec {
        id: "gen4_image",
        api: Api::V7,
        text: Some(ratio(GEN4)),
        max_samples: 1,
        edit: edits("gen4_image_turbo", Images::Pair, 2, Shape::Service),
        source: "modelslab-py runway/schemas.py Gen4ImageSchema, Gen4ImageTurboSchema (init_image and init_image_2, both required); \
                 ratios from modelslab.com/models/runway_ml/gen4_image/llms.txt",
    },
    ModelSpec {
        id: "gen4_image_turbo",
        api: Api::V7,
        text: None,
        max_samples: 1,
        edit: edits("gen4_image_turbo", Images::Pair, 2, Shape::Service),
        source: "modelslab-py runway/schemas.py Gen4ImageTurboSchema",
    },
];

/// The row of the table for `model`, if it has one.
pub(super) fn spec(model: &str) -> Option<&'static ModelSpec> {
    TABLE.iter().find(|m| m.id.eq_ignore_ascii_case(model.trim()))
}

/// Which API `model` is sent to; ids the table does not know are community models (v6).
pub(super) fn api(model: &str) -> Api {
    spec(model).map_or(Api::V6, |m| m.api)
}

/// What the picker offers first; any other id may be typed.
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
        description: "Google's model: clean, photographic pictures with readable text. Makes new pictures only.",
        speed: Speed::Quality,
        negative_prompt: false,
    },
    ModelInfo {
        id: "seedream-4.5",
        label: "Seedream 4.5",
        description: "ByteDance's model: rich colour and scenes; can also edit up to 10 of your pictures.",
        speed: Speed::Quality,
        negative_prompt: false,
    },
    ModelInfo {
        id: "nano-banana-pro",
        label: "Nano Banana Pro",
        description: "Google's model for editing and combining up to 14 pictures; also makes new ones.",
        speed: Speed::Quality,
        negative_prompt: false,
    },
    ModelInfo {
        id: "flux-kontext-pro",
        label: "Flux Kontext Pro",
        description: "Changes a picture you give it as you describe; does not make new ones.",
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

/// Sizes offered for width-and-height models.
const SIZE_PRESETS: &[(u32, u32)] = &[(512, 512), (768, 768), (1024, 1024), (768, 512), (512, 768), (1024, 576), (576, 1024)];
/// What a model that decides its own size makes.
const SERVICE_SIZE: &[(u32, u32)] = &[(1024, 1024)];
/// Start images a v7 model may be given (they travel as URLs; the output does not take their size).
const V7_START_IMAGE_SIDES: RangeInclusive<u32> = 64..=4096;

/// The scheduler the docs' examples send (`UniPCMultistepScheduler`): "for image-to-image and
/// inpainting with SD/SDXL models, include the `scheduler` parameter" (docs-v2
/// guides/model-selection.mdx; Flux does not need it).
pub(super) const DEFAULT_SCHEDULER: &str = "UniPCMultistepScheduler";

/// "Let the service improve my prompt": `enhance_prompt` is "yes" on the server unless sent
/// (docs-v2 community-models/openapi.json `CommonImageGenerationParams`), so Easel always
/// sends it, "no" unless the person chose otherwise. Flux does not support it.
pub(super) const ENHANCE_PROMPT: &str = "enhance_prompt";
const YES_NO: &[Choice] = &[Choice { value: "no", label: "No: send my prompt as I typed it" }, Choice { value: "yes", label: "Yes" }];

fn enhance_prompt_option() -> ModelOption {
    ModelOption {
        id: ENHANCE_PROMPT,
        label: "Let the service improve my prompt",
        help: "ModelsLab can rewrite your prompt with extra words of its own before making the picture. The library keeps both.",
        choices: YES_NO,
        default: "no",
    }
}

/// Is this a Flux-family community model (no negative prompt, steps 20–50, no prompt rewriting)?
pub(super) fn is_flux(model: &str) -> bool {
    let lower = model.trim().to_ascii_lowercase();
    lower == "flux" || (lower.starts_with("flux-") && spec(model).is_none())
}

/// "Any value above 20 will be capped at 20" (docs-v2 community-models/openapi.json).
const COMMUNITY_STEPS: RangeInclusive<u32> = 1..=20;
const STEPS_CAPPED: &str = "ModelsLab uses at most 20 steps for community models; Easel sends 20 when you ask for more.";
const UNKNOWN_LIMITS: &str =
    "Easel does not know this model's limits, so it uses ModelsLab's usual ones; the service will say if a setting does not suit it.";
const SERVICE_PICKS_SIZE: &str = "This model decides the picture's size itself (square pictures).";

/// What ModelsLab accepts for `model`.
pub(super) fn capabilities(model: &str) -> Capabilities {
    match spec(model) {
        Some(spec) => table_capabilities(spec),
        None => community_capabilities(model),
    }
}

/// A community model (v6): sizes, steps, guidance, seeds, one start image, inpainting.
fn community_capabilities(model: &str) -> Capabilities {
    let flux = is_flux(model);
    let known = MODELS.iter().find(|m| m.id.eq_ignore_ascii_case(model.trim()));
    let negative = !flux && known.is_none_or(|m| m.negative_prompt);
    Capabilities {
        size: 256..=1024,
        size_multiple: 8,
        size_presets: SIZE_PRESETS,
        samples: 1..=4,
        // Community models: 1–20, higher values capped by the service. Flux: its page's 20–50
        // (FLUX-OAS says 1–50).
        steps: Some(if flux { 20..=50 } else { COMMUNITY_STEPS }),
        guidance: Some(1.0..=20.0),
        seed: true,
        negative_prompt: negative,
        negative_prompt_note: (!negative).then_some("Flux ignores negative prompts, so the field is hidden."),
        max_prompt_chars: 2000,
        balance: true,
        aspect_ratios: &[],
        exact_sizes: false,
        free_size: None,
        max_init_images: 1,
        inpaint: true,
        any_init_size: false,
        model_required: true,
        options: if flux { Vec::new() } else { vec![enhance_prompt_option()] },
        option_rules: &[],
        rules: ModelRules {
            steps_capped: (!flux).then_some(STEPS_CAPPED),
            note: known.is_none().then_some(UNKNOWN_LIMITS),
            ..ModelRules::default()
        },
    }
}

/// A model of the table: only the fields it takes.
fn table_capabilities(spec: &ModelSpec) -> Capabilities {
    let edit = spec.editing();
    // An editing-only model is told its shape by the editing request.
    let shape = spec.text.or(edit.map(|e| e.shape)).unwrap_or(Shape::Service);
    let (size, presets, ratios) = match &shape {
        Shape::Size { min, max } => (*min..=*max, SIZE_PRESETS, &[][..]),
        // Start images travel as URLs and the output does not take their size, so any
        // readable picture will do.
        Shape::Ratio { ratios, .. } => (V7_START_IMAGE_SIDES, SERVICE_SIZE, *ratios),
        Shape::Service if spec.text.is_some() => (1024..=1024, SERVICE_SIZE, &[][..]),
        Shape::Service => (V7_START_IMAGE_SIDES, SERVICE_SIZE, &[][..]),
    };
    // Editing in other shapes than the model's own (Seedream 4.5), or in none.
    let edit_aspect_ratios = edit.filter(|_| spec.text.is_some() && !ratios.is_empty()).and_then(|e| match e.shape {
        Shape::Ratio { ratios: own, .. } if own == ratios => None,
        Shape::Ratio { ratios: own, .. } => Some(own),
        Shape::Size { .. } | Shape::Service => Some(&[][..]),
    });
    let v6 = spec.api == Api::V6;
    Capabilities {
        size,
        size_multiple: 8,
        size_presets: presets,
        samples: 1..=spec.max_samples.max(1),
        steps: None,
        guidance: v6.then_some(1.0..=10.0),
        // No v7 schema, and none of the SDK's BFL schemas on v6, names a seed.
        seed: false,
        negative_prompt: v6,
        negative_prompt_note: (!v6).then_some("This model takes no negative prompt, so the field is hidden."),
        max_prompt_chars: 2000,
        balance: true,
        aspect_ratios: ratios,
        exact_sizes: matches!(shape, Shape::Service) && spec.text.is_some(),
        free_size: None,
        max_init_images: edit.map_or(0, |e| e.max_images),
        // No source says which models ModelsLab's v7 inpainting serves.
        inpaint: false,
        // v7 start images travel as URLs, and the output does not take their size.
        any_init_size: spec.api == Api::V7,
        model_required: true,
        options: Vec::new(),
        option_rules: &[],
        rules: ModelRules {
            edits_only: spec.text.is_none(),
            min_init_images: edit.map_or(0, |e| if e.images == Images::Pair { 2 } else { 1 }),
            edit_aspect_ratios,
            steps_capped: None,
            note: (matches!(shape, Shape::Service) && spec.text.is_some()).then_some(SERVICE_PICKS_SIZE),
            // The SDK's v7 editing schemas name no strength; v6 img2img takes one.
            no_strength: !v6,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_has_a_source_and_every_editing_id_is_a_row() {
        for row in TABLE {
            assert!(!row.source.trim().is_empty(), "{}", row.id);
            if let Some(edit) = row.edit {
                let target = spec(edit.model_id).unwrap_or_else(|| panic!("{} edits as {}, which has no row", row.id, edit.model_id));
                assert_eq!(target.edit, Some(edit), "{} and {} disagree on editing", row.id, edit.model_id);
            }
            assert!(row.text.is_some() || row.edit.is_some(), "{} does nothing", row.id);
        }
        for model in MODELS {
            assert_eq!(model.id, model.id.trim(), "picker ids are trimmed");
        }
    }

    #[test]
    fn imagen_takes_its_five_ratios_and_no_start_image() {
        let caps = capabilities("imagen-4");
        assert_eq!(caps.aspect_ratios, IMAGEN);
        assert!(!caps.aspect_ratios.contains(&"3:2") && !caps.aspect_ratios.contains(&"2:3"));
        assert_eq!((caps.max_init_images, caps.samples.clone()), (0, 1..=1));
        assert_eq!(capabilities("imagen-4.0-ultra").samples, 1..=4);
    }

    #[test]
    fn seedream_offers_21_9_and_edits_without_3_4() {
        let caps = capabilities("seedream-4.5");
        assert!(caps.aspect_ratios.contains(&"21:9") && caps.aspect_ratios.contains(&"3:4"));
        assert_eq!((caps.max_init_images, caps.rules.edits_only), (10, false));
        assert_eq!(caps.rules.edit_aspect_ratios, Some(SEEDREAM_EDIT));
        let edit_only = capabilities("seedream-4.5-i2i");
        assert_eq!((edit_only.rules.edits_only, edit_only.aspect_ratios), (true, SEEDREAM_EDIT));
    }

    #[test]
    fn pairs_need_two_pictures_and_editing_only_models_one() {
        for pair in ["nano-banana", "gen4_image_turbo", "gen4_image", "nano-banana-t2i"] {
            assert_eq!(capabilities(pair).rules.min_init_images, 2, "{pair} edits with two pictures");
        }
        assert!(capabilities("gen4_image_turbo").rules.edits_only);
        assert!(!capabilities("gen4_image").rules.edits_only, "gen4_image makes pictures from words too");
        let kontext = capabilities("flux-kontext-pro");
        assert_eq!((kontext.rules.edits_only, kontext.max_init_images, kontext.aspect_ratios), (true, 1, KONTEXT));
        assert_eq!(capabilities("gen4_image").rules.edit_aspect_ratios, Some(&[][..]), "editing takes no ratio");
    }

    #[test]
    fn community_models_cap_steps_and_offer_the_prompt_choice_unknown_ones_say_so() {
        let sdxl = capabilities("sdxl");
        assert_eq!((sdxl.steps.clone(), sdxl.rules.steps_capped.is_some()), (Some(1..=20), true));
        assert_eq!(sdxl.options[0].id, ENHANCE_PROMPT);
        assert_eq!(sdxl.options[0].default, "no");
        assert!(sdxl.rules.note.is_none());
        let flux = capabilities("flux");
        assert!(flux.options.is_empty() && flux.rules.steps_capped.is_none() && flux.rules.note.is_none());
        let unknown = capabilities("my-own-lora-model");
        assert_eq!(unknown.rules.note, Some(UNKNOWN_LIMITS));
        assert_eq!(api("my-own-lora-model"), Api::V6);
        assert!(unknown.img2img() && unknown.inpaint);
    }

    #[test]
    fn models_that_pick_their_size_offer_one() {
        let caps = capabilities("imagen-3");
        assert!(caps.exact_sizes && caps.aspect_ratios.is_empty());
        assert_eq!(caps.size_presets, SERVICE_SIZE);
        assert_eq!(caps.rules.note, Some(SERVICE_PICKS_SIZE));
    }
}
