//! What the person asks for, and the checks made before anything is sent.
//!
//! Both faces hand the engine a [`SettingsDraft`] of text, exactly as typed;
//! [`SettingsDraft::validate`] names every bad field at once, in plain words,
//! and only a valid draft becomes [`GenerationSettings`]. An invalid request
//! is never sent.

use super::capabilities::Capabilities;
use super::error::{EngineError, ErrorCategory, FieldErrors};
use serde::{Deserialize, Serialize};

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
    /// A local image to start from (image-to-image); empty for text-to-image.
    pub init_image: String,
    /// How far to move away from the init image, 0 to 1.
    pub strength: String,
    /// Inpainting: a black-and-white image the size of the init image; white is repainted.
    pub mask_image: String,
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
            init_image: String::new(),
            strength: "0.7".to_owned(),
            mask_image: String::new(),
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
    /// Image-to-image: the image to start from.
    #[serde(default)]
    pub init_image: Option<InitImageRef>,
    /// Image-to-image strength, 0 to 1.
    #[serde(default = "default_strength")]
    pub strength: f32,
    /// Inpainting: which part of the init image to repaint (white) and keep (black).
    #[serde(default)]
    pub mask_image: Option<InitImageRef>,
}

fn default_strength() -> f32 {
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
            init_image: None,
            strength: default_strength(),
            mask_image: None,
        }
    }
}

/// A checked draft: the settings of each candidate job.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidRequest {
    pub candidates: Vec<GenerationSettings>,
}

