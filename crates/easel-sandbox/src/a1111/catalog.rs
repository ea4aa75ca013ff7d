//! What the imitated WebUI has installed: its checkpoints and samplers, and its version.

use serde_json::{Value, json};

/// The WebUI version named in infotexts.
pub(super) const VERSION: &str = "v1.10.1";

/// A checkpoint as `/sdapi/v1/sd-models` lists it.
pub(super) struct Checkpoint {
    pub(super) title: &'static str,
    pub(super) model_name: &'static str,
    pub(super) hash: &'static str,
    pub(super) sha256: &'static str,
    filename: &'static str,
}

impl Checkpoint {
    /// Whether `name` names this checkpoint the ways A1111 accepts: title, file name, model
    /// name or short hash.
    pub(super) fn answers_to(&self, name: &str) -> bool {
        let name = name.trim();
        let file = self.filename.rsplit('/').next().unwrap_or(self.filename);
        [self.title, file, self.model_name, self.hash].contains(&name)
    }

    pub(super) fn to_json(&self) -> Value {
        json!({
            "title": self.title,
            "model_name": self.model_name,
            "hash": self.hash,
            "sha256": self.sha256,
            "filename": self.filename,
            "config": null,
        })
    }
}

/// The installed checkpoints; the first is loaded at start.
pub(super) const CHECKPOINTS: [Checkpoint; 2] = [
    Checkpoint {
        title: "v1-5-pruned-emaonly.safetensors [6ce0161689]",
        model_name: "v1-5-pruned-emaonly",
        hash: "6ce0161689",
        sha256: "6ce0161689b3853acaa03779ec93eafe75a02f4ced659bee03f50797806fa2fa",
        filename: "/models/Stable-diffusion/v1-5-pruned-emaonly.safetensors",
    },
    Checkpoint {
        title: "sd_xl_base_1.0.safetensors [31e35c80fc]",
        model_name: "sd_xl_base_1.0",
        hash: "31e35c80fc",
        sha256: "31e35c80fc4829d14f90153f4c74cd59c90b779f6afe05a74cd6120b893f7e5b",
        filename: "/models/Stable-diffusion/sd_xl_base_1.0.safetensors",
    },
];

/// Sampler names and their aliases.
pub(super) const SAMPLERS: &[(&str, &[&str])] = &[
    ("DPM++ 2M", &["k_dpmpp_2m"]),
    ("DPM++ SDE", &["k_dpmpp_sde"]),
    ("Euler a", &["k_euler_a", "k_euler_ancestral"]),
    ("Euler", &["k_euler"]),
    ("LMS", &["k_lms"]),
    ("Heun", &["k_heun"]),
    ("DDIM", &[]),
    ("UniPC", &[]),
];

/// The schedulers: name and label.
pub(super) const SCHEDULERS: &[(&str, &str)] = &[
    ("automatic", "Automatic"),
    ("uniform", "Uniform"),
    ("karras", "Karras"),
    ("exponential", "Exponential"),
    ("polyexponential", "Polyexponential"),
    ("sgm_uniform", "SGM Uniform"),
];

/// The upscalers: name and scale.
pub(super) const UPSCALERS: &[(&str, f64)] = &[("None", 4.0), ("Lanczos", 4.0), ("Nearest", 4.0), ("R-ESRGAN 4x+", 4.0)];

/// The canonical name of a sampler given by name or alias; a scheduler suffix such as
/// " Karras" (the pre-1.9 names) is allowed.
pub(super) fn resolve_sampler(name: &str) -> Option<&'static str> {
    let name = name.trim();
    let base = [" Karras", " Exponential"].iter().find_map(|suffix| name.strip_suffix(suffix)).unwrap_or(name);
    SAMPLERS
        .iter()
        .find(|(canonical, aliases)| canonical.eq_ignore_ascii_case(base) || aliases.iter().any(|alias| alias.eq_ignore_ascii_case(base)))
        .map(|(canonical, _)| *canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samplers_and_checkpoints_answer_to_their_other_names() {
        assert_eq!(resolve_sampler("DPM++ 2M Karras"), Some("DPM++ 2M"));
        assert_eq!(resolve_sampler("k_euler_ancestral"), Some("Euler a"));
        assert_eq!(resolve_sampler("Nope"), None);
        let xl = &CHECKPOINTS[1];
        for name in ["sd_xl_base_1.0.safetensors [31e35c80fc]", "sd_xl_base_1.0.safetensors", "sd_xl_base_1.0", "31e35c80fc"] {
            assert!(xl.answers_to(name), "{name}");
        }
        assert!(!CHECKPOINTS[0].answers_to("sd_xl_base_1.0"));
    }
}
