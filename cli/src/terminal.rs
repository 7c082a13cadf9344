//! Text from a server (a model's logs and errors, problem details, ids) as it may reach a terminal or a page.
//!
//! A server's words are not trusted to be plain: an escape sequence in a model's error could recolour the
//! terminal, move the cursor over earlier lines, set the window title or hide text; a bidirectional override
//! could show text in another order than it is. Every line the CLI prints with a server's text in it goes
//! through [`plain`].

/// `text` without control characters (escape sequences are left as harmless printable remains) and without
/// the invisible characters that reorder or hide text. Newlines and tabs stay.
pub fn plain(text: &str) -> String {
    text.chars().filter(|c| shown(*c)).collect()
}

fn shown(c: char) -> bool {
    if c == '\n' || c == '\t' {
        return true;
    }
    let reorders =
        matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    !c.is_control() && !reorders
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_reordering_characters_are_dropped() {
        assert_eq!(
            plain("\u{1b}[2J\u{1b}]0;pwned\u{7}failed\r: \u{202e}txt.exe\n\tlog"),
            "[2J]0;pwnedfailed: txt.exe\n\tlog"
        );
    }
}
