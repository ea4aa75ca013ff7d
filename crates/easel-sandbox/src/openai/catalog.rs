//! The models the imitated OpenAI has, and what each takes. Sources, newest first (the newer
//! wins): OpenAI's Python SDK 3.57.0 (`types/image_model.py`; the docstrings of
//! `resources/images.py`, `types/image_generate_params.py`, `types/image_edit_params.py`),
//! then OpenAI's spec 2.3.0 (`CreateImageRequest`, `CreateImageEditRequest`) for what the SDK
//! does not say. Where the SDK names the models that take something (free sizes, `xhigh` and
//! `max`, `markup`), the others are refused it; where it says a model takes something without
//! saying which (transparency "for supported GPT Image models", `complexity`), it is taken.

/// What `GET /v1/models` lists besides the image models (an account has many).
pub(super) const OTHER_MODELS: &[&str] = &["gpt-4o", "gpt-4o-mini", "whisper-1", "text-embedding-3-small"];

/// The image models OpenAI serves today (SDK `types/image_model.py`, less those shut down).
pub(super) const IMAGE_MODELS: &[&str] = &[
    "gpt-image-2.6-sunburst",
    "gpt-image-2.6-flare",
    "gpt-image-2.5-sunburst",
    "gpt-image-2.5-sunburst-2026-09-08",
    "gpt-image-2.5-flare",
    "gpt-image-2.5-flare-2026-09-08",
    "gpt-image-2",
    "gpt-image-2-2026-04-21",
    "gpt-image-1.5",
    "gpt-image-1-mini",
    "chatgpt-image-latest",
];

/// Shut down by OpenAI (SDK: `gpt-image-1` on 2026-10-23, DALL·E on 2026-05-12); served only
/// with `legacy_openai_models`, as a compatible server that still has them would. Without
/// it they are refused as any model the account cannot use (404 `model_not_found`, the
/// SDK's `NotFoundError`; OpenAI's exact wording for a shut-down model is unconfirmed).
pub(super) const RETIRED_MODELS: &[&str] = &["gpt-image-1", "dall-e-3", "dall-e-2"];

/// How a model family differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Family {
    /// `gpt-image-2.5-sunburst`, `-flare` and their snapshots: free sizes, `xhigh` and `max`
    /// quality, `markup` on edits.
    GptImage25,
    /// `gpt-image-2` and its snapshot: free sizes; `input_fidelity` is to be omitted.
    GptImage2,
    /// `gpt-image-2.6-sunburst`, `-flare`: the standard sizes (they are not among the models
    /// the SDK says make free ones); `input_fidelity` not stated, so taken.
    GptImage26,
    /// `gpt-image-1.5`, `-1-mini`, `chatgpt-image-latest` and the retired `gpt-image-1`: the
    /// standard sizes.
    GptImage,
    Dalle3,
    Dalle2,
}

impl Family {
    /// The family of a model this server has (`legacy`: DALL·E too), or `None`.
    pub(super) fn of(model: &str, legacy: bool) -> Option<Self> {
        if !(IMAGE_MODELS.contains(&model) || legacy && RETIRED_MODELS.contains(&model)) {
            return None;
        }
        Some(match model {
            "dall-e-3" => Self::Dalle3,
            "dall-e-2" => Self::Dalle2,
            m if m.starts_with("gpt-image-2.5-") => Self::GptImage25,
            m if m.starts_with("gpt-image-2.6-") => Self::GptImage26,
            m if m.starts_with("gpt-image-2") => Self::GptImage2,
            _ => Self::GptImage,
        })
    }

    pub(super) fn gpt_image(self) -> bool {
        !matches!(self, Self::Dalle3 | Self::Dalle2)
    }

