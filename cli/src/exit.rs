//! How a run ends: its exit status, one name per meaning. The top-level help's list of exit codes is made
//! from this enum, so the help cannot say other than what the program does.

use std::process::ExitCode;

/// The exit status of a run. Ordered by number: a run whose items end in different ways exits with the
/// greatest (a failed prediction and an API error: 3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// Everything asked for was done.
    #[default]
    Success = 0,
    /// A prediction ended badly; for `spec sync --check`, a model is behind the spec.
    SomeFailed = 1,
    /// The command line, an input or the configuration is wrong: nothing was sent for it.
    Usage = 2,
    /// The API or the network failed (an I/O error too).
    Api = 3,
    /// Ctrl-C.
    Interrupted = 130,
    /// Standard output was closed: 128 + SIGPIPE, as any Unix tool ends.
    OutputClosed = 141,
}

impl Exit {
    /// Every exit status, in the order of their numbers (the order the help lists them in).
    pub const ALL: [Exit; 6] = [
        Exit::Success,
        Exit::SomeFailed,
        Exit::Usage,
        Exit::Api,
        Exit::Interrupted,
        Exit::OutputClosed,
    ];

    /// The number the process exits with.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// What the status means, in a few words: the short help's list.
    fn meaning(self) -> &'static str {
        match self {
            Exit::Success => "all succeeded",
            Exit::SomeFailed => "a prediction failed, was canceled or aborted",
            Exit::Usage => "bad usage or invalid input (nothing was sent)",
            Exit::Api => "an API or network error",
            Exit::Interrupted => "interrupted (Ctrl-C)",
            Exit::OutputClosed => "standard output was closed (e.g. by `| head`)",
        }
    }

    /// When the status is given, beyond its meaning (with its own leading punctuation): the long help's list.
    fn detail(self) -> &'static str {
        match self {
            Exit::Success => "",
            Exit::SomeFailed => {
                ", or its output expired, is missing or is not of the model's type; for `spec sync --check`, \
                 a model is behind its published schema (or moved to a version the spec does not record)"
            }
            Exit::Usage => {
                ": an option or a batch line the model does not take, a model or version the server does \
                 not know, a batch directory of another server or account, or one another process holds"
            }
            Exit::Api => {
                ": a refused token, a server out of reach, an answer that cannot be read, a standard output \
                 that cannot be written"
            }
            Exit::Interrupted => {
                ": `generate` without --out-dir at the first; a batch at the second, or at a first that kept \
                 items from starting (the same command resumes it)"
            }
            Exit::OutputClosed => ": 128 + SIGPIPE, as for any Unix tool, and nothing is said",
        }
    }

    /// The short help's paragraph: every status and its meaning, on one line.
    pub fn summary() -> String {
        let codes: Vec<String> = Exit::ALL
            .iter()
            .map(|exit| format!("{} {}", exit.code(), exit.meaning()))
            .collect();
        format!("Exit codes: {}.", codes.join("; "))
    }

    /// The long help's list: a status a line, its meaning and when it is given, wrapped under the meaning.
    pub fn listing() -> String {
        let mut text = String::from("Exit codes:");
        for exit in Exit::ALL {
            let words = format!("{}{}", exit.meaning(), exit.detail());
            for (i, line) in wrapped(&words, 72).iter().enumerate() {
                let code = if i == 0 {
                    exit.code().to_string()
                } else {
                    String::new()
                };
                text.push_str(&format!("\n  {code:<5}{line}"));
            }
        }
        text
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}

/// `text` in lines of at most `width` characters, broken between words: the help's own wrapping would
/// start the second line of an entry at the left margin, under the numbers.
fn wrapped(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().filter(|line| {
            line.is_empty() || line.chars().count() + 1 + word.chars().count() <= width
        });
        match line {
            Some(line) if line.is_empty() => line.push_str(word),
            Some(line) => {
                line.push(' ');
                line.push_str(word);
            }
            None => lines.push(word.to_string()),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_status_once_by_number() {
        for (position, exit) in Exit::ALL.iter().enumerate() {
            // Exhaustive: a status added to the enum must be given its place in ALL here.
            let expected = match exit {
                Exit::Success => 0,
                Exit::SomeFailed => 1,
                Exit::Usage => 2,
                Exit::Api => 3,
                Exit::Interrupted => 4,
                Exit::OutputClosed => 5,
            };
            assert_eq!(position, expected, "{exit:?}");
        }
        assert!(
            Exit::ALL
                .windows(2)
                .all(|pair| pair[0].code() < pair[1].code())
        );
    }

    #[test]
    fn the_numbers_are_those_scripts_rely_on() {
        let codes: Vec<u8> = Exit::ALL.iter().map(|exit| exit.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3, 130, 141]);
        assert_eq!(Exit::SomeFailed.max(Exit::Api), Exit::Api);
    }

    #[test]
    fn the_short_help_names_every_status_on_one_line() {
        assert_eq!(
            Exit::summary(),
            "Exit codes: 0 all succeeded; 1 a prediction failed, was canceled or aborted; 2 bad usage or \
             invalid input (nothing was sent); 3 an API or network error; 130 interrupted (Ctrl-C); 141 \
             standard output was closed (e.g. by `| head`)."
        );
    }

    #[test]
    fn the_long_help_gives_each_status_its_own_lines() {
        let listing = Exit::listing();
        for exit in Exit::ALL {
            let start = format!("\n  {:<5}{}", exit.code(), exit.meaning());
            assert!(listing.contains(&start), "{exit:?} in {listing}");
        }
        assert!(listing.lines().all(|line| line.chars().count() <= 80));
    }

    #[test]
    fn the_readme_lists_the_same_statuses() {
        // A table cell takes `|` escaped.
        let readme = include_str!("../README.md");
        for exit in Exit::ALL {
            let row = format!(
                "\n| {} | {} |",
                exit.code(),
                exit.meaning().replace('|', "\\|")
            );
            assert!(readme.contains(&row), "cli/README.md lacks the row {row:?}");
        }
    }

    #[test]
    fn wrapping_breaks_between_words() {
        assert_eq!(wrapped("a bb ccc dd", 4), ["a bb", "ccc", "dd"]);
        assert_eq!(wrapped("", 4), [""]);
        assert_eq!(wrapped("toolongword x", 4), ["toolongword", "x"]);
    }
}
