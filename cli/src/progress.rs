//! What the user sees on stderr: a spinner with status and elapsed time on a terminal, plain lines otherwise.

use std::{io::IsTerminal, time::Duration};

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    spinner: Option<ProgressBar>,
}

impl Progress {
    pub fn new() -> Self {
        let spinner = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(100));
            crate::active_bar::show(&bar);
            bar
        });
        Self { spinner }
    }

    /// The current status: the spinner's message on a terminal, nothing otherwise (too chatty for logs).
    pub fn status(&self, message: impl Into<String>) {
        if let Some(spinner) = &self.spinner {
            spinner.set_message(crate::terminal::plain(&message.into()));
        }
    }

    /// A line that stays: above the spinner on a terminal, plain on stderr otherwise.
    pub fn line(&self, message: impl AsRef<str>) {
        let message = crate::terminal::plain(message.as_ref());
        match &self.spinner {
            Some(spinner) => spinner.println(message),
            None => crate::output::note(message),
        }
    }

    pub fn finish(&self) {
        if let Some(spinner) = &self.spinner {
            spinner.finish_and_clear();
            crate::active_bar::hide();
        }
    }
}
