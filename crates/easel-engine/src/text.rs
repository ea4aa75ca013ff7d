//! Text that has to fit somewhere: cut to a size without splitting a character.

/// Cut `text` to at most `max` bytes without splitting a character; a cut text ends in `…`.
pub fn cut_at_char_boundary(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &text[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_never_split_a_character() {
        assert_eq!(cut_at_char_boundary("short", 10), "short");
        assert_eq!(cut_at_char_boundary("abcdef", 3), "abc…");
        // "é" is two bytes: a cut inside it moves back before it.
        assert_eq!(cut_at_char_boundary("aé", 2), "a…");
    }
}
