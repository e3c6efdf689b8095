//! A future raced against a watcher (a shutdown token, an idle timer, a cancellation) that is
//! polled only when the watcher itself was woken.
//!
//! `tokio::select!` polls every branch each time the task wakes. A connection wakes several
//! times per request and a call at least twice, and polling their watchers each time (a timer
//! entry, a `Notify` waiter list behind a mutex) was a visible share of the gateway's own CPU
//! per proxied call. Here the watcher gets its own waker, which marks it and wakes the task;
//! the main future is polled on every wake as before. The task's waker is stored once and left
//! in place by wakes, so a poll for the main future alone does no atomic read-modify-write.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

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
        // The task waker last stored in `wake.task`: while the task's waker stays the same, a
        // poll stores nothing.
        registered: Option<Waker>,
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
            task: Mutex::new(None),
        }),
        registered: None,
    }
}

/// The watcher's waker: marks the watcher and wakes the task.
#[derive(Debug)]
struct WatcherWake {
    woken: AtomicBool,
    // The task's waker. A wake leaves it in place (an `AtomicWaker` hands it out, and then every
    // poll would have to register again, as it could not tell whether a wake had taken it).
    task: Mutex<Option<Waker>>,
}

impl WatcherWake {
    fn task(&self) -> MutexGuard<'_, Option<Waker>> {
        // Nothing runs under the lock but a store or a clone: a poisoned lock holds a waker.
        self.task.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Wake for WatcherWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // The flag before the waker is read: a poll that stored a new waker after this read
        // finds the flag set.
        self.woken.store(true, Ordering::Release);
        let task = self.task().clone();
        if let Some(task) = task {
            task.wake();
        }
    }
}

impl<F: Future, W: Future> Future for Watched<F, W> {
    type Output = Either<F::Output, W::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(out) = this.main.poll(cx) {
            return Poll::Ready(Either::Main(out));
        }
        let same_task = this
            .registered
            .as_ref()
            .is_some_and(|waker| waker.will_wake(cx.waker()));
        if !same_task {
            // Stored before the flag is read, so a wake that found the old waker is seen here.
            *this.wake.task() = Some(cx.waker().clone());
            *this.registered = Some(cx.waker().clone());
        }
        if this.wake.woken.load(Ordering::Acquire) && this.wake.woken.swap(false, Ordering::AcqRel)
        {
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

    /// A task waker that counts its wakes.
    #[derive(Default)]
    struct CountingWake(AtomicUsize);

    impl Wake for CountingWake {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    impl CountingWake {
        fn count(&self) -> usize {
            self.0.load(Ordering::Relaxed)
        }
    }

    #[test]
    fn every_wake_of_the_watcher_reaches_the_task() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u32>();
        let watcher = async move {
            while let Some(n) = rx.recv().await {
                if n == 3 {
                    return n;
                }
            }
            0
        };
        let mut race = Box::pin(watched(std::future::pending::<()>(), watcher));
        let task = Arc::new(CountingWake::default());
        let waker = Waker::from(task.clone());
        let mut cx = Context::from_waker(&waker);
        assert!(race.as_mut().poll(&mut cx).is_pending());
        for n in 1..=3u32 {
            // Woken for the main future only: nothing to register again.
            assert!(race.as_mut().poll(&mut cx).is_pending());
            tx.send(n).expect("the watcher lives");
            assert_eq!(task.count(), n as usize, "wake {n} reached the task");
            match race.as_mut().poll(&mut cx) {
                Poll::Ready(Either::Watcher(3)) if n == 3 => {}
                Poll::Pending if n < 3 => {}
                _ => panic!("after message {n}: the race ends at 3, and only by the watcher"),
            }
        }
    }

    #[test]
    fn the_watcher_wakes_the_task_that_polled_last() {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let mut race = Box::pin(watched(std::future::pending::<()>(), rx));
        let first = Arc::new(CountingWake::default());
        let second = Arc::new(CountingWake::default());
        let first_waker = Waker::from(first.clone());
        let second_waker = Waker::from(second.clone());
        assert!(race
            .as_mut()
            .poll(&mut Context::from_waker(&first_waker))
            .is_pending());
        assert!(race
            .as_mut()
            .poll(&mut Context::from_waker(&second_waker))
            .is_pending());
        tx.send(()).expect("the watcher lives");
        assert_eq!((first.count(), second.count()), (0, 1));
        assert!(matches!(
            race.as_mut().poll(&mut Context::from_waker(&second_waker)),
            Poll::Ready(Either::Watcher(Ok(())))
        ));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_watcher_woken_from_another_thread_while_the_task_polls_is_never_missed() {
        for round in 0..200u32 {
            let token = tokio_util::sync::CancellationToken::new();
            // The main future wakes its task at once, every time: the task polls without pause,
            // mostly with nothing new for the watcher, while another thread cancels. (A lost
            // wake here would hang the call's cancellation or a connection's shutdown.)
            let main = async {
                loop {
                    tokio::task::yield_now().await;
                }
            };
            let race = tokio::spawn(watched(main, token.clone().cancelled_owned()));
            let canceller = std::thread::spawn(move || {
                for _ in 0..round % 50 {
                    std::hint::spin_loop();
                }
                token.cancel();
            });
            let ended = tokio::time::timeout(Duration::from_secs(10), race).await;
            canceller.join().expect("the canceller does not panic");
            match ended {
                Ok(Ok(Either::Watcher(()))) => {}
                Ok(Ok(Either::Main(()))) => unreachable!("the main future never ends"),
                Ok(Err(e)) => panic!("round {round}: the race panicked: {e}"),
                Err(_) => panic!("round {round}: the cancellation was missed"),
            }
        }
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
