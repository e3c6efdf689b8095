//! Where log lines go: into one in-process buffer, written to stderr by a thread of its own every
//! [`FLUSH_EVERY`], as soon as the buffer holds [`FLUSH_AT`] bytes, and as soon as a warning or
//! an error comes.
//!
//! Writing each line to stderr as it is made cost a `write(2)` per proxied `tools/call` (the
//! audit line) and woke whatever reads the gateway's stderr as often; under load that was a
//! fifth of the gateway's system calls. Batching keeps it at a few writes per second whatever
//! the call rate.
//!
//! The thread that logs never writes to stderr itself, so a stderr nobody reads (a stalled log
//! shipper, a full pipe) cannot stop the runtime's workers: the writer thread waits in
//! `write(2)` alone, lines gather behind it up to [`BACKLOG_LIMIT`], and lines past that are
//! dropped, counted in `mcpmux_log_lines_dropped_total` and reported by a line when stderr
//! takes text again. `tracing-appender`'s non-blocking writer has the same shape but wakes its
//! thread for nearly every line when it keeps up, which costs about as much as the writes; this
//! one wakes it by time or by size.
//!
//! What can be lost: lines of the last [`FLUSH_EVERY`] if the process is killed with SIGKILL.
//! A normal exit, a signal the gateway handles, and a panic all flush first; an exit waits at
//! most [`EXIT_FLUSH_LIMIT`] for stderr to take the rest, so a stderr nobody reads cannot keep
//! the process alive.

use std::io::Write;
use std::sync::{Mutex, MutexGuard, Once, OnceLock};
use std::thread::Thread;
use std::time::Duration;

use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

/// How long a line may wait in the buffer.
pub const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// A buffer this full wakes the writer thread before its time.
pub const FLUSH_AT: usize = 64 * 1024;
/// Unwritten text beyond which new lines are dropped rather than held: what a stderr that
/// stopped taking text may cost in memory (twice this, with the batch being written).
pub const BACKLOG_LIMIT: usize = 4 * 1024 * 1024;

/// Lines on their way to stderr: appended by any thread, written out in order by one.
#[derive(Debug, Default)]
struct LogBuffer {
    /// Lines not yet taken by a writer.
    pending: Mutex<Pending>,
    /// Held for the whole of a write, so batches reach stderr in the order they were taken;
    /// holds the batch being written, whose allocation is swapped back into `pending`.
    writing: Mutex<Vec<u8>>,
}

#[derive(Debug, Default)]
struct Pending {
    bytes: Vec<u8>,
    /// Lines dropped since the last batch was taken.
    dropped: u64,
}

/// What became of a line given to [`LogBuffer::push`].
#[derive(Debug, PartialEq, Eq)]
enum Pushed {
    /// In the buffer; the writer can wait for its time.
    Held,
    /// In the buffer, which should be written out now (an urgent line, or a full buffer).
    WriteNow,
    /// Not kept: the backlog is at its limit.
    Dropped,
}

impl LogBuffer {
    fn push(&self, line: &[u8], urgent: bool) -> Pushed {
        let mut pending = lock(&self.pending);
        if pending.bytes.len() + line.len() > BACKLOG_LIMIT {
            pending.dropped += 1;
            return Pushed::Dropped;
        }
        pending.bytes.extend_from_slice(line);
        if urgent || pending.bytes.len() >= FLUSH_AT {
            Pushed::WriteNow
        } else {
            Pushed::Held
        }
    }

    /// Writes everything pushed before the call to `out`. Pushes made while `out` is slow wait
    /// only for the swap of two buffers, never for the write.
    fn write_out(&self, out: &mut impl Write) {
        let mut batch = lock(&self.writing);
        let dropped = take(&mut lock(&self.pending), &mut batch);
        write_batch(&mut batch, dropped, out);
    }

    /// [`Self::write_out`] if neither lock is held (for the panic hook: the panicking thread
    /// may hold one).
    fn try_write_out(&self, out: &mut impl Write) {
        let Ok(mut batch) = self.writing.try_lock() else {
            return;
        };
        let Ok(mut pending) = self.pending.try_lock() else {
            return;
        };
        let dropped = take(&mut pending, &mut batch);
        drop(pending);
        write_batch(&mut batch, dropped, out);
    }
}

/// Moves the pending lines into the (empty) batch; returns how many lines were dropped since
/// the last batch.
fn take(pending: &mut Pending, batch: &mut Vec<u8>) -> u64 {
    std::mem::swap(&mut pending.bytes, batch);
    std::mem::take(&mut pending.dropped)
}