impl SettingsDraft {
    /// Check every field against the provider's capabilities for the chosen model.
    /// On failure, the error is of category `validation` and names every bad field.
    pub fn validate(&self, caps: &Capabilities) -> Result<ValidRequest, EngineError> {
        let mut fields = FieldErrors::new();
        let mut bad = |field: &str, message: String| fields.entry(field.to_owned()).or_default().push(message);

        let prompt = self.prompt.trim();
        if prompt.is_empty() {
            bad("prompt", "Describe the image you want: the prompt is empty.".into());
        } else if prompt.chars().count() > caps.max_prompt_chars {
            bad("prompt", format!("The prompt is too long: at most {} characters.", caps.max_prompt_chars));
        }
        let model = self.model.trim();
        if model.is_empty() && caps.model_required {
            bad("model", "Choose a model.".into());
        } else if model.chars().any(char::is_whitespace) {
            bad("model", "A model id has no spaces.".into());
        }
        let fallback = self.fallback_model.trim();
        if fallback.chars().any(char::is_whitespace) {
            bad("fallback_model", "A model id has no spaces.".into());
        } else if !fallback.is_empty() && fallback == model {
            bad("fallback_model", "The fallback model is the same as the model; pick another one or leave it empty.".into());
        }

        let mut aspect_ratio = None;
        let (width, height) = if caps.aspect_ratios.is_empty() {
            let width = check_size(&self.width, "Width", caps, &mut bad, "width");
            let height = check_size(&self.height, "Height", caps, &mut bad, "height");
            if let (Some(w), Some(h)) = (width, height)
                && caps.exact_sizes
                && !caps.size_presets.contains(&(w, h))
            {
                let sizes: Vec<String> = caps.size_presets.iter().map(|(w, h)| format!("{w}×{h}")).collect();
                bad("width", format!("This model makes only these sizes: {}.", sizes.join(", ")));
            }
            (width, height)
        } else {
            let ratio = self.aspect_ratio.trim();
            if caps.aspect_ratios.contains(&ratio) {
                aspect_ratio = Some(ratio.to_owned());
            } else {
                bad("aspect_ratio", format!("Choose an aspect ratio: {}.", caps.aspect_ratios.join(", ")));
            }
            (Some(0), Some(0))
        };

        let init_path = self.init_image.trim();
        let init_image = if init_path.is_empty() {
            None
        } else if !caps.img2img {
            bad("init_image", "This model cannot start from an image; clear the image or pick another model.".into());
            None
        } else {
            match check_init_image(std::path::Path::new(init_path), caps) {
                Ok(r) => Some(r),
                Err(why) => {
                    bad("init_image", why);
                    None
                }
            }
        };
        let mask_path = self.mask_image.trim();
        let mask_image = if mask_path.is_empty() {
            None
        } else if init_path.is_empty() {
            bad("mask_image", "A mask marks part of a starting image: choose the image to start from first.".into());
            None
        } else if !caps.inpaint {
            bad("mask_image", "This model cannot repaint part of an image; clear the mask or pick another model.".into());
            None
        } else {
            match check_init_image(std::path::Path::new(mask_path), caps) {
                Ok(mask) => match &init_image {
                    Some(init) if (init.width, init.height) != (mask.width, mask.height) => {
                        bad(
                            "mask_image",
                            format!(
                                "The mask is {}×{} pixels but the starting image is {}×{}; they must be the same size.",
                                mask.width, mask.height, init.width, init.height
                            ),
                        );
                        None
                    }
                    _ => Some(mask),
                },
                Err(why) => {
                    bad("mask_image", why.replacen("The image", "The mask", 1));
                    None
                }
            }
        };
        let strength = self.strength.trim().parse::<f32>().ok().filter(|s| s.is_finite() && (0.0..=1.0).contains(s));
        if init_image.is_some() && strength.is_none() {
            bad("strength", "Strength must be a number from 0 to 1.".into());
        }

        let samples = parse_whole(&self.samples).filter(|n| caps.samples.contains(n));
        if samples.is_none() {
            bad("samples", format!("Images per request must be a whole number from {} to {}.", caps.samples.start(), caps.samples.end()));
        }

        let steps = match &caps.steps {
            Some(range) => {
                let steps = parse_whole(&self.steps).filter(|n| range.contains(n));
                if steps.is_none() {
                    bad("steps", format!("Steps must be a whole number from {} to {}.", range.start(), range.end()));
                }
                steps
            }
            None => Some(0),
        };

        let guidance = match &caps.guidance {
            Some(range) => {
                let g = self.guidance.trim().parse::<f32>().ok().filter(|g| g.is_finite() && range.contains(g));
                if g.is_none() {
                    bad("guidance", format!("Guidance must be a number from {} to {}.", range.start(), range.end()));
                }
                g
            }
            None => Some(0.0),
        };

        let seed_text = self.seed.trim();
        let seed = if seed_text.is_empty() || seed_text.eq_ignore_ascii_case("random") {
            Some(Seed::Random)
        } else {
            match seed_text.parse::<u64>() {
                Ok(n) if n <= MAX_SEED => Some(Seed::Fixed(n)),
                _ => {
                    bad("seed", format!("The seed must be a whole number from 0 to {MAX_SEED}, or empty for random."));
                    None
                }
            }
        };

        let candidates = parse_whole(&self.candidates).filter(|n| (1..=MAX_CANDIDATES).contains(n));
        if candidates.is_none() {
            bad("candidates", format!("Candidates must be a whole number from 1 to {MAX_CANDIDATES}."));
        }

        if !fields.is_empty() {
            let names: Vec<&str> = fields.keys().map(String::as_str).collect();
            return Err(EngineError::new(ErrorCategory::Validation)
                .with_message(format!("Some settings need fixing before anything is sent: {}.", names.join(", ")))
                .with_hint("Fix the settings named below. Nothing was sent and nothing was charged.")
                .with_fields(fields));
        }
        // Every Option is Some here: each None above added a field error.
        let (Some(width), Some(height), Some(samples), Some(steps), Some(guidance), Some(seed), Some(candidates)) =
            (width, height, samples, steps, guidance, seed, candidates)
        else {
            unreachable!("a missing value always records a field error")
        };

        let negative = self.negative_prompt.trim();
        let negative_prompt = (caps.negative_prompt && !negative.is_empty()).then(|| negative.to_owned());
        let base = GenerationSettings {
            prompt: prompt.to_owned(),
            negative_prompt,
            model: model.to_owned(),
            fallback_model: (!fallback.is_empty()).then(|| fallback.to_owned()),
            width,
            height,
            samples,
            steps,
            guidance,
            seed,
            seed_from_person: matches!(seed, Seed::Fixed(_)),
            aspect_ratio,
            init_image,
            strength: strength.unwrap_or_else(default_strength),
            mask_image,
        };
        Ok(ValidRequest { candidates: candidate_seeds(&base, candidates) })
    }

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
        self.init_image = s.init_image.as_ref().map(|i| i.path.display().to_string()).unwrap_or_default();
        self.mask_image = s.mask_image.as_ref().map(|m| m.path.display().to_string()).unwrap_or_default();
        if s.init_image.is_some() {
            self.strength = s.strength.to_string();
        }
    }
}

/// N candidates with different seeds: a fixed seed counts up from the person's seed,
/// a random seed gets a fresh random seed per candidate so each stays reproducible.
fn candidate_seeds(base: &GenerationSettings, count: u32) -> Vec<GenerationSettings> {
    (0..count)
        .map(|i| {
            let mut s = base.clone();
            match base.seed {
                Seed::Fixed(n) => {
                    s.seed = Seed::Fixed((n + u64::from(i)) % (MAX_SEED + 1));
                    // Only the person's own seed may be answered from the cache.
                    s.seed_from_person = i == 0;
                }
                Seed::Random if count > 1 => {
                    s.seed = Seed::Fixed(rand::random::<u32>() as u64);
                    s.seed_from_person = false;
                }
                Seed::Random => {}
            }
            s
        })
        .collect()
}

