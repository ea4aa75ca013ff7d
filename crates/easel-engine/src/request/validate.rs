//! Checking a draft against what the model accepts: every bad field named at once, in plain
//! words, before anything is sent.

use super::images::check_init_image;
use super::{GenerationSettings, MAX_CANDIDATES, MAX_SEED, Seed, SettingsDraft, ValidRequest, default_strength};
use crate::capabilities::Capabilities;
use crate::error::{EngineError, ErrorCategory, FieldErrors};

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
            if let (Some(w), Some(h), Some(rule)) = (width, height, caps.free_size)
                && let Some(why) = rule.refusal(w, h)
            {
                bad("width", why);
            }
            (width, height)
        } else {
            let ratio = self.aspect_ratio.trim();
            let editing = self.init_images.iter().any(|p| !p.trim().is_empty());
            match caps.rules.edit_aspect_ratios.filter(|set| editing && !set.is_empty()) {
                Some(set) if !set.contains(&ratio) => bad(
                    "aspect_ratio",
                    format!("When it edits a picture, this model takes only these aspect ratios: {}; choose one of them.", set.join(", ")),
                ),
                _ if caps.aspect_ratios.contains(&ratio) => aspect_ratio = Some(ratio.to_owned()),
                Some(_) => aspect_ratio = Some(ratio.to_owned()),
                None => bad("aspect_ratio", format!("Choose an aspect ratio: {}.", caps.aspect_ratios.join(", "))),
            }
            (Some(0), Some(0))
        };

        let init_paths: Vec<&str> = self.init_images.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect();
        let mut init_images = Vec::new();
        if !init_paths.is_empty() && !caps.img2img() {
            bad("init_image", "This model cannot start from an image; clear the image or pick another model.".into());
        } else if init_paths.len() > caps.max_init_images as usize {
            bad(
                "init_image",
                format!(
                    "This model takes at most {} start image{}; remove {} of the {} you chose.",
                    caps.max_init_images,
                    if caps.max_init_images == 1 { "" } else { "s" },
                    init_paths.len() - caps.max_init_images as usize,
                    init_paths.len()
                ),
            );
        } else if (init_paths.is_empty() && caps.rules.edits_only)
            || (!init_paths.is_empty() && (init_paths.len() as u32) < caps.rules.min_init_images)
        {
            bad("init_image", too_few_start_images(caps.rules.min_init_images.max(1), init_paths.len()));
        } else {
            for path in &init_paths {
                match check_init_image(std::path::Path::new(path), caps) {
                    Ok(r) => init_images.push(r),
                    Err(why) => bad("init_image", why),
                }
            }
        }
        let init_image = init_images.first();
        let mask_path = self.mask_image.trim();
        let mask_image = if mask_path.is_empty() {
            None
        } else if init_paths.is_empty() {
            bad("mask_image", "A mask marks part of a starting image: choose the image to start from first.".into());
            None
        } else if !caps.inpaint {
            bad("mask_image", "This model cannot repaint part of an image; clear the mask or pick another model.".into());
            None
        } else {
            match check_init_image(std::path::Path::new(mask_path), caps) {
                Ok(mask) => match init_image {
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
        if !init_paths.is_empty() && strength.is_none() {
            bad("strength", "Strength must be a number from 0 to 1.".into());
        }

        let samples = parse_whole(&self.samples).filter(|n| caps.samples.contains(n));
        if samples.is_none() {
            bad("samples", format!("Images per request must be a whole number from {} to {}.", caps.samples.start(), caps.samples.end()));
        }

        let steps = match &caps.steps {
            Some(range) => {
                // A service that caps steps by itself is sent its cap rather than refused.
                let capped = |n: u32| if caps.rules.steps_capped.is_some() { n.min(*range.end()) } else { n };
                let steps = parse_whole(&self.steps).map(capped).filter(|n| range.contains(n));
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
        // A service without seeds never sees one: none is kept, so none is recorded as the
        // image's seed and no later request counts as "the same seed" (a different picture).
        let seed = if !caps.seed || seed_text.is_empty() || seed_text.eq_ignore_ascii_case("random") {
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

        let options = check_options(&self.options, caps, &mut bad);
        for rule in caps.option_rules {
            if options.get(rule.when).is_some_and(|v| v == rule.is)
                && options.get(rule.then).is_some_and(|v| !rule.allowed.contains(&v.as_str()))
            {
                bad(rule.then, rule.message.to_owned());
            }
        }

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
            init_images,
            strength: strength.unwrap_or_else(default_strength),
            mask_image,
            options,
        };
        Ok(ValidRequest { candidates: candidate_seeds(&base, candidates, caps.seed) })
    }
}

/// N candidates with different seeds: a fixed seed counts up from the person's seed,
/// a random seed gets a fresh random seed per candidate so each stays reproducible. Where the
/// service takes no seed, the candidates are plain copies (each answer differs anyway).
fn candidate_seeds(base: &GenerationSettings, count: u32, seeded: bool) -> Vec<GenerationSettings> {
    (0..count)
        .map(|i| {
            let mut s = base.clone();
            match base.seed {
                _ if !seeded => {}
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

/// The model's own choices: each of its options takes the person's value when it is one of the
/// option's choices, otherwise its default. Values for options this model does not have (left
/// from another model) are dropped; a value the option does not take is named.
fn check_options(
    chosen: &std::collections::BTreeMap<String, String>,
    caps: &Capabilities,
    bad: &mut impl FnMut(&str, String),
) -> std::collections::BTreeMap<String, String> {
    let mut options = std::collections::BTreeMap::new();
    for option in &caps.options {
        let value = chosen.get(option.id).map(|v| v.trim()).filter(|v| !v.is_empty()).unwrap_or(option.default);
        if option.choices.iter().any(|c| c.value == value) {
            options.insert(option.id.to_owned(), value.to_owned());
        } else {
            let choices: Vec<&str> = option.choices.iter().map(|c| c.value).collect();
            bad(option.id, format!("{} must be one of: {}.", option.label, choices.join(", ")));
        }
    }
    options
}

/// Why a model that needs start images cannot go with `chosen` of them.
fn too_few_start_images(needed: u32, chosen: usize) -> String {
    match (needed, chosen) {
        (1, _) => "This model changes a picture you give it: choose a start image, or pick another model to make pictures from words \
                   alone."
            .to_owned(),
        (n, 0) => format!("This model combines {n} pictures: choose {n} start images, or pick another model."),
        (n, c) => {
            format!("This model combines {n} pictures: choose {} more start image{} ({c} chosen).", n as usize - c, plural(n as usize - c))
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
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
