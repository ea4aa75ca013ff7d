//! OpenAI's image models and what each accepts: one table, each row with its source.
//!
//! Sources, newest first; where they differ the newer wins, as the service's own word does:
//! - **SDK**: OpenAI's Python SDK 3.57.0 (`pip install openai==3.57.0`): `types/image_model.py`
//!   (the model names, and which were shut down), the docstrings of `resources/images.py`
//!   (`generate`, `edit`) and `types/image_generate_params.py` / `image_edit_params.py` (what
//!   each model takes), `types/responses/tool.py` (`ImageGeneration.model`: the default model).
//! - **spec**: OpenAI's OpenAPI spec 2.3.0 of 2026-08-21 (`CreateImageRequest`,
//!   `CreateImageEditRequest`, `InputFidelity`), for what the SDK does not say (DALL·E's limits,
//!   the retired `gpt-image-1`).
//!
//! What the SDK says of every GPT image model: `n` 1–10, prompts up to 32,000 characters, the
//! standard sizes 1024×1024, 1536×1024 and 1024×1536, `quality` low/medium/high/auto,
//! `output_format` png/webp/jpeg, `output_compression` (WebP and JPEG), `moderation` low/auto
//! (generations only), streaming with `partial_images` 0–3, never `response_format` or `style`.
//! What it says of some only is in the rows. Not offered, because the SDK does not say which
//! models take them (unconfirmed): `complexity`, GIF and SVG output (they also need preview
//! access on the account) and `markup` (an edit guide for "GPT Image 2.5", not combinable with
//! a mask).

use crate::provider::{ModelInfo, Speed};

/// What OpenAI offers today, as the picker shows it; the first is the default (SDK
/// `types/responses/tool.py`: "Default: `gpt-image-2.6-sunburst`"; the Images API itself has
/// none: "Specify a model explicitly"). Dated snapshots are not listed: they can be typed.
/// OpenAI's material says nothing of these models' speed (unconfirmed): all get the longer
/// per-attempt timeout.
pub(super) const CURRENT: &[ModelInfo] = &[
    ModelInfo {
        id: "gpt-image-2.6-sunburst",
        label: "GPT Image 2.6 Sunburst",
        description: "OpenAI's default picture model: square, wide or tall pictures.",
        speed: Speed::Quality,
        negative_prompt: false,
    },
    ModelInfo {
        id: "gpt-image-2.6-flare",
        label: "GPT Image 2.6 Flare",
        // Unconfirmed how Flare differs from Sunburst: the SDK does not say.
        description: "The Flare kind of GPT Image 2.6 (OpenAI has not said how it differs): square, wide or tall pictures.",
        speed: Speed::Quality,
        negative_prompt: false,
    },
    ModelInfo {
        id: "gpt-image-2.5-sunburst",
        label: "GPT Image 2.5 Sunburst",
        description: "Any size up to 4K, extra-high and maximum quality, transparent backgrounds.",
        speed: Speed::Quality,
        negative_prompt: false,
    },
    ModelInfo {
        id: "gpt-image-2.5-flare",
        label: "GPT Image 2.5 Flare",
        description: "The Flare kind of GPT Image 2.5: any size up to 4K, extra-high and maximum quality, transparent backgrounds.",
        speed: Speed::Quality,
        negative_prompt: false,
    },
    ModelInfo {
        id: "gpt-image-2",
        label: "GPT Image 2",
        description: "Any size up to 4K; transparent backgrounds are still a preview at OpenAI.",
        speed: Speed::Quality,
        negative_prompt: false,
    },
    ModelInfo {
        id: "chatgpt-image-latest",
        label: "ChatGPT Image (latest)",
        description: "The picture model OpenAI names as ChatGPT's latest: square, wide or tall pictures.",
        speed: Speed::Quality,
        negative_prompt: false,
    },
    ModelInfo {
        id: "gpt-image-1.5",
        label: "GPT Image 1.5",
        description: "Square, wide or tall pictures; can keep faces and details of your start images closely.",
        speed: Speed::Quality,
        negative_prompt: false,
    },
    ModelInfo {
        id: "gpt-image-1-mini",
        label: "GPT Image 1 mini",
        description: "The small GPT Image: square, wide or tall pictures.",
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
    CURRENT[4],
    CURRENT[5],
    CURRENT[6],
    CURRENT[7],
    ModelInfo {
        id: "gpt-image-1",
        label: "GPT Image 1",
        description: "Shut down by OpenAI in October 2026; some compatible servers still offer it.",
        speed: Speed::Quality,
        negative_prompt: false,
    },
    ModelInfo {
        id: "dall-e-3",
        label: "DALL·E 3",
        description: "Shut down by OpenAI in May 2026; some compatible servers still offer it.",
        speed: Speed::Quality,
        negative_prompt: false,
    },
    ModelInfo {
        id: "dall-e-2",
        label: "DALL·E 2",
        description: "The oldest model, shut down by OpenAI in May 2026; some compatible servers still offer it.",
        speed: Speed::Fast,
        negative_prompt: false,
    },
];

/// What kind of request a model takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// A GPT image model: always base64, never `response_format`; the options above.
    GptImage,
    Dalle3,
    Dalle2,
    /// A compatible server's own model.
    Other,
}

