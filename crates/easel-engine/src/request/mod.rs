//! What the person asks for, and the checks made before anything is sent.
//!
//! Both faces hand the engine a [`SettingsDraft`] of text, exactly as typed;
//! [`SettingsDraft::validate`] names every bad field at once, in plain words,
//! and only a valid draft becomes [`GenerationSettings`]. An invalid request
//! is never sent.

mod images;
mod serde_forms;
mod validate;

pub use images::{ImageFacts, inspect_image};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The negative prompt the seeds recommend against bad-looking output.
pub const DEFAULT_NEGATIVE_PROMPT: &str = "watermark, lowres, blurry, extra fingers";
/// Largest seed accepted (32-bit, what the providers use).
pub const MAX_SEED: u64 = u32::MAX as u64;
/// Most candidates (jobs with different seeds) per press of Generate.
pub const MAX_CANDIDATES: u32 = 8;

/// The seed: chosen by the person, or random.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Seed {
    Random,
    Fixed(u64),
}

/// Settings exactly as typed, before checking. Numbers are text so that a wrong
/// value can be explained rather than refused by a parser.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SettingsDraft {
    pub prompt: String,
    pub negative_prompt: String,
    pub model: String,
    pub fallback_model: String,
    pub width: String,
    pub height: String,
    pub samples: String,
    pub steps: String,
    pub guidance: String,
    /// Empty or "random" for a random seed.
    pub seed: String,
    pub candidates: String,
    /// For models that take an aspect ratio instead of a size ("16:9").
    pub aspect_ratio: String,
    /// Local images to start from (image-to-image, editing, references), the first one first;
    /// empty for text-to-image. Older drafts held one `init_image` and still read.
    #[serde(alias = "init_image", deserialize_with = "serde_forms::strings")]
    pub init_images: Vec<String>,
    /// How far to move away from the init image, 0 to 1.
    pub strength: String,
    /// Inpainting: a black-and-white image the size of the init image; white is repainted.
    pub mask_image: String,
    /// The model's own choices ([`crate::capabilities::ModelOption`]) by id; a choice the
    /// model does not have is left out when the draft is checked.
    pub options: BTreeMap<String, String>,
}

impl Default for SettingsDraft {
    fn default() -> Self {
        Self {
            prompt: String::new(),
            negative_prompt: DEFAULT_NEGATIVE_PROMPT.to_owned(),
            model: "flux".to_owned(),
            fallback_model: String::new(),
            width: "512".to_owned(),
            height: "512".to_owned(),
            samples: "1".to_owned(),
            steps: "30".to_owned(),
            guidance: "7.5".to_owned(),
            seed: String::new(),
            candidates: "1".to_owned(),
            aspect_ratio: "1:1".to_owned(),
            init_images: Vec::new(),
            strength: "0.7".to_owned(),
            mask_image: String::new(),
            options: BTreeMap::new(),
        }
    }
}

/// A checked local image to start from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitImageRef {
    pub path: std::path::PathBuf,
    /// Part of the cache key: the same file contents give the same result.
    pub sha256: String,
    pub width: u32,
    pub height: u32,
}

/// Largest init image accepted (ModelsLab's base64 upload limit is 5 MB).
pub const MAX_INIT_IMAGE_BYTES: u64 = 5_000_000;

/// Checked settings for one job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GenerationSettings {
    pub prompt: String,
    /// `None` when empty or when the model ignores negative prompts.
    pub negative_prompt: Option<String>,
    pub model: String,
    pub fallback_model: Option<String>,
    pub width: u32,
    pub height: u32,
    pub samples: u32,
    pub steps: u32,
    pub guidance: f32,
    pub seed: Seed,
    /// True when the person fixed the seed (only then may the cache answer).
    pub seed_from_person: bool,
    /// Set for models that take an aspect ratio instead of width and height.
    #[serde(default)]
    pub aspect_ratio: Option<String>,
    /// Image-to-image: the images to start from, the first one first (it sets the output's
    /// size where the model follows it). Older records held one `init_image` and still read.
    #[serde(default, alias = "init_image", deserialize_with = "serde_forms::images")]
    pub init_images: Vec<InitImageRef>,
    /// Image-to-image strength, 0 to 1.
    #[serde(default = "default_strength")]
    pub strength: f32,
    /// Inpainting: which part of the init image to repaint (white) and keep (black).
    #[serde(default)]
    pub mask_image: Option<InitImageRef>,
    /// The model's own choices that were checked ([`crate::capabilities::ModelOption`]), by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

