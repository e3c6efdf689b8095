//! The async runtime the gateway runs on, sized from `worker_threads`.
//!
//! Like linkerd2-proxy, mcpmux does not take every core by default: it usually shares the
//! machine with the backends it fronts (stdio children, sidecar servers), and on a small machine
//! a second worker mostly buys cross-thread wake-ups. On the 2-core benchmark machine one worker
//! on the current-thread scheduler gave the highest throughput and the lowest CPU per call (see
//! the README's Performance section), so `auto` leaves one core to everything else.

use std::num::NonZeroUsize;

/// The scheduler and worker count chosen for a `worker_threads` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One thread runs every task: no work stealing, no cross-thread wake-ups.
    CurrentThread,
    /// Work-stealing scheduler with this many workers.
    MultiThread(usize),
}

// === impl Shape ===

impl Shape {
    /// The shape for `configured` workers (`0` = auto) on a machine with `cores` cores.
    pub fn for_setting(configured: usize, cores: usize) -> Shape {
        let workers = match configured {
            0 => cores.saturating_sub(1).max(1),
            n => n,
        };
        if workers == 1 {
            Shape::CurrentThread
        } else {
            Shape::MultiThread(workers)
        }
    }

    /// The number of threads that run tasks.
    pub fn workers(self) -> usize {
        match self {
            Shape::CurrentThread => 1,
            Shape::MultiThread(n) => n,
        }
    }

    /// Builds the runtime.
    pub fn build(self) -> std::io::Result<tokio::runtime::Runtime> {
        match self {
            Shape::CurrentThread => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build(),
            Shape::MultiThread(workers) => tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .enable_all()
                .build(),
        }
    }
}

/// The cores this process may use (cgroup CPU quotas included), at least 1.
pub fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_leaves_one_core_to_the_backends() {
        assert_eq!(Shape::for_setting(0, 1), Shape::CurrentThread);
        assert_eq!(Shape::for_setting(0, 2), Shape::CurrentThread);
        assert_eq!(Shape::for_setting(0, 4), Shape::MultiThread(3));
        assert_eq!(Shape::for_setting(0, 16).workers(), 15);
    }

    #[test]
    fn an_explicit_count_wins() {
        assert_eq!(Shape::for_setting(1, 16), Shape::CurrentThread);
        assert_eq!(Shape::for_setting(2, 2), Shape::MultiThread(2));
        assert_eq!(Shape::for_setting(8, 2), Shape::MultiThread(8));
    }

    #[test]
    fn both_shapes_run_tasks() {
        for shape in [Shape::CurrentThread, Shape::MultiThread(2)] {
            let runtime = shape.build().expect("runtime builds");
            let answer = runtime.block_on(async { tokio::spawn(async { 42 }).await });
            assert_eq!(answer.expect("task ran"), 42);
        }
    }
}