/// Which sizes a model makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Sizes {
    /// The GPT image models' standard sizes: 1024×1024, 1536×1024, 1024×1536.
    Standard,
    /// Any `WIDTHxHEIGHT` with both sides divisible by 16, the ratio between 1:3 and 3:1, at
    /// most 3840×2160 ("above 2560x1440 is experimental").
    Free,
    /// 1024×1024, 1792×1024, 1024×1792.
    Dalle3,
    /// 256×256, 512×512, 1024×1024.
    Dalle2,
    /// Whatever most compatible servers take.
    Other,
}

/// The `quality` values a model takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Qualities {
    /// low, medium, high, auto.
    Gpt,
    /// Those and `xhigh`, `max`.
    GptMax,
    /// standard, hd.
    Dalle3,
    /// None to choose.
    Fixed,
}

/// Whether a transparent background can be chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Background {
    /// auto, opaque, transparent.
    Offered,
    /// The same, transparency being "in preview" at OpenAI.
    Preview,
    /// Not offered: unconfirmed that the model takes it (the model decides, as with `auto`).
    Unconfirmed,
}

/// The start images an edit with a model takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum StartImages {
    /// Up to this many PNG, WebP or JPEG files under 50 MB.
    AnyFormat(u32),
    /// Up to this many, sent as PNG: what every OpenAI image model takes, for a model whose
    /// accepted formats are not stated.
    Png(u32),
    /// One square PNG under 4 MB.
    SquarePng,
    None,
}

/// One model: what it takes. The row's comment names where that is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Model {
    pub(super) id: &'static str,
    pub(super) kind: Kind,
    pub(super) sizes: Sizes,
    pub(super) qualities: Qualities,
    pub(super) background: Background,
    /// `input_fidelity` high/low can be chosen (edits).
    pub(super) fidelity: bool,
    pub(super) start_images: StartImages,
}

impl Model {
    pub(super) fn gpt_image(&self) -> bool {
        self.kind == Kind::GptImage
    }
}

// The rows, by model family. Each says where its facts are written.

/// SDK: `gpt-image-2.6-sunburst` / `-flare` are image models for generations and edits, no
/// more. So only what the SDK says of every GPT image model: the standard sizes (unconfirmed
/// whether they make free sizes: they are not among the models the SDK says do), the plain
/// qualities, no transparent background (unconfirmed). Edits: their start images' formats
/// and number are not stated (unconfirmed): one, sent as PNG. `input_fidelity`: not stated.
const GPT_IMAGE_2_6: Model = Model {
    id: "gpt-image-2.6",
    kind: Kind::GptImage,
    sizes: Sizes::Standard,
    qualities: Qualities::Gpt,
    background: Background::Unconfirmed,
    fidelity: false,
    start_images: StartImages::Png(1),
};

/// SDK: `gpt-image-2.5-sunburst` / `-flare` and their `-2026-09-08` snapshots make free sizes,
/// take `xhigh` and `max` quality, "support `opaque` and `transparent` backgrounds", and up
/// to 16 PNG, WebP or JPEG start images. `input_fidelity`: not stated, so not sent.
const GPT_IMAGE_2_5: Model = Model {
    id: "gpt-image-2.5",
    kind: Kind::GptImage,
    sizes: Sizes::Free,
    qualities: Qualities::GptMax,
    background: Background::Offered,
    fidelity: false,
    start_images: StartImages::AnyFormat(16),
};

/// SDK and spec: `gpt-image-2` and `gpt-image-2-2026-04-21` make free sizes and take 16 start
/// images; SDK: transparency is "in preview" for them and `input_fidelity` is to be omitted.
const GPT_IMAGE_2: Model = Model {
    id: "gpt-image-2",
    kind: Kind::GptImage,
    sizes: Sizes::Free,
    qualities: Qualities::Gpt,
    background: Background::Preview,
    fidelity: false,
    start_images: StartImages::AnyFormat(16),
};

