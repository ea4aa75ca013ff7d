//! Local images a request starts from: read, decoded under the start-image limits, hashed, and
//! checked against what the model accepts. A picture of any common size is accepted: it is
//! scaled when the job sends it ([`crate::start_images`]); only a shape the model cannot
//! make, or a file that is not a picture, is refused here.

use super::InitImageRef;
use crate::capabilities::Capabilities;
use crate::start_images::{self, Header};
use std::path::{Path, PathBuf};

/// Check a start image: a readable picture whose shape the model can make.
pub(super) fn check_init_image(path: &Path, caps: &Capabilities) -> Result<InitImageRef, String> {
    let facts = inspect_image(path)?;
    start_images::fit(facts.width, facts.height, caps).map_err(|why| format!("{}: {why}", file_name(path)))?;
    Ok(facts.reference(path))
}

/// Check a mask: a readable picture that marks something to change.
pub(super) fn check_mask(path: &Path) -> Result<InitImageRef, String> {
    let facts = inspect_mask(path)?;
    if !facts.marks {
        return Err("Paint the part to change first: this mask marks nothing. (To change the whole picture, remove the mask.)".to_owned());
    }
    Ok(facts.image.reference(path))
}

/// What reading and decoding a local image found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageFacts {
    pub sha256: String,
    /// The size as the picture is meant to be seen (its EXIF rotation applied).
    pub width: u32,
    pub height: u32,
    /// The file's size in bytes.
    pub bytes: u64,
    pub header: Header,
}

impl ImageFacts {
    fn reference(&self, path: &Path) -> InitImageRef {
        InitImageRef { path: path.to_path_buf(), sha256: self.sha256.clone(), width: self.width, height: self.height }
    }

    /// One sentence on what will be done to this picture before `caps`'s model gets it
    /// ("Your 4032×3024 photo will be scaled to 1024×768 for this model."), if anything.
    pub fn note(&self, caps: &Capabilities) -> Option<String> {
        start_images::note(&self.header, self.bytes, caps)
    }
}

/// What reading a mask found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaskFacts {
    pub image: ImageFacts,
    /// Some part is marked to change (white, or transparent in OpenAI's form).
    pub marks: bool,
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Which file, and which version of it: path, length, modification time.
type Stamp = (PathBuf, u64, Option<std::time::SystemTime>);

/// The last answers for files, by [`Stamp`]: the window validates the draft on every edit,
/// so only a new or changed file is read again. Enough for a strip of 16 start images and a
/// mask, with room to spare.
struct Remembered<T>(std::sync::Mutex<std::collections::VecDeque<(Stamp, Result<T, String>)>>);

const REMEMBERED: usize = 40;

impl<T: Clone> Remembered<T> {
    const fn new() -> Self {
        Self(std::sync::Mutex::new(std::collections::VecDeque::new()))
    }

    fn get_or(&self, path: &Path, compute: impl FnOnce(Vec<u8>) -> Result<T, String>) -> Result<T, String> {
        let name = file_name(path);
        let meta = std::fs::metadata(path).map_err(|e| format!("Easel cannot open the image {name}: {e}."))?;
        let most = crate::intake::Limits::start_images().max_download_bytes;
        if meta.len() > most {
            return Err(format!(
                "The image {name} is {:.0} MB; Easel opens pictures of up to {} MB. Save it smaller and try again.",
                meta.len() as f64 / 1e6,
                most / 1_000_000
            ));
        }
        let stamp: Stamp = (path.to_path_buf(), meta.len(), meta.modified().ok());
        if let Some((_, known)) = self.0.lock().ok().and_then(|seen| seen.iter().find(|(s, _)| *s == stamp).cloned()) {
            return known;
        }
        // A file that cannot be read now may be readable in a moment: only what it holds is remembered.
        let bytes = std::fs::read(path).map_err(|e| format!("Easel cannot read the image {name}: {e}."))?;
        let answer = compute(bytes);
        if let Ok(mut seen) = self.0.lock() {
            if seen.len() == REMEMBERED {
                seen.pop_front();
            }
            seen.push_back((stamp, answer.clone()));
        }
        answer
    }
}

fn facts_of(bytes: &[u8], name: &str) -> Result<ImageFacts, String> {
    use sha2::Digest as _;
    let cannot = |why: String| format!("{name} cannot be used: {why}. Use a PNG, JPEG or WebP picture.");
    let header = start_images::read_header(bytes).map_err(cannot)?;
    // Decoding it whole proves it is a picture (not only a header), within the limits.
    crate::intake::verify(bytes.to_vec(), &crate::intake::Limits::start_images()).map_err(|e| cannot(e.to_string()))?;
    Ok(ImageFacts {
        sha256: crate::intake::hex(&sha2::Sha256::digest(bytes)),
        width: header.width,
        height: header.height,
        bytes: bytes.len() as u64,
        header,
    })
}

/// Read, decode (under the start-image limits) and hash a local image, or say in plain words
/// why it cannot be used, naming the file. Answers are remembered by path, length and
/// modification time. The window calls this off the UI thread when a file is picked, so the
/// check made on every edit is already warm.
pub fn inspect_image(path: &Path) -> Result<ImageFacts, String> {
    static SEEN: Remembered<ImageFacts> = Remembered::new();
    let name = file_name(path);
    SEEN.get_or(path, |bytes| facts_of(&bytes, &name))
}

/// [`inspect_image`] for a mask, and whether it marks anything to change.
pub fn inspect_mask(path: &Path) -> Result<MaskFacts, String> {
    static SEEN: Remembered<MaskFacts> = Remembered::new();
    let name = file_name(path);
    SEEN.get_or(path, |bytes| {
        let image = facts_of(&bytes, &name).map_err(|why| why.replacen(&name, &format!("The mask {name}"), 1))?;
        let decoded = start_images::decode_upright(&bytes, &crate::intake::Limits::start_images())
            .map_err(|why| format!("The mask {name} cannot be used: {why}."))?;
        Ok(MaskFacts { image, marks: start_images::marks_something(&start_images::white_is_change(&decoded)) })
    })
}
