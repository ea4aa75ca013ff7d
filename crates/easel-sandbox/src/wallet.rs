//! The ModelsLab wallet: a balance that falls by [`crate::SandboxConfig::image_price`] for every
//! picture the sandbox makes, so a client can tell what a job cost from the balance before and
//! after it (as with the real service, whose answers carry no cost).

use std::sync::atomic::{AtomicI64, Ordering};

/// The balance, in millionths of a dollar.
pub(crate) struct Wallet {
    micros: AtomicI64,
    price_micros: i64,
}

fn micros(dollars: f64) -> i64 {
    (dollars * 1e6).round() as i64
}

impl Wallet {
    pub(crate) fn new(balance: f64, image_price: f64) -> Self {
        Self { micros: AtomicI64::new(micros(balance)), price_micros: micros(image_price) }
    }

    /// Take the price of `images` pictures.
    pub(crate) fn charge(&self, images: u32) {
        self.micros.fetch_sub(self.price_micros * i64::from(images), Ordering::Relaxed);
    }

    /// The balance now, in dollars.
    pub(crate) fn balance(&self) -> f64 {
        self.micros.load(Ordering::Relaxed) as f64 / 1e6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_picture_takes_its_price() {
        let wallet = Wallet::new(43.6, 0.002);
        wallet.charge(2);
        assert!((wallet.balance() - 43.596).abs() < 1e-9);
    }
}
