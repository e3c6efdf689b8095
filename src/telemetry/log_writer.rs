//! Where log lines go: stderr, through one in-process buffer written out every
//! [`FLUSH_EVERY`], when it holds [`FLUSH_AT`] bytes, and at once for warnings and errors.
//!
//! Writing each line to stderr as it is made cost a `write(2)` per proxied `tools/call` (the
//! audit line) and woke whatever reads the gateway's stderr as often; under load that was a
//! fifth of the gateway's system calls. `tracing-appender`'s non-blocking writer moves the write
//! to a thread but wakes that thread for nearly every line when it keeps up, which costs about
//! as much; batching by time keeps it at a few writes per second whatever the call rate.
//!
//! What can be lost: lines of the last [`FLUSH_EVERY`] if the process is killed with SIGKILL.
//! A normal exit, a signal the gateway handles, and a panic all flush first.

use std::io::Write;
use std::sync::{Mutex, MutexGuard, Once, OnceLock};
use std::time::Duration;

use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

/// How long a line may wait in the buffer.
pub const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// A buffer this full is written out by the line that filled it: memory stays bounded when
/// stderr is slow, and a slow stderr slows logging as it did without the buffer.
pub const FLUSH_AT: usize = 64 * 1024;

/// The process's log buffer.
fn buffer() -> &'static Mutex<Vec<u8>> {
    static BUFFER: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    BUFFER.get_or_init(|| Mutex::new(Vec::with_capacity(FLUSH_AT)))
}

fn lock() -> MutexGuard<'static, Vec<u8>> {
    // A panic while the lock was held left at worst a partial line: keep logging.
    buffer()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Writes what the buffer holds to stderr now.
pub fn flush() {
    write_out(&mut lock());
}

fn write_out(buffered: &mut Vec<u8>) {
    write_to(buffered, &mut std::io::stderr().lock());
}

fn write_to(buffered: &mut Vec<u8>, out: &mut impl Write) {
    if buffered.is_empty() {
        return;
    }
    // Nothing to do about a stderr that cannot be written: the lines are dropped, as
    // `eprintln!` would have had to.
    let _ = out.write_all(buffered);
    buffered.clear();
}

/// Adds one line to the buffer, writing the buffer out when the line is urgent or it is full.
fn append(buffered: &mut Vec<u8>, line: &[u8], urgent: bool, out: &mut impl Write) {
    buffered.extend_from_slice(line);
    if urgent || buffered.len() >= FLUSH_AT {
        write_to(buffered, out);
    }
}

/// Starts the thread that writes the buffer out every [`FLUSH_EVERY`], and flushes before a
/// panic's message is printed. Once per process.
fn start_flusher() {
    static STARTED: Once = Once::new();
    STARTED.call_once(|| {
        let spawned = std::thread::Builder::new()
            .name("mcpmux-log-flush".into())
            .spawn(|| loop {
                std::thread::sleep(FLUSH_EVERY);
                flush();
            });
        if let Err(e) = spawned {
            eprintln!("mcpmux: cannot start the log flusher ({e}); lines are written at {FLUSH_AT} bytes and at exit");
        }
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // `try_lock`: a panic on a thread that holds the buffer must not wait for itself.
            if let Ok(mut buffered) = buffer().try_lock() {
                write_out(&mut buffered);
            }
            previous(info);
        }));
    });
}

/// The `MakeWriter` of the gateway's log layer.
#[derive(Debug, Clone, Copy)]
pub struct BufferedStderr;

impl BufferedStderr {
    /// The writer, with its flusher running.
    pub fn new() -> BufferedStderr {
        start_flusher();
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

impl Line {
    fn write_line(&self, bytes: &[u8]) {
        let mut buffered = lock();
        if self.urgent || buffered.len() + bytes.len() >= FLUSH_AT {
            append(
                &mut buffered,
                bytes,
                self.urgent,
                &mut std::io::stderr().lock(),
            );
        } else {
            buffered.extend_from_slice(bytes);
        }
    }
}

impl Write for Line {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.write_line(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Adds one whole line that is not urgent (an `info` line) to the buffer, as the log layer's
/// writer would.
pub(super) fn append_line(line: &[u8]) {
    Line { urgent: false }.write_line(line);
}

impl<'a> MakeWriter<'a> for BufferedStderr {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line { urgent: false }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Line {
        // Warnings and errors are what someone reads when things go wrong: they, and
        // everything logged before them, are written at once.
        Line {
            urgent: *meta.level() <= Level::WARN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_wait_in_the_buffer_until_it_fills_or_a_warning_comes() {
        let mut buffered = Vec::new();
        let mut out = Vec::new();
        append(&mut buffered, b"info line\n", false, &mut out);
        assert!(out.is_empty());
        append(&mut buffered, b"warning\n", true, &mut out);
        assert_eq!(
            out, b"info line\nwarning\n",
            "a warning writes out what came before it"
        );
        assert!(buffered.is_empty());
        append(&mut buffered, b"info\n", false, &mut out);
        append(&mut buffered, &vec![b'x'; FLUSH_AT], false, &mut out);
        assert_eq!(out.len(), "info line\nwarning\ninfo\n".len() + FLUSH_AT);
        assert!(
            buffered.is_empty(),
            "a full buffer is written by the line that filled it"
        );
    }
}
