//! Fitting a draft to a provider it was not made for (after a switch, or a remembered draft
//! at start-up): a model the provider knows, and a size or aspect ratio that model makes.

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
/// at start-up, e.g. after `easel gui --provider openai`).
pub fn fit_sizes(draft: &mut SettingsDraft, provider: &dyn Provider) {
    let caps = provider.capabilities(draft.model.trim());
    let size = (draft.width.trim().parse().unwrap_or(0), draft.height.trim().parse().unwrap_or(0));
    if caps.exact_sizes
        && !caps.size_presets.contains(&size)
        && let Some((w, h)) = caps.size_presets.first()
    {
        draft.width = w.to_string();
        draft.height = h.to_string();
    }
    if !caps.aspect_ratios.is_empty() && !caps.aspect_ratios.contains(&draft.aspect_ratio.trim()) {
        caps.aspect_ratios[0].clone_into(&mut draft.aspect_ratio);
    }
}
