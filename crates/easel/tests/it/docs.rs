//! The README's troubleshooting table is the engine's error table, word for word.

use easel_engine::error::ERROR_TABLE;

#[test]
fn readme_troubleshooting_matches_the_error_table() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    for row in ERROR_TABLE {
        let line = format!("| `{}` | {} | {} | {} |", row.category.as_str(), row.exit_code, row.message, row.hint);
        assert!(readme.contains(&line), "README is missing or differs for:\n{line}");
    }
}
