//! Latency percentiles.

use std::time::Duration;

/// Sorted latency samples.
#[derive(Debug, Clone, Default)]
pub struct Latencies {
    sorted_ns: Vec<u64>,
}

// === impl Latencies ===

impl Latencies {
    /// Sorts `samples` (nanoseconds).
    pub fn new(mut samples_ns: Vec<u64>) -> Self {
        samples_ns.sort_unstable();
        Latencies {
            sorted_ns: samples_ns,
        }
    }

    /// The samples of both, as one distribution.
    pub fn merge(self, other: Latencies) -> Latencies {
        let mut samples = self.sorted_ns;
        samples.extend(other.sorted_ns);
        Latencies::new(samples)
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.sorted_ns.len()
    }

    /// The `q` quantile (0..=1) by the nearest-rank method, in microseconds.
    pub fn quantile_us(&self, q: f64) -> f64 {
        if self.sorted_ns.is_empty() {
            return f64::NAN;
        }
        let rank = (q * self.sorted_ns.len() as f64).ceil() as usize;
        let index = rank.clamp(1, self.sorted_ns.len()) - 1;
        self.sorted_ns[index] as f64 / 1000.0
    }

    /// Median, microseconds.
    pub fn p50(&self) -> f64 {
        self.quantile_us(0.50)
    }

    /// 99th percentile, microseconds.
    pub fn p99(&self) -> f64 {
        self.quantile_us(0.99)
    }

    /// 99.9th percentile, microseconds.
    pub fn p999(&self) -> f64 {
        self.quantile_us(0.999)
    }
}

/// A duration in nanoseconds, saturating.
pub fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_quantiles() {
        let l = Latencies::new((1..=1000).rev().map(|i| i * 1000).collect());
        assert_eq!(l.len(), 1000);
        assert_eq!(l.p50(), 500.0);
        assert_eq!(l.p99(), 990.0);
        assert_eq!(l.p999(), 999.0);
        assert_eq!(l.quantile_us(0.0), 1.0);
        assert!(Latencies::default().p50().is_nan());
    }

    #[test]
    fn merged_rounds_are_one_distribution() {
        let slow = Latencies::new((501..=1000).map(|i| i * 1000).collect());
        let fast = Latencies::new((1..=500).map(|i| i * 1000).collect());
        let both = slow.merge(fast);
        assert_eq!(both.len(), 1000);
        assert_eq!(both.p50(), 500.0);
        assert_eq!(both.quantile_us(0.0), 1.0);
    }
}