impl GenerationSettings {
    /// The first start image, which the output's size follows.
    pub fn init_image(&self) -> Option<&InitImageRef> {
        self.init_images.first()
    }

    /// The value of the model's option `id`, when it was chosen (or defaulted) for this job.
    pub fn option(&self, id: &str) -> Option<&str> {
        self.options.get(id).map(String::as_str)
    }
}

pub(super) fn default_strength() -> f32 {
    0.7
}

impl Default for GenerationSettings {
    fn default() -> Self {
        Self {
            prompt: String::new(),
            negative_prompt: None,
            model: String::new(),
            fallback_model: None,
            width: 512,
            height: 512,
            samples: 1,
            steps: 30,
            guidance: 7.5,
            seed: Seed::Random,
            seed_from_person: false,
            aspect_ratio: None,
            init_images: Vec::new(),
            strength: default_strength(),
            mask_image: None,
            options: BTreeMap::new(),
        }
    }
}

/// A checked draft: the settings of each candidate job.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidRequest {
    pub candidates: Vec<GenerationSettings>,
}

impl SettingsDraft {
    /// Put the settings a job was made with back into the draft ("Use these settings again",
    /// a history entry): every setting it sent comes back, the fallback model, images per
    /// request, aspect ratio, start image, mask and strength included. What the settings do
    /// not say stays as the person left it: the number of candidates, and the steps, guidance,
    /// size, aspect ratio or strength of a model that took none. A seed the person did not
    /// choose stays random rather than pinned.
    pub fn fill_from_settings(&mut self, settings: &GenerationSettings) {
        let s = settings;
        self.prompt.clone_from(&s.prompt);
        self.negative_prompt = s.negative_prompt.clone().unwrap_or_default();
        self.model.clone_from(&s.model);
        self.fallback_model = s.fallback_model.clone().unwrap_or_default();
        // Models that take an aspect ratio are sent no size (0 × 0).
        if s.width > 0 && s.height > 0 {
            self.width = s.width.to_string();
            self.height = s.height.to_string();
        }
        self.samples = s.samples.max(1).to_string();
        if s.steps > 0 {
            self.steps = s.steps.to_string();
        }
        if s.guidance > 0.0 {
            self.guidance = s.guidance.to_string();
        }
        self.seed = match s.seed {
            Seed::Fixed(seed) if s.seed_from_person => seed.to_string(),
            _ => String::new(),
        };
        if let Some(ratio) = &s.aspect_ratio {
            self.aspect_ratio.clone_from(ratio);
        }
        self.init_images = s.init_images.iter().map(|i| i.path.display().to_string()).collect();
        self.mask_image = s.mask_image.as_ref().map(|m| m.path.display().to_string()).unwrap_or_default();
        self.options.clone_from(&s.options);
        if !s.init_images.is_empty() {
            self.strength = s.strength.to_string();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capabilities::Capabilities;
    use crate::error::ErrorCategory;
    use crate::provider::Provider;
    use crate::provider::modelslab::ModelsLab;

    fn caps(model: &str) -> Capabilities {
        ModelsLab::new(None).capabilities(model)
    }

    fn draft() -> SettingsDraft {
        SettingsDraft { prompt: "a red fox in snow".into(), model: "sdxl".into(), ..Default::default() }
    }

    #[test]
    fn a_models_own_options_are_checked_defaulted_and_never_carried_to_another_model() {
        use crate::capabilities::{Choice, ModelOption};
        const QUALITY: &[Choice] = &[Choice { value: "low", label: "Low" }, Choice { value: "high", label: "High" }];
        let mut with_quality = caps("sdxl");
        with_quality.options = Vec::new();
        with_quality.options.push(ModelOption { id: "quality", label: "Quality", help: "", choices: QUALITY, default: "low" });
        let defaulted = draft().validate(&with_quality).unwrap().candidates.remove(0);
        assert_eq!(defaulted.option("quality"), Some("low"));
        let mut chosen = draft();
        chosen.options.insert("quality".into(), "high".into());
        chosen.options.insert("left_from_another_model".into(), "x".into());
        let s = chosen.validate(&with_quality).unwrap().candidates.remove(0);
        assert_eq!(s.options.len(), 1, "only the model's own options are sent: {:?}", s.options);
        assert_eq!(s.option("quality"), Some("high"));
        chosen.options.insert("quality".into(), "ultra".into());
        let err = chosen.validate(&with_quality).unwrap_err();
        assert!(err.fields["quality"][0].contains("low, high"), "{:?}", err.fields);
    }

    #[test]
    fn no_more_start_images_than_the_model_takes() {
        let mut one = caps("sdxl");
        one.max_init_images = 1;
        let two = SettingsDraft { init_images: vec!["/a.png".into(), "/b.png".into()], ..draft() };
        let err = two.validate(&one).unwrap_err();
        assert!(err.fields["init_image"][0].contains("at most 1 start image;"), "{:?}", err.fields);
        one.max_init_images = 0;
        let err = SettingsDraft { init_images: vec!["/a.png".into()], ..draft() }.validate(&one).unwrap_err();
        assert!(err.fields["init_image"][0].contains("cannot start from an image"), "{:?}", err.fields);
    }

    #[test]
    fn an_image_is_read_again_only_when_it_changed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("start.png");
        image::RgbImage::from_pixel(320, 256, image::Rgb([1, 2, 3])).save(&path).unwrap();
        let first = inspect_image(&path).unwrap();
        assert_eq!((first.width, first.height), (320, 256));
        assert_eq!(inspect_image(&path).unwrap(), first, "remembered");
        // Replaced by another picture (another length): read again.
        image::RgbImage::from_fn(300, 200, |x, y| image::Rgb([x as u8, y as u8, 9])).save(&path).unwrap();
        let second = inspect_image(&path).unwrap();
        assert_eq!((second.width, second.height), (300, 200));
        assert_ne!(second.sha256, first.sha256);
        // Replaced by something that is not a picture: said so, not the old answer.
        std::fs::write(&path, b"not a picture at all, just some text").unwrap();
        assert!(inspect_image(&path).unwrap_err().contains("PNG, JPEG or WebP"));
        std::fs::remove_file(&path).unwrap();
        assert!(inspect_image(&path).unwrap_err().contains("cannot open"));
    }

    /// What a job sent comes back whole: checking the filled draft again gives the same job.
    #[test]
    fn a_draft_filled_from_settings_keeps_every_setting_the_job_sent() {
        let dir = tempfile::tempdir().unwrap();
        let (start, mask) = (dir.path().join("start.png"), dir.path().join("mask.png"));
        image::RgbImage::from_pixel(512, 512, image::Rgb([9, 9, 9])).save(&start).unwrap();
        image::GrayImage::from_pixel(512, 512, image::Luma([255])).save(&mask).unwrap();
        let sent = SettingsDraft {
            fallback_model: "flux".into(),
            width: "640".into(),
            height: "768".into(),
            samples: "3".into(),
            steps: "21".into(),
            guidance: "6.5".into(),
            seed: "42".into(),
            init_images: vec![start.display().to_string()],
            strength: "0.35".into(),
            mask_image: mask.display().to_string(),
            ..draft()
        };
        let settings = sent.validate(&caps("sdxl")).unwrap().candidates.remove(0);
        let mut filled = SettingsDraft { candidates: "4".into(), ..SettingsDraft::default() };
        filled.fill_from_settings(&settings);
        assert_eq!(filled.candidates, "4", "not part of a job: as the person left it");
        assert_eq!(
            SettingsDraft { candidates: "1".into(), ..filled.clone() }.validate(&caps("sdxl")).unwrap().candidates,
            std::slice::from_ref(&settings)
        );
        assert_eq!((filled.fallback_model.as_str(), filled.samples.as_str(), filled.strength.as_str()), ("flux", "3", "0.35"));
        assert_eq!((filled.init_images, filled.mask_image), (sent.init_images, sent.mask_image));

        // A model that takes a shape: the ratio comes back and the size is left alone.
        let shaped = SettingsDraft { model: "imagen-4".into(), aspect_ratio: "16:9".into(), ..draft() };
        let settings = shaped.validate(&caps("imagen-4")).unwrap().candidates.remove(0);
        let mut filled = SettingsDraft { aspect_ratio: "1:1".into(), width: "640".into(), ..SettingsDraft::default() };
        filled.fill_from_settings(&settings);
        assert_eq!((filled.aspect_ratio.as_str(), filled.width.as_str()), ("16:9", "640"));
        assert_eq!(filled.seed, "", "a random seed stays random");
        let drawn = GenerationSettings { seed: Seed::Fixed(7), seed_from_person: false, ..settings };
        filled.fill_from_settings(&drawn);
        assert_eq!(filled.seed, "", "a seed the person did not choose is not pinned");
    }

    #[test]
    fn a_good_draft_passes_and_keeps_the_negative_prompt() {
        let valid = draft().validate(&caps("sdxl")).unwrap();
        assert_eq!(valid.candidates.len(), 1);
        let s = &valid.candidates[0];
        // 30 steps asked; ModelsLab caps community models at 20, so 20 are sent.
        assert_eq!((s.width, s.height, s.samples, s.steps), (512, 512, 1, 20));
        assert_eq!(s.negative_prompt.as_deref(), Some(DEFAULT_NEGATIVE_PROMPT));
        assert_eq!(s.seed, Seed::Random);
    }

    #[test]
    fn flux_drops_the_negative_prompt() {
        let d = SettingsDraft { model: "flux".into(), ..draft() };
        assert_eq!(d.validate(&caps("flux")).unwrap().candidates[0].negative_prompt, None);
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let d = SettingsDraft {
            prompt: "   ".into(),
            width: "100".into(),
            height: "513".into(),
            samples: "5".into(),
            steps: "0".into(),
            guidance: "25".into(),
            seed: "-3".into(),
            candidates: "0".into(),
            ..draft()
        };
        let err = d.validate(&caps("sdxl")).unwrap_err();
        assert_eq!(err.category, ErrorCategory::Validation);
        let names: Vec<&str> = err.fields.keys().map(String::as_str).collect();
        assert_eq!(names, ["candidates", "guidance", "height", "prompt", "samples", "seed", "steps", "width"]);
        assert!(err.fields["height"][0].contains("divisible by 8 (try 512 or 520)"), "{:?}", err.fields);
        assert!(err.fields["width"][0].contains("from 256 to 1024"));
        assert!(err.message.contains("width"));
    }

    #[test]
    fn sizes_at_the_edges() {
        for (w, ok) in [("256", true), ("1024", true), ("1032", false), ("248", false), ("abc", false), ("", false)] {
            let d = SettingsDraft { width: w.into(), ..draft() };
            assert_eq!(d.validate(&caps("sdxl")).is_ok(), ok, "width {w:?}");
        }
    }

    #[test]
    fn seeds_random_or_fixed() {
        for (text, expected) in [("", Some(Seed::Random)), ("random", Some(Seed::Random)), ("42", Some(Seed::Fixed(42)))] {
            let d = SettingsDraft { seed: text.into(), ..draft() };
            assert_eq!(d.validate(&caps("sdxl")).ok().map(|v| v.candidates[0].seed), expected);
        }
        for text in ["-1", "1.5", "4294967296", "seven"] {
            let d = SettingsDraft { seed: text.into(), ..draft() };
            assert!(d.validate(&caps("sdxl")).unwrap_err().fields.contains_key("seed"), "{text}");
        }
    }

    #[test]
    fn candidates_get_different_seeds_and_only_the_persons_seed_may_hit_the_cache() {
        let d = SettingsDraft { seed: "100".into(), candidates: "3".into(), ..draft() };
        let v = d.validate(&caps("sdxl")).unwrap();
        let seeds: Vec<Seed> = v.candidates.iter().map(|c| c.seed).collect();
        assert_eq!(seeds, [Seed::Fixed(100), Seed::Fixed(101), Seed::Fixed(102)]);
        assert_eq!(v.candidates.iter().map(|c| c.seed_from_person).collect::<Vec<_>>(), [true, false, false]);

        let d = SettingsDraft { candidates: "4".into(), ..draft() };
        let v = d.validate(&caps("sdxl")).unwrap();
        let mut seeds: Vec<Seed> = v.candidates.iter().map(|c| c.seed).collect();
        assert!(seeds.iter().all(|s| matches!(s, Seed::Fixed(_))));
        seeds.dedup();
        assert_eq!(seeds.len(), 4, "random candidates get distinct seeds");
        assert!(v.candidates.iter().all(|c| !c.seed_from_person));
    }

    #[test]
    fn flux_steps_follow_the_flux_range() {
        let d = SettingsDraft { model: "flux".into(), steps: "10".into(), ..draft() };
        assert!(d.validate(&caps("flux")).unwrap_err().fields.contains_key("steps"));
        let d = SettingsDraft { model: "sdxl".into(), steps: "10".into(), ..draft() };
        assert!(d.validate(&caps("sdxl")).is_ok());
    }
}
