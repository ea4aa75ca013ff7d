//! A model's row of the table (`models.rs`) as the [`Capabilities`] both faces show and check:
//! its sizes, limits and the options it offers, in plain words.

use super::models::{self, Background, Kind, Qualities, Sizes, StartImages};
use crate::capabilities::{Capabilities, Choice, FreeSize, ModelOption, ModelRules, OptionRule};

const STANDARD_SIZES: &[(u32, u32)] = &[(1024, 1024), (1536, 1024), (1024, 1536)];
/// Suggestions for the models that make any size within their rules.
const FREE_SIZES: &[(u32, u32)] =
    &[(1024, 1024), (1536, 1024), (1024, 1536), (1536, 864), (864, 1536), (2048, 2048), (2560, 1440), (3840, 2160), (2160, 3840)];
const DALLE3_SIZES: &[(u32, u32)] = &[(1024, 1024), (1792, 1024), (1024, 1792)];
const DALLE2_SIZES: &[(u32, u32)] = &[(256, 256), (512, 512), (1024, 1024)];
const OTHER_SIZES: &[(u32, u32)] = &[(512, 512), (768, 768), (1024, 1024), (1024, 768), (768, 1024)];

/// The free-size rule: the long side at most 3× the short one, at most 3840×2160 pixels.
/// "The requested size must also satisfy the model's current pixel and edge limits" (SDK):
/// what those are beyond this is unconfirmed.
const FREE: FreeSize = FreeSize { max_ratio: 3, max_pixels: 3840 * 2160 };

