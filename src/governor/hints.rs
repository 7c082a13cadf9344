//! The wait a 429 asks for, read from the words of its body and from its `Retry-After` header.
//!
//! Replicate words it as "Your rate limit resets in ~30s." or "Expected available in 0.5 seconds.": a
//! number that may have a fraction, then a unit. A fraction read as its whole part alone ("0.5" as 0 s)
//! would make a short wait look like no wait at all, so the fraction is kept. What a short wait, or none,
//! does to the pace is the governor's (the [module docs](super)), not this parser's.

use std::time::Duration;

/// The longest wait taken from a body's words (an hour); longer ones are read as this.
const MAX_BODY_WAIT: Duration = Duration::from_secs(3600);

/// The wait a 429's body asks for, in Replicate's words: "resets in ~30s", "Expected available in 1 second",
/// "available in 0.5 seconds", "resets in ~250ms".
pub(crate) fn wait_in_body(body: &str) -> Option<Duration> {
    let lower = body.to_ascii_lowercase();
    let after = ["resets in", "available in"].iter().find_map(|phrase| {
        lower
            .find(phrase)
            .and_then(|at| lower.get(at + phrase.len()..))
    })?;
    let text = after.trim_start_matches([' ', '~']);
    let (amount, rest) = decimal(text)?;
    let wait = match unit(rest) {
        Unit::Milliseconds => amount.checked_div(1000)?,
        Unit::Seconds => amount,
        Unit::Minutes => amount.checked_mul(60)?,
    };
    Some(wait.min(MAX_BODY_WAIT))
}

/// A number of seconds as a whole string, with or without a fraction ("7", " 0.5 "): the delta-seconds
/// form of `Retry-After`, leniently allowing the fraction some servers send.
pub(crate) fn seconds(text: &str) -> Option<Duration> {
    match decimal(text.trim())? {
        (amount, "") => Some(amount),
        _ => None,
    }
}

/// The unit after a number: seconds unless it says otherwise.
enum Unit {
    Milliseconds,
    Seconds,
    Minutes,
}

fn unit(rest: &str) -> Unit {
    let word: String = rest
        .trim_start()
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    match word.as_str() {
        "ms" | "msec" | "millisecond" | "milliseconds" => Unit::Milliseconds,
        "m" | "min" | "mins" | "minute" | "minutes" => Unit::Minutes,
        _ => Unit::Seconds,
    }
}

/// A non-negative decimal at the start of `text` ("30", "0.5", "1.25"), read as that many units of one
/// second (the caller scales it), and the text after it. The whole part must fit a `u64` (a longer run of
/// digits is no wait anyone meant); fraction digits past nanoseconds are ignored.
fn decimal(text: &str) -> Option<(Duration, &str)> {
    let whole_len = text.bytes().take_while(u8::is_ascii_digit).count();
    let (whole, rest) = text.split_at(whole_len);
    let (fraction, rest) = match rest.strip_prefix('.') {
        Some(after) => {
            let len = after.bytes().take_while(u8::is_ascii_digit).count();
            after.split_at(len)
        }
        None => ("", rest),
    };
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let seconds: u64 = match whole {
        "" => 0,
        digits => digits.parse().ok()?,
    };
    let nanos = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(9)
        .fold(0u32, |n, digit| n * 10 + u32::from(digit - b'0'));
    Some((Duration::new(seconds, nanos), rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> Option<u128> {
        wait_in_body(text).map(|d| d.as_millis())
    }

    #[test]
    fn hints_in_replicates_words() {
        assert_eq!(
            ms(r#"{"detail":"Request was throttled. Your rate limit resets in ~30s."}"#),
            Some(30_000)
        );
        assert_eq!(
            ms("Request was throttled. Expected available in 1 second."),
            Some(1000)
        );
        assert_eq!(ms("Too many requests"), None);
        assert_eq!(ms("resets in ~99999999999999999999999s"), None);
    }

    #[test]
    fn fractional_hints_keep_their_fraction() {
        assert_eq!(
            ms(r#"{"detail":"Request was throttled. Expected available in 0.5 seconds."}"#),
            Some(500)
        );
        assert_eq!(ms("Your rate limit resets in ~1.5s."), Some(1500));
        assert_eq!(ms("resets in ~.25s"), Some(250));
        assert_eq!(ms("resets in 1.123456789123s"), Some(1123));
        assert_eq!(ms("Expected available in 0 seconds."), Some(0));
        assert_eq!(ms("resets in ~250ms"), Some(250));
        assert_eq!(ms("resets in ~2 minutes"), Some(120_000));
        assert_eq!(
            ms("resets in ~5000 minutes"),
            Some(3_600_000),
            "an hour at most"
        );
        assert_eq!(ms("resets in ~."), None);
        assert_eq!(ms("resets in soon"), None);
    }

    #[test]
    fn retry_after_seconds_as_a_whole_string() {
        assert_eq!(seconds(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(seconds("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(seconds("0"), Some(Duration::ZERO));
        assert_eq!(seconds("-3"), None);
        assert_eq!(seconds("3s"), None);
        assert_eq!(seconds("1.2.3"), None);
        assert_eq!(seconds(""), None);
    }
}
