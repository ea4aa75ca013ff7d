//! OpenAI's image models and what each accepts: one table, with its sources.
//!
//! Sources: OpenAI's OpenAPI spec 2.3.0 of 2026-08-21 (`CreateImageRequest`,
//! `CreateImageEditRequest`), OpenAI's Python SDK 3.57 (`types/image_generate_params.py`,
//! `types/image_model.py`), OpenAI's models pages (DALL·E 2 and 3 shut down on 2026-05-12), as
//! summarised in `shared/reference/real-services.md` §2.
//!
//! - GPT image models: `n` 1–10, prompts up to 32,000 characters, up to 16 start images
//!   (`image[]`) and a mask; `quality`, `background`, `output_format`, `output_compression`,
//!   `moderation`; streaming with `partial_images` 0–3. Sizes 1024×1024, 1536×1024, 1024×1536.
//! - `gpt-image-2` (and its dated snapshots, and the later `gpt-image-2.x` models the SDK
//!   names): any size whose sides are multiples of 16, the long side at most three times the
//!   short one, up to 3840×2160 ("above 2560×1440 is experimental").
//! - `dall-e-3`: `n` 1, prompts up to 4,000 characters, 1024×1024, 1792×1024, 1024×1792,
//!   `quality` standard/hd, `style` vivid/natural, no edits. `dall-e-2`: 256², 512², 1024²,
//!   prompts up to 1,000, one square PNG start image. Both retired by OpenAI: offered only for
//!   OpenAI-compatible servers that still have them.
//! - Anything else (a compatible server's own model): what most such servers take.

use crate::capabilities::{Capabilities, Choice, FreeSize, ModelOption, OptionRule};
use crate::provider::{ModelInfo, Speed};

/// What OpenAI offers today, newest first (the first is the default).
pub(super) const CURRENT: &[ModelInfo] = &[
    ModelInfo {
        id: "gpt-image-2",
        label: "GPT Image 2",
        description: "OpenAI's newest picture model: any size up to 4K, follows instructions closely, good with text.",
        speed: Speed::Quality,
        negative_prompt: false,
    },
    ModelInfo {
        id: "gpt-image-1.5",
        label: "GPT Image 1.5",
        description: "OpenAI's picture model in three sizes: follows instructions closely, good at editing.",
        speed: Speed::Quality,
        negative_prompt: false,
    },
    ModelInfo {
        id: "gpt-image-1-mini",
        label: "GPT Image 1 mini",
        description: "A cheaper, faster GPT Image.",
        speed: Speed::Fast,
        negative_prompt: false,
    },
    ModelInfo {
        id: "gpt-image-1",
        label: "GPT Image 1",
        description: "The first GPT Image model.",
        speed: Speed::Quality,
        negative_prompt: false,
    },
];

/// The current models, then those only compatible servers still offer.
pub(super) const WITH_RETIRED: &[ModelInfo] = &[
    CURRENT[0],
    CURRENT[1],
    CURRENT[2],
    CURRENT[3],
    ModelInfo {
        id: "dall-e-3",
        label: "DALL·E 3",
        description: "An older model OpenAI retired in May 2026; some compatible servers still offer it.",
        speed: Speed::Quality,
        negative_prompt: false,
    },
    ModelInfo {
        id: "dall-e-2",
        label: "DALL·E 2",
        description: "The oldest model, retired by OpenAI in May 2026; some compatible servers still offer it.",
        speed: Speed::Fast,
        negative_prompt: false,
    },
];

/// Models OpenAI has shut down: the id, the name a person knows, and when.
pub(super) const RETIRED: &[(&str, &str, &str)] = &[("dall-e-3", "DALL·E 3", "12 May 2026"), ("dall-e-2", "DALL·E 2", "12 May 2026")];

const GPT_IMAGE_SIZES: &[(u32, u32)] = &[(1024, 1024), (1536, 1024), (1024, 1536)];
/// Suggestions for gpt-image-2, which makes any size within its rules.
const GPT_IMAGE_2_SIZES: &[(u32, u32)] =
    &[(1024, 1024), (1536, 1024), (1024, 1536), (1536, 864), (864, 1536), (2048, 2048), (2560, 1440), (3840, 2160), (2160, 3840)];
const DALLE3_SIZES: &[(u32, u32)] = &[(1024, 1024), (1792, 1024), (1024, 1792)];
const DALLE2_SIZES: &[(u32, u32)] = &[(256, 256), (512, 512), (1024, 1024)];
const OTHER_SIZES: &[(u32, u32)] = &[(512, 512), (768, 768), (1024, 1024), (1024, 768), (768, 1024)];