/// GPT Image 2.5's qualities; the others' are the first four. OpenAI does not describe the two
/// above high further.
const QUALITY_MAX: &[Choice] = &[
    Choice { value: "auto", label: "Automatic" },
    Choice { value: "low", label: "Low (fastest, cheapest)" },
    Choice { value: "medium", label: "Medium" },
    Choice { value: "high", label: "High" },
    Choice { value: "xhigh", label: "Extra high" },
    Choice { value: "max", label: "Maximum (slowest, dearest)" },
];
const QUALITY: &[Choice] = QUALITY_MAX.split_at(4).0;
const BACKGROUND: &[Choice] = &[
    Choice { value: "auto", label: "Automatic" },
    Choice { value: "opaque", label: "Opaque" },
    Choice { value: "transparent", label: "Transparent" },
];
const BACKGROUND_PREVIEW: &[Choice] = &[
    Choice { value: "auto", label: "Automatic" },
    Choice { value: "opaque", label: "Opaque" },
    Choice { value: "transparent", label: "Transparent (a preview at OpenAI)" },
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
const FIDELITY: &[Choice] = &[Choice { value: "low", label: "Loosely (standard)" }, Choice { value: "high", label: "Closely" }];
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

fn option(id: &'static str, label: &'static str, help: &'static str, choices: &'static [Choice], default: &'static str) -> ModelOption {
    ModelOption { id, label, help, choices, default }
}

/// A GPT image model's options, as its row allows.
fn gpt_image_options(row: &models::Model) -> Vec<ModelOption> {
    let qualities = if row.qualities == Qualities::GptMax { QUALITY_MAX } else { QUALITY };
    let mut options = vec![option("quality", "Quality", "Higher quality takes longer and costs more.", qualities, "auto")];
    let background = match row.background {
        Background::Offered => Some(BACKGROUND),
        Background::Preview => Some(BACKGROUND_PREVIEW),
        Background::Unconfirmed => None,
    };
    if let Some(choices) = background {
        options.push(option("background", "Background", "Transparent makes a cut-out picture (PNG or WebP).", choices, "auto"));
    }
    options.extend([
        option("output_format", "File format", "PNG keeps every detail; WebP and JPEG make smaller files.", OUTPUT_FORMAT, "png"),
        option(
            "output_compression",
            "Compression",
            "For WebP and JPEG only: lower means smaller files and less detail.",
            COMPRESSION,
            "100",
        ),
        option(
            "moderation",
            "Content filter",
            "How strictly the service filters what it makes (not for edits, which use the standard filter).",
            MODERATION,
            "auto",
        ),
        option(
            "partial_images",
            "Previews while it works",
            "Rough versions of the picture shown before it is finished.",
            PARTIAL_IMAGES,
            "0",
        ),
    ]);
    if row.fidelity {
        options.push(option(
            "input_fidelity",
            "Keep the start image",
            "For edits: how closely faces and details of your start images are kept.",
            FIDELITY,
            "low",
        ));
    }
    options
}

/// What `model` accepts.
pub(super) fn capabilities(model: &str) -> Capabilities {
    let row = models::find(model);
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
        // `/v1/images/edits` has no strength parameter.
        rules: ModelRules { no_strength: true, ..ModelRules::default() },
    };
    match row.sizes {
        Sizes::Free => {
            caps.size = 16..=3840;
            caps.size_presets = FREE_SIZES;
            caps.free_size = Some(FREE);
        }
        // Wider than their sizes, so a size they do not make is answered with the list.
        Sizes::Standard => (caps.size_presets, caps.exact_sizes) = (STANDARD_SIZES, true),
        Sizes::Dalle3 => (caps.size_presets, caps.exact_sizes) = (DALLE3_SIZES, true),
        Sizes::Dalle2 => (caps.size_presets, caps.exact_sizes) = (DALLE2_SIZES, true),
        Sizes::Other => {}
    }
    (caps.max_init_images, caps.inpaint) = match row.start_images {
        StartImages::AnyFormat(most) | StartImages::Png(most) => (most, true),
        StartImages::SquarePng => (1, true),
        StartImages::None => (0, false),
    };
    match row.kind {
        Kind::GptImage => {
            caps.max_prompt_chars = 32_000;
            caps.options = gpt_image_options(&row);
            caps.option_rules = GPT_IMAGE_RULES;
        }
        Kind::Dalle3 => {
            caps.samples = 1..=1;
            caps.options = vec![
                option("quality", "Quality", "HD takes longer and costs more.", DALLE3_QUALITY, "standard"),
                option("style", "Style", "Vivid leans dramatic; natural less so.", DALLE3_STYLE, "vivid"),
            ];
        }
        Kind::Dalle2 => caps.max_prompt_chars = 1000,
        Kind::Other => {}
    }
    caps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(caps: &Capabilities, id: &str) -> Vec<&'static str> {
        caps.option(id).map(|o| o.choices.iter().map(|c| c.value).collect()).unwrap_or_default()
    }

    #[test]
    fn free_sizes_for_the_models_the_sdk_names_and_the_standard_three_for_the_rest() {
        for model in ["gpt-image-2", "gpt-image-2-2026-04-21", "gpt-image-2.5-sunburst", "gpt-image-2.5-flare-2026-09-08"] {
            let rule = capabilities(model).free_size.unwrap();
            for (w, h) in [(1536, 864), (3840, 2160), (2160, 3840), (1024, 1024), (768, 256)] {
                assert_eq!(rule.refusal(w, h), None, "{model} {w}×{h}");
            }
            assert!(rule.refusal(1600, 512).unwrap().contains("3 times"));
            assert!(rule.refusal(3840, 2304).unwrap().contains("too large"));
        }
        for model in ["gpt-image-2.6-sunburst", "gpt-image-2.6-flare", "chatgpt-image-latest", "gpt-image-1.5", "gpt-image-3"] {
            let caps = capabilities(model);
            assert!(caps.free_size.is_none() && caps.exact_sizes && caps.size_presets == STANDARD_SIZES, "{model}");
        }
    }

    #[test]
    fn options_per_model() {
        assert_eq!(values(&capabilities("gpt-image-2.5-flare"), "quality"), ["auto", "low", "medium", "high", "xhigh", "max"]);
        assert_eq!(values(&capabilities("gpt-image-2.6-sunburst"), "quality"), ["auto", "low", "medium", "high"]);
        assert!(capabilities("gpt-image-2.6-sunburst").option("background").is_none(), "unconfirmed: not offered");
        let preview = capabilities("gpt-image-2").option("background").unwrap().choices[2];
        assert!(preview.value == "transparent" && preview.label.contains("preview"));
        assert_eq!(values(&capabilities("gpt-image-1.5"), "input_fidelity"), ["low", "high"]);
        for model in ["gpt-image-1-mini", "gpt-image-2", "gpt-image-2.5-sunburst", "gpt-image-2.6-flare"] {
            assert!(capabilities(model).option("input_fidelity").is_none(), "{model}");
        }
        assert!(capabilities("flux-schnell").options.is_empty());
    }

    #[test]
    fn limits_per_model() {
        let gpt = capabilities("gpt-image-1.5");
        assert_eq!((gpt.max_prompt_chars, gpt.samples.clone(), gpt.max_init_images, gpt.inpaint), (32_000, 1..=10, 16, true));
        assert!(gpt.option("background").is_some() && !gpt.seed);
        assert_eq!((capabilities("gpt-image-2.6-flare").max_init_images, capabilities("chatgpt-image-latest").max_init_images), (1, 16));
        let dalle3 = capabilities("dall-e-3");
        assert_eq!((dalle3.max_prompt_chars, dalle3.samples.clone(), dalle3.max_init_images, dalle3.inpaint), (4000, 1..=1, 0, false));
        assert!(dalle3.option("style").is_some() && dalle3.option("background").is_none());
        assert_eq!(capabilities("dall-e-2").max_prompt_chars, 1000);
        assert_eq!(capabilities("flux-schnell").max_prompt_chars, 4000);
    }
}
