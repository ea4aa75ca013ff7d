//! What the app's unit tests build their library rows from.

use easel_engine::store::ImageRecord;
use std::path::PathBuf;

/// An image row with id `id`: a 1×1 PNG at `/images/<id>.png`, its sha256 made from the id.
pub fn image_record(id: i64) -> ImageRecord {
    let mut record: ImageRecord = serde_json::from_value(serde_json::json!({
        "id": id, "job": "j", "index": 0, "path": "/x.png", "bytes": 1, "width": 1, "height": 1,
        "format": "png", "sha256": format!("{id:064x}"), "seed": null, "prompt": "p", "negative_prompt": null,
        "model": "m", "steps": 1, "guidance": 1.0, "provider": "p", "request_id": null,
        "created": "", "created_ms": 0, "starred": false
    }))
    .expect("a valid record");
    record.path = PathBuf::from(format!("/images/{id}.png"));
    record
}
