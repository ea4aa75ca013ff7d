//! The forms older drafts and library records were written in, still read: one start image
//! (`init_image`, a string or an object or null) where there are now several.

use super::InitImageRef;
use serde::{Deserialize, Deserializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    Many(Vec<T>),
    One(T),
    None(()),
}

impl<T> OneOrMany<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            Self::Many(items) => items,
            Self::One(item) => vec![item],
            Self::None(()) => Vec::new(),
        }
    }
}

/// A list of paths, or one path (empty means none).
pub(super) fn strings<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let items = OneOrMany::<String>::deserialize(deserializer)?.into_vec();
    Ok(items.into_iter().filter(|p| !p.trim().is_empty()).collect())
}

/// A list of start images, one, or null.
pub(super) fn images<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<InitImageRef>, D::Error> {
    Ok(OneOrMany::<InitImageRef>::deserialize(deserializer)?.into_vec())
}

#[cfg(test)]
mod tests {
    use crate::request::{GenerationSettings, SettingsDraft};

    #[test]
    fn one_start_image_of_older_records_still_reads() {
        let old: SettingsDraft = serde_json::from_str(r#"{"prompt":"p","init_image":"/a.png"}"#).unwrap();
        assert_eq!(old.init_images, ["/a.png"]);
        let none: SettingsDraft = serde_json::from_str(r#"{"init_image":""}"#).unwrap();
        assert!(none.init_images.is_empty());
        let many: SettingsDraft = serde_json::from_str(r#"{"init_images":["/a.png","/b.png"]}"#).unwrap();
        assert_eq!(many.init_images.len(), 2);

        let base = serde_json::to_value(GenerationSettings::default()).unwrap();
        let mut old = base.clone();
        old.as_object_mut().unwrap().remove("init_images");
        old["init_image"] = serde_json::json!({"path": "/a.png", "sha256": "aa", "width": 8, "height": 8});
        let read: GenerationSettings = serde_json::from_value(old).unwrap();
        assert_eq!(read.init_images[0].sha256, "aa");
        let mut null = base;
        null.as_object_mut().unwrap().remove("init_images");
        null["init_image"] = serde_json::Value::Null;
        assert!(serde_json::from_value::<GenerationSettings>(null).unwrap().init_images.is_empty());
    }
}
