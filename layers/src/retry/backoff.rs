use std::time::Duration;

use rand::Rng;

/// Exponential backoff with jitter: the n-th retry waits `wait_min * base^(n-1)`, capped at
/// `wait_max`, then drawn uniformly from the upper half of that and kept within the bounds.
///
/// Jitter spreads the retries of many callers so a recovering backend is not hit by all of them
/// at once; drawing from the upper half keeps the waits growing from one retry to the next.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    wait_min: Duration,
    wait_max: Duration,
    base: f64,
}

// === impl Backoff ===

impl Backoff {
    /// A backoff between `wait_min` and `wait_max` growing by `base`; bounds are checked by the
    /// config validation of [`RetryLayer`](super::RetryLayer).
    pub fn new(wait_min: Duration, wait_max: Duration, base: f64) -> Self {
        Self {
            wait_min,
            wait_max,
            base,
        }
    }

    /// The wait before retry number `retry` (the first retry is 1), with fresh jitter.
    pub fn delay(&self, retry: u32) -> Duration {
        self.delay_with_jitter(retry, rand::rng().random_range(0.0..=1.0))
    }

    /// The wait before retry number `retry` for a jitter draw `unit` in `0.0..=1.0`.
    pub fn delay_with_jitter(&self, retry: u32, unit: f64) -> Duration {
        let nominal = self.nominal(retry);
        let jittered = nominal.mul_f64(0.5 + 0.5 * unit.clamp(0.0, 1.0));
        jittered.clamp(self.wait_min, self.wait_max)
    }

    fn nominal(&self, retry: u32) -> Duration {
        let exponent = i32::try_from(retry.saturating_sub(1)).unwrap_or(i32::MAX);
        let secs = self.wait_min.as_secs_f64() * self.base.powi(exponent);
        // An overflowing or non-finite product is simply "more than the ceiling".
        Duration::try_from_secs_f64(secs)
            .unwrap_or(self.wait_max)
            .min(self.wait_max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backoff() -> Backoff {
        Backoff::new(Duration::from_secs(1), Duration::from_secs(10), 2.0)
    }

    #[test]
    fn waits_double_within_their_jitter_band() {
        let b = backoff();
        for (retry, low, high) in [
            (1, 1000, 1000),
            (2, 1000, 2000),
            (3, 2000, 4000),
            (4, 4000, 8000),
        ] {
            assert_eq!(b.delay_with_jitter(retry, 0.0), Duration::from_millis(low));
            assert_eq!(b.delay_with_jitter(retry, 1.0), Duration::from_millis(high));
            let d = b.delay(retry);
            assert!(d >= Duration::from_millis(low) && d <= Duration::from_millis(high));
        }
    }

    #[test]
    fn waits_are_capped_at_wait_max_even_for_huge_retry_numbers() {
        let b = backoff();
        assert_eq!(b.delay_with_jitter(5, 1.0), Duration::from_secs(10));
        assert_eq!(b.delay_with_jitter(u32::MAX, 1.0), Duration::from_secs(10));
        assert!(b.delay_with_jitter(u32::MAX, 0.0) >= Duration::from_secs(5));
    }

    #[test]
    fn base_one_is_a_constant_wait() {
        let b = Backoff::new(Duration::from_secs(2), Duration::from_secs(10), 1.0);
        assert_eq!(b.delay_with_jitter(7, 0.0), Duration::from_secs(2));
    }
}
