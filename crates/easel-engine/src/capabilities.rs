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
    /// The model takes no strength with its start images (OpenAI's edits, ModelsLab's v7
    /// editing): how much it changes them is its own, so the window offers no strength.
    pub no_strength: bool,
}

/// How a service enlarges pictures (upscaling), when it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Upscaler {
    /// The upscaler it is asked for (ModelsLab's model id, A1111's upscaler name).
    pub model: &'static str,
    /// By how many times it enlarges, the first one offered first.
    pub factors: &'static [u32],
    /// The largest side it makes, in pixels.
    pub max_side: u32,
    /// What the person reads it as ("ModelsLab's super resolution").
    pub service: &'static str,
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

/// The shape of a picture, as a person chooses it on the window's first screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    Square,
    /// Taller than wide.
    Portrait,
    /// Wider than tall.
    Landscape,
}

/// How a [`Shape`] is asked of a model: a size, or an aspect ratio for models that take one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    Size { width: u32, height: u32 },
    AspectRatio(&'static str),
}

impl Shape {
    pub const ALL: [Shape; 3] = [Shape::Square, Shape::Portrait, Shape::Landscape];

    /// What the window calls it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Square => "Square",
            Self::Portrait => "Portrait",
            Self::Landscape => "Landscape",
        }
    }

    /// Height over width the shape aims for: 1, 4:3 tall, 3:4 wide (what a photo print or a
    /// screen looks like). A model's nearest size or ratio of the right orientation is chosen.
    fn target(self) -> f64 {
        match self {
            Self::Square => 1.0,
            Self::Portrait => 4.0 / 3.0,
            Self::Landscape => 3.0 / 4.0,
        }
    }

    /// The shape of a width and height (any size, not only the ones a shape maps to).
    pub fn of_size(width: u32, height: u32) -> Option<Self> {
        match (width, height) {
            (0, _) | (_, 0) => None,
            (w, h) if w == h => Some(Self::Square),
            (w, h) if h > w => Some(Self::Portrait),
            _ => Some(Self::Landscape),
        }
    }

    /// The shape of an aspect ratio written "W:H".
    pub fn of_ratio(ratio: &str) -> Option<Self> {
        let (w, h) = parse_ratio(ratio)?;
        Self::of_size(w, h)
    }
}

/// "16:9" -> (16, 9).
fn parse_ratio(ratio: &str) -> Option<(u32, u32)> {
    let (w, h) = ratio.trim().split_once(':')?;
    Some((w.trim().parse().ok()?, h.trim().parse().ok()?))
}

impl Capabilities {
    /// How to ask this model for a picture of `shape`, or `None` when it makes no picture of
    /// that shape (DALL·E 2 makes squares only). `near` is the size in use, so a square stays
    /// about as large as it was: among the model's sizes of the right orientation, the one
    /// nearest the shape's proportions wins, then the one nearest `near` in area.
    ///
    /// - a model that takes aspect ratios gets one of its ratios;
    /// - a model with a list of sizes gets one of them (only those, for exact-size models);
    /// - a model that takes any size and has no list gets `near`'s long side, in proportion,
    ///   rounded to the size step and kept within its limits.
    pub fn framing(&self, shape: Shape, near: (u32, u32)) -> Option<Framing> {
        if !self.aspect_ratios.is_empty() {
            let ratios = self.aspect_ratios.iter().filter_map(|r| Some((*r, parse_ratio(r)?)));
            return nearest(ratios.map(|(r, (w, h))| (r, w, h)), shape, (1, 1)).map(Framing::AspectRatio);
        }
        let sized = nearest(self.size_presets.iter().map(|&(w, h)| ((w, h), w, h)), shape, near);
        if let Some((width, height)) = sized {
            return Some(Framing::Size { width, height });
        }
        if self.exact_sizes {
            return None;
        }
        let long = near.0.max(near.1).clamp(*self.size.start(), *self.size.end());
        let short = self.round_size(f64::from(long) * shape.target().min(1.0 / shape.target()));
        Some(match shape {
            Shape::Square => Framing::Size { width: long, height: long },
            Shape::Portrait => Framing::Size { width: short, height: long },
            Shape::Landscape => Framing::Size { width: long, height: short },
        })
    }

    /// A side rounded to the model's step, within its limits.
    fn round_size(&self, side: f64) -> u32 {
        let step = f64::from(self.size_multiple.max(1));
        let rounded = ((side / step).round() * step) as u32;
        rounded.clamp(*self.size.start(), *self.size.end())
    }
}