/// Check a starting image or mask: file size, format, and dimensions the model can make.
fn check_init_image(path: &std::path::Path, caps: &Capabilities) -> Result<InitImageRef, String> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let facts = inspect_image(path)?;
    // The output takes the init image's size, so it must fit what the model makes.
    let (lo, hi) = ((*caps.size.start()).min(64), *caps.size.end());
    let fits = |n: u32| (lo..=hi).contains(&n);
    if !fits(facts.width) || !fits(facts.height) {
        return Err(format!("The image {name} is {}×{} pixels; use one between {lo}×{lo} and {hi}×{hi}.", facts.width, facts.height));
    }
    Ok(InitImageRef { path: path.to_path_buf(), sha256: facts.sha256, width: facts.width, height: facts.height })
}

/// What reading and decoding a local image found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageFacts {
    pub sha256: String,
    pub width: u32,
    pub height: u32,
}

/// Read, decode (under the intake limits) and hash a local image, or say in plain words why it
/// cannot be used. The window validates the draft on every edit, so answers are remembered by
/// path, length and modification time: only a new or changed file is read again. The window
/// calls this off the UI thread when a file is picked, so the first check is already warm.
pub fn inspect_image(path: &std::path::Path) -> Result<ImageFacts, String> {
    use sha2::Digest as _;
    use std::sync::{LazyLock, Mutex};
    /// Which file, and which version of it: path, length, modification time.
    type Stamp = (std::path::PathBuf, u64, Option<std::time::SystemTime>);
    type Seen = std::collections::VecDeque<(Stamp, Result<ImageFacts, String>)>;
    static SEEN: LazyLock<Mutex<Seen>> = LazyLock::new(Mutex::default);
    const REMEMBERED: usize = 8;

    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let meta = std::fs::metadata(path).map_err(|e| format!("Easel cannot open the image {name}: {e}."))?;
    if meta.len() > MAX_INIT_IMAGE_BYTES {
        return Err(format!(
            "The image {name} is {:.1} MB; the limit is 5 MB. Save it smaller (or as JPEG) and try again.",
            meta.len() as f64 / 1e6
        ));
    }
    let stamp: Stamp = (path.to_path_buf(), meta.len(), meta.modified().ok());
    if let Some((_, known)) = SEEN.lock().ok().and_then(|seen| seen.iter().find(|(s, _)| *s == stamp).cloned()) {
        return known;
    }
    // A file that cannot be read now may be readable in a moment: only what it holds is remembered.
    let bytes = std::fs::read(path).map_err(|e| format!("Easel cannot read the image {name}: {e}."))?;
    let facts = super::intake::verify(bytes, &super::intake::Limits::default())
        .map(|verified| ImageFacts {
            sha256: super::intake::hex(&sha2::Sha256::digest(&verified.bytes)),
            width: verified.width,
            height: verified.height,
        })
        .map_err(|e| format!("{name} cannot be used: {e}. Use a PNG, JPEG or WebP image."));
    if let Ok(mut seen) = SEEN.lock() {
        if seen.len() == REMEMBERED {
            seen.pop_front();
        }
        seen.push_back((stamp, facts.clone()));
    }
    facts
}

fn parse_whole(text: &str) -> Option<u32> {
    text.trim().parse::<u32>().ok()
}

fn check_size(text: &str, label: &str, caps: &Capabilities, bad: &mut impl FnMut(&str, String), field: &str) -> Option<u32> {
    let range = &caps.size;
    let Some(n) = parse_whole(text) else {
        bad(field, format!("{label} must be a whole number of pixels from {} to {}.", range.start(), range.end()));
        return None;
    };
    let mut ok = true;
    if !range.contains(&n) {
        bad(field, format!("{label} must be from {} to {} pixels (it is {n}).", range.start(), range.end()));
        ok = false;
    }
    if caps.size_multiple > 1 && n % caps.size_multiple != 0 {
        let lower = n / caps.size_multiple * caps.size_multiple;
        bad(field, format!("{label} must be divisible by {} (try {} or {}).", caps.size_multiple, lower, lower + caps.size_multiple));
        ok = false;
    }
    ok.then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Provider;
    use crate::provider::modelslab::ModelsLab;

    fn caps(model: &str) -> Capabilities {
        ModelsLab::new(None).capabilities(model)
    }

    fn draft() -> SettingsDraft {
        SettingsDraft { prompt: "a red fox in snow".into(), model: "sdxl".into(), ..Default::default() }
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
            init_image: start.display().to_string(),
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
        assert_eq!((filled.init_image, filled.mask_image), (sent.init_image, sent.mask_image));

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
        assert_eq!((s.width, s.height, s.samples, s.steps), (512, 512, 1, 30));
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
