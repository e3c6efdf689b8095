//! A future raced against a watcher (a shutdown token, an idle timer, a cancellation) that is
//! polled only when the watcher itself was woken.
//!
//! `tokio::select!` polls every branch each time the task wakes. A connection wakes several
//! times per request and a call at least twice, and polling their watchers each time (a timer
//! entry, a `Notify` waiter list behind a mutex) was a visible share of the gateway's own CPU
//! per proxied call. Here the watcher gets its own waker, which marks it and wakes the task;
//! the main future is polled on every wake as before.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use futures_util::task::AtomicWaker;
use pin_project_lite::pin_project;

/// Which of the two finished.
#[derive(Debug)]
pub enum Either<A, B> {
    /// The main future's output.
    Main(A),
    /// The watcher's output.
    Watcher(B),
}

pin_project! {
    /// See the module docs. Made by [`watched`].
    #[must_use = "futures do nothing unless polled"]
    pub struct Watched<F, W> {
        #[pin]
        main: F,
        #[pin]
        watcher: W,
        wake: Arc<WatcherWake>,
    }
}

/// Races `main` against `watcher`, polling `watcher` only when it was woken (and once at
/// the start). `main` is polled first, as with a biased `select!`.
pub fn watched<F: Future, W: Future>(main: F, watcher: W) -> Watched<F, W> {
    Watched {
        main,
        watcher,
        wake: Arc::new(WatcherWake {
            // Polled on the first poll, to register its waker.
            woken: AtomicBool::new(true),
            task: AtomicWaker::new(),
        }),
    }
}

/// The watcher's waker: marks the watcher and wakes the task.
#[derive(Debug)]
struct WatcherWake {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for WatcherWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl<F: Future, W: Future> Future for Watched<F, W> {
    type Output = Either<F::Output, W::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(out) = this.main.poll(cx) {
            return Poll::Ready(Either::Main(out));
        }
        // Registered before the flag is read, so a wake between the two is not lost.
        this.wake.task.register(cx.waker());
        if this.wake.woken.swap(false, Ordering::AcqRel) {
            let waker = Waker::from(this.wake.clone());
            if let Poll::Ready(out) = this.watcher.poll(&mut Context::from_waker(&waker)) {
                return Poll::Ready(Either::Watcher(out));
            }
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    /// A watcher that counts its polls and never finishes.
    struct Counted(Arc<AtomicUsize>);

    impl Future for Counted {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
            self.0.fetch_add(1, Ordering::Relaxed);
            Poll::Pending
        }
    }

    #[tokio::test]
    async fn the_watcher_is_polled_only_when_woken() {
        let polls = Arc::new(AtomicUsize::new(0));
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(8);
        let main = async move {
            let mut sum = 0;
            while let Some(n) = rx.recv().await {
                sum += n;
            }
            sum
        };
        let task = tokio::spawn(watched(main, Counted(polls.clone())));
        for n in 1..=5 {
            tx.send(n).await.expect("receiver lives");
            tokio::task::yield_now().await;
        }
        drop(tx);
        match task.await.expect("no panic") {
            Either::Main(sum) => assert_eq!(sum, 15),
            Either::Watcher(()) => panic!("the watcher never finishes"),
        }
        assert_eq!(polls.load(Ordering::Relaxed), 1, "polled once, to register");
    }

    #[tokio::test(start_paused = true)]
    async fn a_woken_watcher_ends_the_race() {
        let token = tokio_util::sync::CancellationToken::new();
        let main = std::future::pending::<()>();
        let race = tokio::spawn(watched(main, token.clone().cancelled_owned()));
        tokio::time::sleep(Duration::from_secs(1)).await;
        token.cancel();
        assert!(matches!(race.await.expect("no panic"), Either::Watcher(())));
        let timer = watched(
            std::future::pending::<()>(),
            tokio::time::sleep(Duration::from_secs(5)),
        );
        assert!(matches!(timer.await, Either::Watcher(())));
    }
}