fn write_batch(batch: &mut Vec<u8>, dropped: u64, out: &mut impl Write) {
    if dropped > 0 {
        // Where the gap is: the lines after this batch's were the ones dropped.
        let _ = writeln!(
            batch,
            "mcpmux: {dropped} log line(s) dropped: stderr took text more slowly than the gateway wrote it"
        );
    }
    if batch.is_empty() {
        return;
    }
    // Nothing to do about a stderr that cannot be written: the lines are dropped, as
    // `eprintln!` would have had to.
    let _ = out.write_all(batch);
    batch.clear();
    // After a backlog, give back all but a normal batch's worth (batches a little above
    // `FLUSH_AT` are usual under load: the writer wakes a moment after the line that asked).
    if batch.capacity() > BACKLOG_LIMIT / 4 {
        batch.shrink_to(FLUSH_AT);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while the lock was held left at worst a partial line: keep logging.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The process's log buffer.
fn buffer() -> &'static LogBuffer {
    static BUFFER: OnceLock<LogBuffer> = OnceLock::new();
    BUFFER.get_or_init(|| LogBuffer {
        pending: Mutex::new(Pending {
            bytes: Vec::with_capacity(FLUSH_AT),
            dropped: 0,
        }),
        writing: Mutex::new(Vec::with_capacity(FLUSH_AT)),
    })
}

/// The writer thread, once started.
static WRITER: OnceLock<Thread> = OnceLock::new();

/// Writes what the buffer holds to stderr now, on the calling thread.
pub fn flush() {
    buffer().write_out(&mut std::io::stderr().lock());
}

/// How long an exit waits for stderr to take the last lines.
pub const EXIT_FLUSH_LIMIT: Duration = Duration::from_secs(2);

/// [`flush`] for a process about to exit: waits at most `limit`, so that a stderr nobody reads
/// (a client that never drains the stdio gateway's stderr, a stalled log shipper) cannot keep
/// the process from exiting. Returns whether everything was written.
pub fn flush_before_exit(limit: Duration) -> bool {
    within(limit, flush)
}

/// Runs `work` on a thread of its own and waits for it at most `limit`; whether it finished.
/// A thread that could not be started runs `work` here instead.
fn within(limit: Duration, work: impl FnOnce() + Send + 'static) -> bool {
    let (done, finished) = std::sync::mpsc::channel();
    let work = std::sync::Arc::new(Mutex::new(Some(work)));
    let on_thread = work.clone();
    let spawned = std::thread::Builder::new()
        .name("mcpmux-log-exit".into())
        .spawn(move || {
            if let Some(work) = lock(&on_thread).take() {
                work();
            }
            let _ = done.send(());
        });
    match spawned {
        Ok(_) => finished.recv_timeout(limit).is_ok(),
        Err(_) => {
            if let Some(work) = lock(&work).take() {
                work();
            }
            true
        }
    }
}

/// Adds one line, waking the writer thread when the line is urgent or the buffer full.
fn push(line: &[u8], urgent: bool) {
    match buffer().push(line, urgent) {
        Pushed::Held => {}
        Pushed::WriteNow => match WRITER.get() {
            Some(writer) => writer.unpark(),
            // No writer thread: write here, as before there was one.
            None => flush(),
        },
        Pushed::Dropped => {
            metrics::counter!(super::metrics::LOG_LINES_DROPPED).increment(1);
        }
    }
}

/// Starts the thread that writes the buffer out, and flushes before a panic's message is
/// printed. Once per process.
fn start_writer() {
    static STARTED: Once = Once::new();
    STARTED.call_once(|| {
        let spawned = std::thread::Builder::new()
            .name("mcpmux-log-flush".into())
            .spawn(|| loop {
                // Woken early by `push`; a spurious wake-up only writes a batch sooner.
                std::thread::park_timeout(FLUSH_EVERY);
                flush();
            });
        match spawned {
            Ok(handle) => {
                let _ = WRITER.set(handle.thread().clone());
            }
            Err(e) => eprintln!(
                "mcpmux: cannot start the log writer thread ({e}); lines are written by the thread that logs them"
            ),
        }
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            buffer().try_write_out(&mut std::io::stderr().lock());
            previous(info);
        }));
    });
}

/// The `MakeWriter` of the gateway's log layer.
#[derive(Debug, Clone, Copy)]
pub struct BufferedStderr;

impl BufferedStderr {
    /// The writer, with its thread running.
    pub fn new() -> BufferedStderr {
        start_writer();
        BufferedStderr
    }
}

impl Default for BufferedStderr {
    fn default() -> Self {
        BufferedStderr::new()
    }
}

/// One event's line (the fmt layer writes each event with one `write_all`).
#[derive(Debug)]
pub struct Line {
    urgent: bool,
}

