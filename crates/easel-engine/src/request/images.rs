//! Local images a request starts from: read, decoded under the intake limits, hashed, and
//! checked against what the model accepts.

use super::{InitImageRef, MAX_INIT_IMAGE_BYTES};
use crate::capabilities::Capabilities;

/// Check a starting image or mask: file size, format, and dimensions the model can make.
pub(super) fn check_init_image(path: &std::path::Path, caps: &Capabilities) -> Result<InitImageRef, String> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let facts = inspect_image(path)?;
    if caps.any_init_size {
        return Ok(InitImageRef { path: path.to_path_buf(), sha256: facts.sha256, width: facts.width, height: facts.height });
    }
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
    let facts = crate::intake::verify(bytes, &crate::intake::Limits::default())
        .map(|verified| ImageFacts {
            sha256: crate::intake::hex(&sha2::Sha256::digest(&verified.bytes)),
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
