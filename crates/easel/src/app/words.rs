//! Small wording helpers the panels share: a prompt on one line, "3 images".

use easel_engine::text::cut_at_char_boundary;

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
}
