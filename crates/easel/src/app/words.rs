//! Small wording helpers the panels share: a prompt on one line, "3 images".

use easel_engine::text::cut_at_char_boundary;

/// A job's model as a person reads it: a job sent with no model (a self-hosted server uses
/// the one it has loaded) says so instead of showing nothing.
pub fn model_name(model: &str) -> &str {
    if model.trim().is_empty() { "The server's current model" } else { model }
}

/// `text` on one line: runs of white space (new lines too) become one space.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` on one line, cut after `max_chars` characters with an ellipsis ("a red fox in…").
pub fn one_line_cut(text: &str, max_chars: usize) -> String {
    let line = one_line(text);
    match line.char_indices().nth(max_chars) {
        Some((cut, _)) => cut_at_char_boundary(&line, cut),
        None => line,
    }
}

/// What went wrong with a file or folder, in plain words: a full disk, a folder Easel may not
/// write in, one that is not there. The system's own words stay in the log.
pub fn plain_io_error(error: &std::io::Error, path: &std::path::Path) -> String {
    use std::io::ErrorKind;
    let place = path.display();
    match error.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => {
            format!("The disk is full, so {place} could not be written. Free some space, then try again.")
        }
        ErrorKind::PermissionDenied => {
            format!("Easel is not allowed to write in {place}. Choose another folder, such as your Pictures folder.")
        }
        ErrorKind::ReadOnlyFilesystem => format!("{place} is on a disk that cannot be written to. Choose another folder."),
        ErrorKind::NotFound => format!("{place} is not there (was a folder moved or a disk removed?)."),
        ErrorKind::IsADirectory => format!("{place} is a folder, not a file. Type a file name."),
        _ => format!("{place} could not be used ({error})."),
    }
}

/// A save that failed, in plain words.
pub fn plain_save_error(error: &easel_engine::export::SaveError) -> String {
    match error {
        easel_engine::export::SaveError::Write { path, source } => plain_io_error(source, path),
        other => other.to_string(),
    }
}

/// How long something has taken, in whole units a person reads at a glance: "0 s", "45 s",
/// "2 min 10 s", "1 h 5 min".
pub fn elapsed_text(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 if secs.is_multiple_of(60) => format!("{} min", secs / 60),
        60..=3599 => format!("{} min {} s", secs / 60, secs % 60),
        _ if (secs % 3600) < 60 => format!("{} h", secs / 3600),
        _ => format!("{} h {} min", secs / 3600, (secs % 3600) / 60),
    }
}

/// "1 image", "3 images".
pub fn count(n: usize, thing: &str) -> String {
    if n == 1 { format!("1 {thing}") } else { format!("{n} {thing}s") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prompt_is_put_on_one_line_and_cut_on_a_character() {
        assert_eq!(one_line(" a red\n fox\tin  snow "), "a red fox in snow");
        assert_eq!(one_line_cut("a red\nfox", 20), "a red fox", "short enough: kept whole");
        assert_eq!(one_line_cut("a red fox in snow", 5), "a red…");
        assert_eq!(one_line_cut("ééééé", 3), "ééé…", "characters, not bytes");
        assert_eq!((count(1, "image"), count(3, "image")), ("1 image".to_owned(), "3 images".to_owned()));
    }

    #[test]
    fn system_errors_are_said_in_plain_words_with_the_place() {
        let path = std::path::Path::new("/home/me/Pictures/fox.png");
        let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
        assert_eq!(
            plain_io_error(&full, path),
            "The disk is full, so /home/me/Pictures/fox.png could not be written. Free some space, then try again."
        );
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert!(plain_io_error(&denied, path).starts_with("Easel is not allowed to write in /home/me/Pictures/fox.png."));
        let missing = std::io::Error::from_raw_os_error(2);
        assert!(!plain_io_error(&missing, path).contains("os error"), "no raw system words");
    }
}