/// Of `candidates` (value, width, height), the one of `shape`'s orientation whose proportions
/// are nearest the shape's, then whose area is nearest `near`'s.
fn nearest<T: Copy>(candidates: impl Iterator<Item = (T, u32, u32)>, shape: Shape, near: (u32, u32)) -> Option<T> {
    let area = f64::from(near.0) * f64::from(near.1);
    let score = |w: u32, h: u32| {
        let proportion = (f64::from(h) / f64::from(w)).ln() - shape.target().ln();
        let size = if area > 0.0 { ((f64::from(w) * f64::from(h)) / area).ln() } else { 0.0 };
        (proportion.abs(), size.abs())
    };
    candidates
        .filter(|&(_, w, h)| Shape::of_size(w, h) == Some(shape))
        .min_by(|a, b| score(a.1, a.2).partial_cmp(&score(b.1, b.2)).unwrap_or(std::cmp::Ordering::Equal))
        .map(|(value, _, _)| value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::ProviderKind;

    fn caps(kind: ProviderKind, model: &str) -> Capabilities {
        let base = match kind {
            ProviderKind::OpenAi => Some("https://api.openai.com/v1"),
            _ => None,
        };
        kind.build(base, &Default::default()).unwrap().capabilities(model)
    }

    fn size(width: u32, height: u32) -> Option<Framing> {
        Some(Framing::Size { width, height })
    }

    #[test]
    fn shapes_map_to_a_ratio_for_models_that_take_one() {
        let imagen = caps(ProviderKind::ModelsLab, "imagen-4");
        assert_eq!(imagen.framing(Shape::Square, (512, 512)), Some(Framing::AspectRatio("1:1")));
        assert_eq!(imagen.framing(Shape::Portrait, (512, 512)), Some(Framing::AspectRatio("3:4")));
        assert_eq!(imagen.framing(Shape::Landscape, (512, 512)), Some(Framing::AspectRatio("4:3")));
        assert_eq!(Shape::of_ratio("9:16"), Some(Shape::Portrait));
        assert_eq!(Shape::of_ratio("16:9"), Some(Shape::Landscape));
        assert_eq!(Shape::of_ratio("nonsense"), None);
    }

    #[test]
    fn shapes_map_to_a_models_own_sizes_keeping_about_the_same_size() {
        let sdxl = caps(ProviderKind::ModelsLab, "sdxl");
        assert_eq!(sdxl.framing(Shape::Square, (512, 512)), size(512, 512));
        assert_eq!(sdxl.framing(Shape::Square, (1000, 600)), size(768, 768), "about the area in use");
        assert_eq!(sdxl.framing(Shape::Portrait, (512, 512)), size(512, 768));
        assert_eq!(sdxl.framing(Shape::Landscape, (512, 512)), size(768, 512));
        let forge = caps(ProviderKind::A1111, "");
        assert_eq!(forge.framing(Shape::Portrait, (1024, 1024)), size(832, 1216));
    }

    #[test]
    fn exact_size_models_get_only_their_sizes_and_say_which_shapes_they_cannot_make() {
        let gpt = caps(ProviderKind::OpenAi, "gpt-image-1");
        assert_eq!(gpt.framing(Shape::Square, (512, 512)), size(1024, 1024));
        assert_eq!(gpt.framing(Shape::Portrait, (512, 512)), size(1024, 1536));
        assert_eq!(gpt.framing(Shape::Landscape, (512, 512)), size(1536, 1024));
        let dalle3 = caps(ProviderKind::OpenAi, "dall-e-3");
        assert_eq!(dalle3.framing(Shape::Portrait, (1024, 1024)), size(1024, 1792));
        let dalle2 = caps(ProviderKind::OpenAi, "dall-e-2");
        assert_eq!(dalle2.framing(Shape::Square, (512, 512)), size(512, 512));
        assert_eq!(dalle2.framing(Shape::Portrait, (512, 512)), None, "DALL·E 2 makes squares only");
        // Every framing a model is offered is one it accepts.
        for (kind, model) in
            [(ProviderKind::OpenAi, "gpt-image-1"), (ProviderKind::ModelsLab, "sdxl"), (ProviderKind::ModelsLab, "imagen-4")]
        {
            let c = caps(kind, model);
            for shape in Shape::ALL {
                match c.framing(shape, (512, 512)) {
                    Some(Framing::Size { width, height }) => {
                        assert!(c.size.contains(&width) && c.size.contains(&height) && Shape::of_size(width, height) == Some(shape));
                        assert!(!c.exact_sizes || c.size_presets.contains(&(width, height)));
                    }
                    Some(Framing::AspectRatio(r)) => assert!(c.aspect_ratios.contains(&r) && Shape::of_ratio(r) == Some(shape)),
                    None => panic!("{model} makes every shape"),
                }
            }
        }
    }

    #[test]
    fn models_without_a_size_list_get_sizes_in_proportion_within_their_limits() {
        let free = Capabilities { size_presets: &[], ..caps(ProviderKind::ModelsLab, "sdxl") };
        assert_eq!(free.framing(Shape::Square, (640, 480)), size(640, 640));
        assert_eq!(free.framing(Shape::Portrait, (640, 480)), size(480, 640));
        assert_eq!(free.framing(Shape::Landscape, (1024, 1024)), size(1024, 768));
        assert_eq!(free.framing(Shape::Landscape, (4000, 4000)), size(1024, 768), "within the model's limits");
    }
}
