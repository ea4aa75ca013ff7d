//! The price table: what image models cost where the price is published, kept as data
//! (`prices.json`) with the date it was checked and where each price comes from. A model that
//! is not in it has no known price, and nothing here guesses one.

use crate::provider::{ProviderKind, TokenUsage};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The table shipped with Easel.
const PUBLISHED: &str = include_str!("prices.json");

/// Prices by provider and model.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct PriceTable {
    /// When the prices were last checked against their sources (YYYY-MM-DD).
    pub checked: String,
    pub models: Vec<ModelPrice>,
}

/// What one model costs.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ModelPrice {
    /// The provider's id, as on the command line (`openai`, `modelslab`).
    pub provider: String,
    pub model: String,
    pub currency: String,
    /// A price per picture (services that bill by the picture).
    #[serde(default)]
    pub per_image: Option<f64>,
    /// Prices per million tokens (services that bill by the token, as OpenAI's image models).
    #[serde(default)]
    pub per_million_tokens: Option<TokenPrices>,
    /// The provider's own count of output tokens per picture, by size ("1024x1024") and
    /// quality ("low", "medium", "high"): what an estimate before sending rests on.
    #[serde(default)]
    pub output_tokens: BTreeMap<String, BTreeMap<String, u64>>,
    /// When the provider published this price (YYYY-MM-DD).
    pub published: String,
    /// Where it was read.
    pub source: String,
}

/// Token prices, per million tokens.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
pub struct TokenPrices {
    pub text_input: f64,
    pub image_input: f64,
    pub image_output: f64,
}

/// The qualities an output-token table distinguishes, cheapest first.
const QUALITIES: [&str; 3] = ["low", "medium", "high"];

impl PriceTable {
    /// The table shipped with Easel. A table that no longer reads (it is checked by a test)
    /// is logged and treated as empty: every cost is then unknown, never invented.
    pub fn published() -> Self {
        Self::from_json(PUBLISHED).unwrap_or_else(|why| {
            tracing::error!("the price table could not be read, so no price is known: {why}");
            Self::default()
        })
    }

    /// A table in the same form as `prices.json`.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The price of `model` on `provider`, if it is published.
    pub fn find(&self, provider: ProviderKind, model: &str) -> Option<&ModelPrice> {
        self.models.iter().find(|m| m.provider == provider.id() && m.model == model.trim())
    }
}

impl ModelPrice {
    /// What a request that used `usage` cost, when the model bills by the token.
    pub fn price_usage(&self, usage: &TokenUsage) -> Option<f64> {
        let p = self.per_million_tokens?;
        let images_in = usage.input_image_tokens.unwrap_or(0).min(usage.input_tokens);
        let text_in = usage.input_tokens - images_in;
        let cost = text_in as f64 * p.text_input + images_in as f64 * p.image_input + usage.output_tokens as f64 * p.image_output;
        Some(cost / 1e6)
    }

    /// What `images` pictures of `width`×`height` at `quality` should cost, as the lowest and
    /// highest it can be (equal when the quality is known; from low to high quality when it is
    /// `auto` or not said). `None` when the table has nothing for this size. The prompt's own
    /// tokens are left out: they cost a small fraction of a picture.
    pub fn estimate(&self, images: u32, width: u32, height: u32, quality: Option<&str>) -> Option<(f64, f64)> {
        if let Some(each) = self.per_image {
            let all = each * f64::from(images);
            return Some((all, all));
        }
        let output = self.per_million_tokens?.image_output;
        let by_quality = self.output_tokens.get(&format!("{width}x{height}"))?;
        let price = |q: &str| by_quality.get(q).map(|tokens| *tokens as f64 * output / 1e6 * f64::from(images));
        match quality.map(str::trim).filter(|q| QUALITIES.contains(q)) {
            Some(q) => price(q).map(|p| (p, p)),
            None => Some((price(QUALITIES[0])?, price(QUALITIES[2])?)),
        }
    }

    /// Where the price comes from, in one line.
    pub fn basis(&self) -> String {
        format!("published {} ({})", self.published, self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_reads_and_every_price_says_when_and_where() {
        let table = PriceTable::from_json(PUBLISHED).expect("prices.json reads");
        assert!(!table.checked.is_empty());
        assert!(!table.models.is_empty());
        for m in &table.models {
            assert!(m.published.len() == 10 && !m.source.is_empty(), "{}: a price says when and where", m.model);
            assert!(m.per_image.is_some() != m.per_million_tokens.is_some(), "{}: by the picture or by the token", m.model);
        }
        assert_eq!(PriceTable::published(), table);
    }

    #[test]
    fn token_usage_is_priced_and_sizes_are_estimated_from_the_token_table() {
        let table = PriceTable::published();
        let gpt = table.find(ProviderKind::OpenAi, "gpt-image-1").unwrap();
        // 20 prompt tokens and one medium 1024×1024 picture: 20×$5 + 1056×$40 per million.
        let usage = TokenUsage { input_tokens: 20, output_tokens: 1056, input_image_tokens: None };
        let cost = gpt.price_usage(&usage).unwrap();
        assert!((cost - 0.04234).abs() < 1e-9, "{cost}");
        let with_images = TokenUsage { input_tokens: 120, output_tokens: 0, input_image_tokens: Some(100) };
        assert!((gpt.price_usage(&with_images).unwrap() - (20.0 * 5.0 + 100.0 * 10.0) / 1e6).abs() < 1e-12);
        let (low, high) = gpt.estimate(2, 1024, 1024, Some("medium")).unwrap();
        assert!((low - 2.0 * 0.04224).abs() < 1e-9 && low == high);
        let (low, high) = gpt.estimate(1, 1024, 1536, None).unwrap();
        assert!(low < high, "an unsaid quality is a range: {low}..{high}");
        assert_eq!(gpt.estimate(1, 512, 512, Some("low")), None, "a size the table does not have is unknown");
        assert_eq!(table.find(ProviderKind::OpenAi, "gpt-image-2"), None, "no published price: unknown, never guessed");
        assert_eq!(table.find(ProviderKind::ModelsLab, "gpt-image-1"), None, "prices belong to their provider");
    }
}
