//! How predictions are polled once the sync wait is over: the schedule, steady at first, then backing off.

use std::time::Duration;

/// How predictions are polled once the sync wait is over.
///
/// The default: a poll every 400 ms for the first 3 minutes of the wait, then each wait 1.5 times longer,
/// up to 5 s. A prediction that outlives `run`'s 60 s sync window has already saved the ~120 polls that
/// the official clients' fixed 0.5 s polling spends in that time, so polling a little faster than them
/// afterwards still costs fewer requests in all and tells you sooner that it finished; a prediction still
/// running after minutes (a queue, a cold boot) backs off, so a batch of them does not spend the account's
/// rate limit. `BENCHMARKS.md` shows the trade-off, measured.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct WaitOptions {
    /// The wait between two polls until [`backoff_after`](Self::backoff_after) (default 400 ms).
    pub interval: Duration,
    /// How long into the wait polls start backing off (default 3 min).
    pub backoff_after: Duration,
    /// How much longer each wait is than the one before, once backing off (default 1.5).
    pub backoff: f64,
    /// The longest wait between two polls (default 5 s).
    pub max_interval: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            interval: Duration::from_millis(400),
            backoff_after: Duration::from_secs(180),
            backoff: 1.5,
            max_interval: Duration::from_secs(5),
        }
    }
}

impl WaitOptions {
    /// Polls every `interval`, without backoff.
    pub fn fixed(interval: Duration) -> Self {
        Self {
            interval,
            backoff_after: Duration::ZERO,
            backoff: 1.0,
            max_interval: interval,
        }
    }

    /// Sets the wait between two polls until backoff starts.
    #[must_use]
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Sets how long into the wait polls start backing off (zero: from the first poll).
    #[must_use]
    pub fn backoff_after(mut self, after: Duration) -> Self {
        self.backoff_after = after;
        self
    }

    /// Sets the factor by which each wait grows once backing off (at least 1).
    #[must_use]
    pub fn backoff(mut self, factor: f64) -> Self {
        self.backoff = factor;
        self
    }

    /// Sets the longest wait between two polls.
    #[must_use]
    pub fn max_interval(mut self, interval: Duration) -> Self {
        self.max_interval = interval;
        self
    }

    /// The wait after one of `previous`, `waited` into the wait.
    pub(crate) fn next_interval(&self, previous: Duration, waited: Duration) -> Duration {
        if waited < self.backoff_after {
            return self.interval;
        }
        let factor = if self.backoff.is_finite() {
            self.backoff.clamp(1.0, 100.0)
        } else {
            1.0
        };
        let cap = self.max_interval.max(self.interval);
        Duration::try_from_secs_f64(previous.as_secs_f64() * factor)
            .unwrap_or(cap)
            .min(cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_are_steady_then_grow_to_the_cap() {
        let options = WaitOptions::default();
        let steady = options.next_interval(options.interval, Duration::from_secs(179));
        assert_eq!(steady, Duration::from_millis(400));
        let mut interval = options.interval;
        let mut seen = vec![interval];
        for _ in 0..12 {
            interval = options.next_interval(interval, Duration::from_secs(180));
            seen.push(interval);
        }
        assert_eq!(seen[1], Duration::from_millis(600));
        assert!(seen.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*seen.last().unwrap(), Duration::from_secs(5));
    }

    #[test]
    fn odd_factors_do_not_shrink_or_explode() {
        let huge = WaitOptions::default()
            .backoff(1e300)
            .max_interval(Duration::MAX);
        let late = Duration::from_secs(3600);
        assert!(huge.next_interval(Duration::from_secs(1), late) <= Duration::from_secs(100));
        for factor in [0.0, -2.0, f64::NAN, f64::INFINITY] {
            let options = WaitOptions::default().backoff(factor);
            assert_eq!(
                options.next_interval(Duration::from_secs(1), late),
                Duration::from_secs(1)
            );
        }
        let fixed = WaitOptions::fixed(Duration::from_millis(10));
        for waited in [Duration::ZERO, late] {
            assert_eq!(
                fixed.next_interval(Duration::from_millis(10), waited),
                Duration::from_millis(10)
            );
        }
    }
}