impl Write for Line {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        push(bytes, self.urgent);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Adds one whole line that is not urgent (an `info` line) to the buffer, as the log layer's
/// writer would.
pub(super) fn append_line(line: &[u8]) {
    push(line, false);
}

impl<'a> MakeWriter<'a> for BufferedStderr {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line { urgent: false }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Line {
        // Warnings and errors are what someone reads when things go wrong: they, and
        // everything logged before them, are written as soon as the writer thread wakes.
        Line {
            urgent: *meta.level() <= Level::WARN,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::sync::Arc;

    use super::*;

    /// A stderr that takes text only when told to, saying when a write has begun.
    struct StalledStderr {
        began: mpsc::Sender<()>,
        resume: mpsc::Receiver<()>,
        written: Vec<u8>,
    }

    impl Write for StalledStderr {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.began.send(()).expect("the test waits for the write");
            self.resume.recv().expect("the test lets the write finish");
            self.written.extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_wait_until_the_buffer_fills_or_a_warning_comes() {
        let buffer = LogBuffer::default();
        let mut out = Vec::new();
        assert_eq!(buffer.push(b"info line\n", false), Pushed::Held);
        assert_eq!(buffer.push(b"warning\n", true), Pushed::WriteNow);
        buffer.write_out(&mut out);
        assert_eq!(
            out, b"info line\nwarning\n",
            "a warning's batch holds what came before it"
        );
        assert_eq!(buffer.push(b"info\n", false), Pushed::Held);
        assert_eq!(
            buffer.push(&vec![b'x'; FLUSH_AT], false),
            Pushed::WriteNow,
            "a full buffer asks to be written"
        );
        buffer.write_out(&mut out);
        assert_eq!(out.len(), "info line\nwarning\ninfo\n".len() + FLUSH_AT);
        out.clear();
        buffer.write_out(&mut out);
        assert!(out.is_empty(), "a batch is written once");
    }

    #[test]
    fn a_line_is_kept_while_stderr_is_slow_to_take_the_batch_before_it() {
        let buffer = Arc::new(LogBuffer::default());
        buffer.push(b"first\n", true);
        let (began, began_rx) = mpsc::channel();
        let (resume, resume_rx) = mpsc::channel();
        let writer = {
            let buffer = buffer.clone();
            std::thread::spawn(move || {
                let mut stderr = StalledStderr {
                    began,
                    resume: resume_rx,
                    written: Vec::new(),
                };
                buffer.write_out(&mut stderr);
                stderr
            })
        };
        began_rx.recv().expect("the writer begins its write");
        // The write of the first batch is stalled; a push must not wait for it.
        let (pushed, pushed_rx) = mpsc::channel();
        {
            let buffer = buffer.clone();
            std::thread::spawn(move || pushed.send(buffer.push(b"second\n", false)));
        }
        let pushed = pushed_rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("a push does not wait for a write in progress");
        assert_eq!(pushed, Pushed::Held);
        resume.send(()).expect("the writer waits");
        let mut stderr = writer.join().expect("the writer finishes");
        assert_eq!(stderr.written, b"first\n");
        std::thread::spawn(move || {
            let _ = began_rx.recv();
            let _ = resume.send(());
        });
        buffer.write_out(&mut stderr);
        assert_eq!(stderr.written, b"first\nsecond\n", "lines keep their order");
    }

    #[test]
    fn past_the_backlog_limit_lines_are_dropped_counted_and_reported_in_place() {
        let buffer = LogBuffer::default();
        let line = vec![b'x'; 1023]
            .into_iter()
            .chain([b'\n'])
            .collect::<Vec<_>>();
        let fit = BACKLOG_LIMIT / line.len();
        for _ in 0..fit {
            assert_ne!(buffer.push(&line, false), Pushed::Dropped);
        }
        for _ in 0..3 {
            assert_eq!(buffer.push(&line, false), Pushed::Dropped);
        }
        assert_eq!(
            buffer.push(b"warning\n", true),
            Pushed::Dropped,
            "an urgent line past the limit is dropped too: memory stays bounded"
        );
        let mut out = Vec::new();
        buffer.write_out(&mut out);
        let text = String::from_utf8(out).expect("ASCII");
        assert_eq!(text.lines().count(), fit + 1);
        assert_eq!(
            text.lines().last(),
            Some(
                "mcpmux: 4 log line(s) dropped: stderr took text more slowly than the gateway wrote it"
            ),
            "the report follows the last line kept, where the gap is"
        );
        assert_eq!(buffer.push(b"after\n", false), Pushed::Held);
        let mut out = Vec::new();
        buffer.write_out(&mut out);
        assert_eq!(out, b"after\n", "the count starts again from zero");
    }

    #[test]
    fn an_exit_waits_for_a_stalled_stderr_only_so_long() {
        let buffer: &'static LogBuffer = Box::leak(Box::default());
        buffer.push(b"last line\n", false);
        let (began, began_rx) = mpsc::channel();
        let (resume, resume_rx) = mpsc::channel();
        let finished = within(std::time::Duration::from_millis(100), move || {
            let mut stderr = StalledStderr {
                began,
                resume: resume_rx,
                written: Vec::new(),
            };
            buffer.write_out(&mut stderr);
        });
        assert!(!finished, "a write that never ends is given up on");
        began_rx.recv().expect("the write had begun");
        resume.send(()).expect("the abandoned writer still waits");
        let finished = within(std::time::Duration::from_secs(60), || {});
        assert!(finished, "work that ends in time is waited for");
    }

    #[test]
    fn the_panic_hooks_write_gives_way_to_a_held_lock() {
        let buffer = LogBuffer::default();
        buffer.push(b"line\n", false);
        let mut out = Vec::new();
        {
            let _held = buffer.pending.lock().expect("not poisoned");
            buffer.try_write_out(&mut out);
        }
        assert!(out.is_empty(), "nothing written while a lock is held");
        buffer.try_write_out(&mut out);
        assert_eq!(out, b"line\n");
    }
}