/// Spec: the standard sizes, transparency (`background` is "only supported for the GPT image
/// models", which in the spec are these), 16 PNG, WebP or JPEG start images; the SDK repeats
/// the sizes and start images for 1.5 and mini.
/// `input_fidelity` high/low on `gpt-image-1.5` (SDK) and `gpt-image-1` (spec);
/// `gpt-image-1-mini` takes only `low` (SDK), its default, so there is nothing to choose.
const GPT_IMAGE_1: Model = Model {
    id: "gpt-image-1",
    kind: Kind::GptImage,
    sizes: Sizes::Standard,
    qualities: Qualities::Gpt,
    background: Background::Offered,
    fidelity: true,
    start_images: StartImages::AnyFormat(16),
};

/// SDK and spec: `chatgpt-image-latest` "follows the same input constraints as GPT image
/// models" (16 PNG, WebP or JPEG start images); nothing more is said of it, so the standard
/// sizes and no transparent background (unconfirmed) or `input_fidelity`.
const CHATGPT_IMAGE: Model = Model { id: "chatgpt-image-latest", background: Background::Unconfirmed, fidelity: false, ..GPT_IMAGE_1 };

/// The models OpenAI serves today, by id.
const TODAY: &[Model] = &[
    Model { id: "gpt-image-2.6-sunburst", ..GPT_IMAGE_2_6 },
    Model { id: "gpt-image-2.6-flare", ..GPT_IMAGE_2_6 },
    Model { id: "gpt-image-2.5-sunburst", ..GPT_IMAGE_2_5 },
    Model { id: "gpt-image-2.5-sunburst-2026-09-08", ..GPT_IMAGE_2_5 },
    Model { id: "gpt-image-2.5-flare", ..GPT_IMAGE_2_5 },
    Model { id: "gpt-image-2.5-flare-2026-09-08", ..GPT_IMAGE_2_5 },
    GPT_IMAGE_2,
    Model { id: "gpt-image-2-2026-04-21", ..GPT_IMAGE_2 },
    CHATGPT_IMAGE,
    Model { id: "gpt-image-1.5", ..GPT_IMAGE_1 },
    Model { id: "gpt-image-1-mini", fidelity: false, ..GPT_IMAGE_1 },
];

/// Models OpenAI has shut down, as compatible servers that still have them take them.
const SHUT_DOWN: &[Model] = &[
    // Spec; shut down on 2026-10-23 (SDK).
    GPT_IMAGE_1,
    // Spec: one image, 4,000 characters, no edits.
    Model {
        id: "dall-e-3",
        kind: Kind::Dalle3,
        sizes: Sizes::Dalle3,
        qualities: Qualities::Dalle3,
        background: Background::Unconfirmed,
        fidelity: false,
        start_images: StartImages::None,
    },
    // Spec: 1,000 characters, edits of one square PNG.
    Model {
        id: "dall-e-2",
        kind: Kind::Dalle2,
        sizes: Sizes::Dalle2,
        qualities: Qualities::Fixed,
        background: Background::Unconfirmed,
        fidelity: false,
        start_images: StartImages::SquarePng,
    },
];

/// A GPT image model the table does not know (a newer one, or a compatible server's): only
/// what the SDK says of every GPT image model, as for GPT Image 2.6.
const UNKNOWN_GPT_IMAGE: Model = Model { id: "", ..GPT_IMAGE_2_6 };

/// A compatible server's own model: what most such servers take.
const OTHER: Model = Model {
    id: "",
    kind: Kind::Other,
    sizes: Sizes::Other,
    qualities: Qualities::Fixed,
    background: Background::Unconfirmed,
    fidelity: false,
    start_images: StartImages::Png(1),
};

/// What `model` takes: its row; for a dated snapshot the table does not list, its model's row
/// (assumed: the SDK's own snapshots take what their models take); otherwise by its name.
pub(super) fn find(model: &str) -> Model {
    let id = model.trim().to_ascii_lowercase();
    let row = |id: &str| TODAY.iter().chain(SHUT_DOWN).find(|m| m.id == id).copied();
    if let Some(found) = row(&id).or_else(|| undated(&id).and_then(row)) {
        return found;
    }
    if id.starts_with("gpt-image") || id.starts_with("chatgpt-image") { UNKNOWN_GPT_IMAGE } else { OTHER }
}

/// `name` without a `-YYYY-MM-DD` snapshot date at its end.
fn undated(name: &str) -> Option<&str> {
    let (base, date) = name.split_at_checked(name.len().checked_sub(11)?)?;
    let digits = date.bytes().enumerate().all(|(i, b)| if matches!(i, 0 | 5 | 8) { b == b'-' } else { b.is_ascii_digit() });
    digits.then_some(base)
}

