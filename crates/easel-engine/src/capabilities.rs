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
    /// Image-to-image from a local file is possible with this model.
    pub img2img: bool,
    /// Inpainting (image-to-image with a mask) is possible with this model.
    pub inpaint: bool,
    /// A model id must be given (A1111 can use whatever the server has loaded).
    pub model_required: bool,
}
