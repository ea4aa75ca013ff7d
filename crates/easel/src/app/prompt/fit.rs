//! Fitting a draft to a provider it was not made for (after a switch, or a remembered draft
//! at start-up): a model the provider knows, and a size or aspect ratio that model makes.

use easel_engine::capabilities::{Framing, Shape};
use easel_engine::provider::Provider;
use easel_engine::request::SettingsDraft;

/// Make a draft fit a provider it was not made for: its default model, and a size it makes.
pub fn fit_draft(draft: &mut SettingsDraft, provider: &dyn Provider) {
    let known = provider.known_models();
    if !known.iter().any(|m| m.id == draft.model.trim()) {
        provider.default_model().clone_into(&mut draft.model);
    }
    fit_sizes(draft, provider);
}

/// Make the size or aspect ratio one the model takes, keeping the model (a remembered draft
/// at start-up, after `easel gui --provider openai`, or another model picked or typed) and,
/// where it can, the picture's shape: a portrait stays a portrait.
pub fn fit_sizes(draft: &mut SettingsDraft, provider: &dyn Provider) {
    let caps = provider.capabilities(draft.model.trim());
    let size = (draft.width.trim().parse().unwrap_or(0), draft.height.trim().parse().unwrap_or(0));
    let shape = Shape::of_size(size.0, size.1).or_else(|| Shape::of_ratio(&draft.aspect_ratio)).unwrap_or(Shape::Square);
    let near = if size.0 == 0 || size.1 == 0 { (1024, 1024) } else { size };
    let size_fits = !caps.exact_sizes || caps.size_presets.contains(&size);
    if caps.aspect_ratios.is_empty() && !size_fits {
        match caps.framing(shape, near).or_else(|| caps.framing(Shape::Square, near)) {
            Some(Framing::Size { width, height }) => {
                draft.width = width.to_string();
                draft.height = height.to_string();
            }
            _ => {
                if let Some((w, h)) = caps.size_presets.first() {
                    draft.width = w.to_string();
                    draft.height = h.to_string();
                }
            }
        }
    }
    if !caps.aspect_ratios.is_empty() && !caps.aspect_ratios.contains(&draft.aspect_ratio.trim()) {
        let shape = Shape::of_ratio(&draft.aspect_ratio).unwrap_or(shape);
        match caps.framing(shape, near) {
            Some(Framing::AspectRatio(ratio)) => ratio.clone_into(&mut draft.aspect_ratio),
            _ => caps.aspect_ratios[0].clone_into(&mut draft.aspect_ratio),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use easel_engine::provider::ProviderKind;

    #[test]
    fn another_model_gets_a_size_it_makes_in_the_same_shape() {
        let openai = ProviderKind::OpenAi.build(None, &Default::default()).unwrap();
        let mut draft =
            SettingsDraft { model: "gpt-image-1.5".into(), width: "512".into(), height: "768".into(), ..SettingsDraft::default() };
        fit_sizes(&mut draft, openai.as_ref());
        let (w, h): (u32, u32) = (draft.width.parse().unwrap(), draft.height.parse().unwrap());
        assert!(h > w, "still a portrait: {w}×{h}");
        assert!(openai.capabilities("gpt-image-1.5").size_presets.contains(&(w, h)));
        let before = draft.clone();
        fit_sizes(&mut draft, openai.as_ref());
        assert_eq!(draft, before, "a size the model makes is kept");
    }
}
