//! What a model accepts: the contract between what the person asks for and what a provider sends.
//!
//! Providers say it ([`crate::provider::Provider::capabilities`]); a draft is checked against it
//! ([`crate::request::SettingsDraft::validate`]); both faces show only what it allows. It sits
//! apart from both so that `request` and `provider` need not import each other: a provider
//! turns checked settings into calls (provider → request), and checking needs only this.

use std::ops::RangeInclusive;

/// What a provider accepts for a model, so both faces show and check only that.
#[derive(Clone, Debug, PartialEq)]
pub struct Capabilities {
    pub size: RangeInclusive<u32>,
    pub size_multiple: u32,
    pub size_presets: &'static [(u32, u32)],
    pub samples: RangeInclusive<u32>,
    pub steps: Option<RangeInclusive<u32>>,
    pub guidance: Option<RangeInclusive<f32>>,
    pub seed: bool,
    pub negative_prompt: bool,
    /// Why the negative prompt is hidden, when it is.
    pub negative_prompt_note: Option<&'static str>,
    pub max_prompt_chars: usize,
    /// The provider can report a credit balance.
    pub balance: bool,
    /// When not empty, the model takes one of these aspect ratios instead of a width and height.
    pub aspect_ratios: &'static [&'static str],
    /// Only the preset sizes are accepted (OpenAI's models).
    pub exact_sizes: bool,
    /// Any size within `size` and `size_multiple` is made, within these further limits
    /// (gpt-image-2: ratio up to 3:1, at most 3840×2160 pixels); `None` for no further limit.
    pub free_size: Option<FreeSize>,
    /// How many start images the model takes (image-to-image, editing, references); 0 when it
    /// makes pictures from words only.
    pub max_init_images: u32,
    /// Inpainting (image-to-image with a mask) is possible with this model.
    pub inpaint: bool,
    /// Start images of any size are taken: the provider converts them (OpenAI); otherwise the
    /// output follows the first image's size, so it must be a size the model makes.
    pub any_init_size: bool,
    /// A model id must be given (A1111 can use whatever the server has loaded).
    pub model_required: bool,
    /// Choices only this model (or provider) has — quality, background, output format, letting
    /// the service rewrite the prompt… Both faces show them generically ("More settings" in the
    /// window, `--option id=value` on the command line); a draft is checked against them.
    pub options: Vec<ModelOption>,
    /// Choices of `options` that do not go together (OpenAI: a transparent background needs PNG
    /// or WebP), checked with the draft.
    pub option_rules: &'static [OptionRule],
    /// What the service does or needs beyond the ranges above: start images it cannot do
    /// without, a cap it applies by itself, what Easel does not know. `Default` for nothing.
    pub rules: ModelRules,
}

/// A model's rules that the ranges of [`Capabilities`] cannot say.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelRules {
    /// The model only changes pictures it is given: it needs a start image.
    pub edits_only: bool,
    /// Fewest start images when there are any (a model that combines two pictures needs two);
    /// 0 or 1 when one will do.
    pub min_init_images: u32,
    /// When editing, the aspect ratios the editing request takes, if they are not
    /// `aspect_ratios` (Seedream 4.5 edits in fewer shapes). `Some(&[])`: editing takes no
    /// aspect ratio (the start image decides the shape).
    pub edit_aspect_ratios: Option<&'static [&'static str]>,
    /// Set when the service caps steps at the end of `steps` by itself: a higher number is
    /// sent as that end instead of being refused, and this says so to the person.
    pub steps_capped: Option<&'static str>,
    /// One plain line about the model as a whole (that Easel does not know its limits, or
    /// that the service picks the picture's size).
    pub note: Option<&'static str>,
}

/// Limits on a freely chosen size beyond its sides' range and multiple.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FreeSize {
    /// The long side may be at most this many times the short side (3 for 3:1).
    pub max_ratio: u32,
    /// Most pixels (width × height).
    pub max_pixels: u64,
}

impl FreeSize {
    /// Why `width`×`height` is not made, in plain words; `None` when it is.
    pub fn refusal(&self, width: u32, height: u32) -> Option<String> {
        let (long, short) = (width.max(height), width.min(height).max(1));
        if long > short * self.max_ratio {
            return Some(format!("{width}×{height} is too narrow: the long side may be at most {} times the short side.", self.max_ratio));
        }
        let pixels = u64::from(width) * u64::from(height);
        (pixels > self.max_pixels).then(|| {
            format!("{width}×{height} is too large: at most {:.1} million pixels (such as 3840×2160).", self.max_pixels as f64 / 1e6)
        })
    }
}

/// "When option `when` is `is`, option `then` must be one of `allowed`."
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OptionRule {
    pub when: &'static str,
    pub is: &'static str,
    pub then: &'static str,
    pub allowed: &'static [&'static str],
    /// What the person reads when the rule is broken.
    pub message: &'static str,
}

impl Capabilities {
    /// Whether the model can start from an image at all.
    pub fn img2img(&self) -> bool {
        self.max_init_images > 0
    }

    /// The option with this id, if the model has it.
    pub fn option(&self, id: &str) -> Option<&ModelOption> {
        self.options.iter().find(|o| o.id == id)
    }
}

/// One choice a model offers beyond the common settings, e.g. OpenAI's `quality`.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelOption {
    /// The id settings and the command line use (`quality`, `background`, `enhance_prompt`).
    pub id: &'static str,
    /// What the window calls it, in plain words ("Quality").
    pub label: &'static str,
    /// One line on what it does, shown under it.
    pub help: &'static str,
    /// The values it takes, in the order to offer them.
    pub choices: &'static [Choice],
    /// The value used when the person chose none.
    pub default: &'static str,
}

/// One value of a [`ModelOption`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    /// What is sent (`high`, `transparent`, `no`).
    pub value: &'static str,
    /// What the person sees ("High", "Transparent").
    pub label: &'static str,
}