/// A model OpenAI has shut down: its id, the name a person knows, when, and what to use instead.
struct Retired {
    id: &'static str,
    name: &'static str,
    when: &'static str,
    instead: &'static str,
}

/// SDK `types/image_model.py`: "GPT Image 1 was shut down on October 23, 2026. Use
/// gpt-image-2.5-sunburst or gpt-image-2.5-flare instead"; "dall-e-2", "dall-e-3": "retired
/// on May 12, 2026. Use a GPT image model instead."
const RETIRED: &[Retired] = &[
    Retired { id: "gpt-image-1", name: "GPT Image 1", when: "23 October 2026", instead: "GPT Image 2.5 Sunburst or GPT Image 2.5 Flare" },
    Retired { id: "dall-e-3", name: "DALL·E 3", when: "12 May 2026", instead: "a GPT Image model, such as GPT Image 2.6 Sunburst" },
    Retired { id: "dall-e-2", name: "DALL·E 2", when: "12 May 2026", instead: "a GPT Image model, such as GPT Image 2.6 Sunburst" },
];

/// The plain sentence for a model OpenAI has shut down, when `text` (an error message) names one.
pub(super) fn retired_in(text: &str) -> Option<String> {
    RETIRED.iter().find(|r| text.contains(&format!("`{}`", r.id)) || text.contains(&format!("'{}'", r.id))).map(|r| {
        format!("OpenAI shut down {} on {}. Choose {} instead (or a server that still offers {}).", r.name, r.when, r.instead, r.name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_the_sdk_names_has_its_row() {
        // SDK 3.57 `types/image_model.py`, in its order.
        let sdk = [
            "gpt-image-1.5",
            "gpt-image-2",
            "gpt-image-2-2026-04-21",
            "gpt-image-2.5-sunburst",
            "gpt-image-2.5-sunburst-2026-09-08",
            "gpt-image-2.5-flare",
            "gpt-image-2.5-flare-2026-09-08",
            "gpt-image-2.6-sunburst",
            "gpt-image-2.6-flare",
            "gpt-image-1",
            "gpt-image-1-mini",
            "chatgpt-image-latest",
            "dall-e-2",
            "dall-e-3",
        ];
        for id in sdk {
            assert_eq!(find(id).id, id, "{id} has a row of its own");
        }
        assert_eq!(TODAY.len() + SHUT_DOWN.len(), sdk.len(), "and no row names a model the SDK does not");
    }

    #[test]
    fn what_the_sdk_says_of_some_models_only() {
        assert_eq!(find("gpt-image-2.5-flare-2026-09-08").qualities, Qualities::GptMax);
        assert_eq!(find("gpt-image-2").qualities, Qualities::Gpt, "xhigh and max: 2.5 only");
        assert_eq!((find("gpt-image-2.6-sunburst").sizes, find("gpt-image-2").sizes), (Sizes::Standard, Sizes::Free));
        assert_eq!(find("gpt-image-2-2026-04-21").background, Background::Preview);
        assert!(find("gpt-image-1.5").fidelity && !find("gpt-image-1-mini").fidelity && !find("gpt-image-2").fidelity);
        assert_eq!(find("chatgpt-image-latest").start_images, StartImages::AnyFormat(16));
        assert_eq!(find("gpt-image-2.6-flare").start_images, StartImages::Png(1));
    }

    #[test]
    fn unlisted_snapshots_and_names() {
        assert_eq!(find(" GPT-Image-2.5-Sunburst-2027-01-02 ").id, "gpt-image-2.5-sunburst");
        assert_eq!(find("gpt-image-3"), UNKNOWN_GPT_IMAGE);
        assert_eq!(find("flux-schnell").kind, Kind::Other);
        assert_eq!((undated("x-2026-09-0a"), undated("2026-09-08"), undated("x-2026-09-08")), (None, None, Some("x")));
    }

    #[test]
    fn a_retired_model_gets_a_plain_sentence_naming_what_to_use() {
        let sentence = retired_in("The model `gpt-image-1` does not exist or you do not have access to it.").unwrap();
        assert!(sentence.contains("GPT Image 1 on 23 October 2026") && sentence.contains("GPT Image 2.5 Sunburst"), "{sentence}");
        let sentence = retired_in("The model `dall-e-3` does not exist or you do not have access to it.").unwrap();
        assert!(sentence.contains("DALL·E 3") && sentence.contains("12 May 2026"), "{sentence}");
        assert_eq!(retired_in("The model `gpt-image-1.5` does not exist"), None);
        assert_eq!(retired_in("The model `gpt-image-9` does not exist"), None);
    }
}