/// gpt-image-2's rule: the long side at most 3× the short one, at most 3840×2160 pixels.
const GPT_IMAGE_2_FREE: FreeSize = FreeSize { max_ratio: 3, max_pixels: 3840 * 2160 };

/// The model families that accept different things.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Family {
    /// gpt-image-2 and later: free sizes.
    GptImage2,
    /// gpt-image-1, -1-mini, -1.5, chatgpt-image-latest: three sizes.
    GptImage,
    Dalle3,
    Dalle2,
    /// A compatible server's own model.
    Other,
}

impl Family {
    pub(super) fn of(model: &str) -> Self {
        let model = model.trim().to_ascii_lowercase();
        if model.starts_with("gpt-image-2") {
            Self::GptImage2
        } else if model.starts_with("gpt-image") || model.starts_with("chatgpt-image") {
            Self::GptImage
        } else if model == "dall-e-3" {
            Self::Dalle3
        } else if model == "dall-e-2" {
            Self::Dalle2
        } else {
            Self::Other
        }
    }

    /// GPT image models: always base64, never `response_format`; the options above.
    pub(super) fn gpt_image(self) -> bool {
        matches!(self, Self::GptImage2 | Self::GptImage)
    }
}

const QUALITY: &[Choice] = &[
    Choice { value: "auto", label: "Automatic" },
    Choice { value: "low", label: "Low (fastest, cheapest)" },
    Choice { value: "medium", label: "Medium" },
    Choice { value: "high", label: "High (slowest, dearest)" },
];
const BACKGROUND: &[Choice] = &[
    Choice { value: "auto", label: "Automatic" },
    Choice { value: "opaque", label: "Opaque" },
    Choice { value: "transparent", label: "Transparent" },
];
const OUTPUT_FORMAT: &[Choice] =
    &[Choice { value: "png", label: "PNG" }, Choice { value: "webp", label: "WebP" }, Choice { value: "jpeg", label: "JPEG" }];
const COMPRESSION: &[Choice] = &[
    Choice { value: "100", label: "None (100%)" },
    Choice { value: "90", label: "90%" },
    Choice { value: "75", label: "75%" },
    Choice { value: "50", label: "50%" },
    Choice { value: "25", label: "25%" },
];
const MODERATION: &[Choice] = &[Choice { value: "auto", label: "Standard" }, Choice { value: "low", label: "Less strict" }];
const PARTIAL_IMAGES: &[Choice] = &[
    Choice { value: "0", label: "Off" },
    Choice { value: "1", label: "1 preview" },
    Choice { value: "2", label: "2 previews" },
    Choice { value: "3", label: "3 previews" },
];
const DALLE3_QUALITY: &[Choice] = &[Choice { value: "standard", label: "Standard" }, Choice { value: "hd", label: "HD (finer detail)" }];
const DALLE3_STYLE: &[Choice] = &[Choice { value: "vivid", label: "Vivid" }, Choice { value: "natural", label: "Natural" }];

/// What the options of a GPT image model must agree on.
const GPT_IMAGE_RULES: &[OptionRule] = &[OptionRule {
    when: "background",
    is: "transparent",
    then: "output_format",
    allowed: &["png", "webp"],
    message: "A transparent background needs PNG or WebP: JPEG has no transparency.",
}];

fn gpt_image_options() -> Vec<ModelOption> {
    vec![
        ModelOption {
            id: "quality",
            label: "Quality",
            help: "Higher quality takes longer and costs more.",
            choices: QUALITY,
            default: "auto",
        },
        ModelOption {
            id: "background",
            label: "Background",
            help: "Transparent makes a cut-out picture (PNG or WebP).",
            choices: BACKGROUND,
            default: "auto",
        },
        ModelOption {
            id: "output_format",
            label: "File format",
            help: "PNG keeps every detail; WebP and JPEG make smaller files.",
            choices: OUTPUT_FORMAT,
            default: "png",
        },
        ModelOption {
            id: "output_compression",
            label: "Compression",
            help: "For WebP and JPEG only: lower means smaller files and less detail.",
            choices: COMPRESSION,
            default: "100",
        },
        ModelOption {
            id: "moderation",
            label: "Content filter",
            help: "How strictly the service filters what it makes (not for edits, which use the standard filter).",
            choices: MODERATION,
            default: "auto",
        },
        ModelOption {
            id: "partial_images",
            label: "Previews while it works",
            help: "Rough versions of the picture shown before it is finished.",
            choices: PARTIAL_IMAGES,
            default: "0",
        },
    ]
}