    /// The `input_fidelity` values `model` of this family takes; `None`: the parameter is not
    /// for it. SDK: high and low on `gpt-image-1.5`, only low on `gpt-image-1-mini`, omitted
    /// for `gpt-image-2`; spec: not for DALL·E.
    pub(super) fn fidelities(self, model: &str) -> Option<&'static [&'static str]> {
        match self {
            Self::GptImage2 | Self::Dalle3 | Self::Dalle2 => None,
            _ if model == "gpt-image-1-mini" => Some(&["low"]),
            _ => Some(&["high", "low"]),
        }
    }

    pub(super) fn max_prompt(self) -> usize {
        match self {
            Self::Dalle2 => 1000,
            Self::Dalle3 => 4000,
            _ => 32_000,
        }
    }

    /// The `quality` values the family takes.
    pub(super) fn qualities(self) -> &'static [&'static str] {
        match self {
            Self::Dalle3 => &["standard", "hd", "auto"],
            Self::Dalle2 => &["standard", "auto"],
            Self::GptImage25 => &["low", "medium", "high", "xhigh", "max", "auto"],
            _ => &["low", "medium", "high", "auto"],
        }
    }

    /// The fixed sizes the family makes (`auto` aside); `None` for free sizes.
    fn sizes(self, edit: bool) -> Option<&'static [(u32, u32)]> {
        match self {
            Self::GptImage25 | Self::GptImage2 => None,
            Self::GptImage26 | Self::GptImage => Some(&[(1024, 1024), (1536, 1024), (1024, 1536)]),
            Self::Dalle3 if !edit => Some(&[(1024, 1024), (1792, 1024), (1024, 1792)]),
            Self::Dalle3 | Self::Dalle2 => Some(&[(256, 256), (512, 512), (1024, 1024)]),
        }
    }

    /// The size `text` asks for, if the family makes it: `auto` is 1024×1024.
    pub(super) fn size(self, text: &str, edit: bool) -> Option<(u32, u32)> {
        let text = text.trim();
        if text == "auto" && self != Self::Dalle2 {
            return Some((1024, 1024));
        }
        let (w, h) = text.split_once('x')?;
        let (w, h): (u32, u32) = (w.parse().ok()?, h.parse().ok()?);
        match self.sizes(edit) {
            Some(sizes) => sizes.contains(&(w, h)).then_some((w, h)),
            None => free_size_ok(w, h).then_some((w, h)),
        }
    }

    /// The sizes named in a refusal.
    pub(super) fn size_help(self, edit: bool) -> String {
        match self.sizes(edit) {
            Some(sizes) => {
                let mut names: Vec<String> = sizes.iter().map(|(w, h)| format!("'{w}x{h}'")).collect();
                if self != Self::Dalle2 {
                    names.push("'auto'".into());
                }
                format!("Supported values are: {}.", names.join(", "))
            }
            None => "Width and height must both be divisible by 16, the aspect ratio must be between 1:3 and 3:1, \
                     and the resolution must be at most 3840x2160 (8294400 pixels)."
                .into(),
        }
    }
}

/// Free sizes (`gpt-image-2`, `gpt-image-2.5-*`): sides that are multiples of 16, the long one at most 3840 and three
/// times the short one, at most 3840×2160 pixels.
fn free_size_ok(w: u32, h: u32) -> bool {
    let (long, short) = (w.max(h), w.min(h));
    short > 0
        && w.is_multiple_of(16)
        && h.is_multiple_of(16)
        && long <= 3840
        && long <= short * 3
        && u64::from(w) * u64::from(h) <= 3840 * 2160
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_per_family() {
        let two = Family::of("gpt-image-2", false).unwrap();
        for size in ["1536x864", "3840x2160", "2160x3840", "auto", "768x256"] {
            assert!(two.size(size, false).is_some(), "{size}");
        }
        for size in ["1530x864", "3840x2176", "1600x512", "4096x1024", "x", "1024"] {
            assert_eq!(two.size(size, false), None, "{size}");
        }
        let flare = Family::of("gpt-image-2.5-flare-2026-09-08", false).unwrap();
        assert_eq!((flare, flare.size("1536x864", false)), (Family::GptImage25, Some((1536, 864))));
        for model in ["gpt-image-1.5", "gpt-image-2.6-sunburst", "chatgpt-image-latest"] {
            let one = Family::of(model, false).unwrap();
            assert_eq!((one.size("1536x1024", false), one.size("1536x864", false)), (Some((1536, 1024)), None), "{model}");
        }
        assert_eq!((Family::of("dall-e-3", false), Family::of("gpt-image-1", false)), (None, None), "shut down");
        assert_eq!(Family::of("gpt-image-1", true), Some(Family::GptImage), "on a server that still has it");
        let dalle2 = Family::of("dall-e-2", true).unwrap();
        assert_eq!((dalle2.size("256x256", false), dalle2.size("auto", false)), (Some((256, 256)), None));
    }
}
