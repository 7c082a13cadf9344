//! This run's command line, written so that pasting it into a shell runs it again: a batch is resumed by
//! running the same command in the same directory.

/// The command line this process was started with, each word quoted for a POSIX shell where it must be.
pub fn this_command() -> String {
    std::env::args_os()
        .map(|word| quoted(&word.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `word` as a shell reads it back: as it is when it holds only characters no shell treats specially,
/// else in single quotes (a single quote inside as `'\''`).
fn quoted(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        return word.to_string();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_a_shell_would_split_or_expand_are_quoted() {
        assert_eq!(quoted("--out-dir"), "--out-dir");
        assert_eq!(quoted("shoot/2024"), "shoot/2024");
        assert_eq!(quoted("a red fox"), "'a red fox'");
        assert_eq!(quoted("it's $HOME"), r"'it'\''s $HOME'");
        assert_eq!(quoted(""), "''");
        assert_eq!(quoted("*.txt"), "'*.txt'");
    }
}