/// What `model` accepts.
pub(super) fn capabilities(model: &str) -> Capabilities {
    let family = Family::of(model);
    let mut caps = Capabilities {
        size: 256..=2048,
        size_multiple: 16,
        size_presets: OTHER_SIZES,
        samples: 1..=10,
        steps: None,
        guidance: None,
        seed: false,
        negative_prompt: false,
        negative_prompt_note: Some("This service has no negative prompt; describe what you want instead."),
        max_prompt_chars: 4000,
        balance: false,
        aspect_ratios: &[],
        exact_sizes: false,
        free_size: None,
        max_init_images: 1,
        inpaint: true,
        any_init_size: true,
        model_required: true,
        options: Vec::new(),
        option_rules: &[],
        rules: Default::default(),
    };
    match family {
        Family::GptImage2 => {
            caps.size = 16..=3840;
            caps.size_presets = GPT_IMAGE_2_SIZES;
            caps.free_size = Some(GPT_IMAGE_2_FREE);
        }
        Family::GptImage => {
            // Wider than its sizes, so a size it does not make is answered with the list.
            caps.size = 256..=2048;
            caps.size_presets = GPT_IMAGE_SIZES;
            caps.exact_sizes = true;
        }
        Family::Dalle3 => {
            caps.size = 256..=2048;
            caps.size_presets = DALLE3_SIZES;
            caps.exact_sizes = true;
            caps.samples = 1..=1;
            caps.max_init_images = 0;
            caps.inpaint = false;
            caps.options = vec![
                ModelOption {
                    id: "quality",
                    label: "Quality",
                    help: "HD takes longer and costs more.",
                    choices: DALLE3_QUALITY,
                    default: "standard",
                },
                ModelOption {
                    id: "style",
                    label: "Style",
                    help: "Vivid leans dramatic; natural less so.",
                    choices: DALLE3_STYLE,
                    default: "vivid",
                },
            ];
        }
        Family::Dalle2 => {
            caps.size = 256..=2048;
            caps.size_presets = DALLE2_SIZES;
            caps.exact_sizes = true;
            caps.max_prompt_chars = 1000;
        }
        Family::Other => {}
    }
    if family.gpt_image() {
        caps.max_prompt_chars = 32_000;
        caps.max_init_images = 16;
        caps.options = gpt_image_options();
        caps.option_rules = GPT_IMAGE_RULES;
    }
    caps
}

/// The plain sentence for a model OpenAI has shut down, when `text` (an error message) names one.
pub(super) fn retired_in(text: &str) -> Option<String> {
    RETIRED.iter().find(|(id, _, _)| text.contains(&format!("`{id}`")) || text.contains(&format!("'{id}'"))).map(|(_, name, when)| {
        format!("OpenAI shut down {name} on {when}. Choose GPT Image 2 or another current model (or a server that still offers {name}).")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpt_image_2_makes_free_sizes_within_its_rules() {
        let rule = capabilities("gpt-image-2").free_size.unwrap();
        for (w, h) in [(1536, 864), (3840, 2160), (2160, 3840), (1024, 1024), (768, 256)] {
            assert_eq!(rule.refusal(w, h), None, "{w}×{h}");
        }
        assert!(rule.refusal(1600, 512).unwrap().contains("3 times"));
        assert!(rule.refusal(3840, 2304).unwrap().contains("too large"));
        assert_eq!(capabilities("gpt-image-2-2026-04-21").free_size, Some(GPT_IMAGE_2_FREE));
        assert_eq!(capabilities("gpt-image-1.5").free_size, None);
    }

    #[test]
    fn limits_per_model() {
        let gpt = capabilities("gpt-image-1.5");
        assert_eq!((gpt.max_prompt_chars, gpt.samples.clone(), gpt.max_init_images, gpt.inpaint), (32_000, 1..=10, 16, true));
        assert!(gpt.exact_sizes && gpt.option("background").is_some() && !gpt.seed);
        let dalle3 = capabilities("dall-e-3");
        assert_eq!((dalle3.max_prompt_chars, dalle3.samples.clone(), dalle3.max_init_images), (4000, 1..=1, 0));
        assert!(dalle3.option("style").is_some() && dalle3.option("background").is_none());
        assert_eq!(capabilities("dall-e-2").max_prompt_chars, 1000);
        assert_eq!(capabilities("flux-schnell").max_prompt_chars, 4000);
    }

    #[test]
    fn a_retired_model_gets_a_plain_sentence() {
        let sentence = retired_in("The model `dall-e-3` does not exist or you do not have access to it.").unwrap();
        assert!(sentence.contains("DALL·E 3") && sentence.contains("12 May 2026"), "{sentence}");
        assert_eq!(retired_in("The model `gpt-image-9` does not exist"), None);
    }
}
