//! A log writer for tests: keeps what a subscriber writes, to compare formatters' lines.

use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;

use super::plain_fields::PlainFields;
use super::plain_line::PlainLine;

/// Which formatter a test writes its lines with.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Format {
    /// tracing-subscriber's default (full) format.
    Default,
    /// The default event format with [`PlainFields`].
    PlainFields,
    /// [`PlainLine`] with [`PlainFields`], as the gateway logs when stderr is not a terminal.
    PlainLine,
}

/// What `log` writes through a fmt layer in `format`, without timestamps or colours.
pub(crate) fn written(format: Format, log: impl FnOnce()) -> String {
    let captured = Captured::default();
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(captured.clone())
        .with_ansi(false)
        .without_time();
    let subscriber: Box<dyn tracing::Subscriber + Send + Sync> = match format {
        Format::Default => Box::new(tracing_subscriber::registry().with(layer)),
        Format::PlainFields => {
            Box::new(tracing_subscriber::registry().with(layer.fmt_fields(PlainFields)))
        }
        Format::PlainLine => Box::new(
            tracing_subscriber::registry().with(
                layer
                    .fmt_fields(PlainFields)
                    .event_format(PlainLine { without_time: true }),
            ),
        ),
    };
    tracing::subscriber::with_default(subscriber, log);
    captured.text()
}

/// Everything written to it (and to its clones), in order.
#[derive(Clone, Default)]
pub(crate) struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// What was written, as text.
    pub(crate) fn text(&self) -> String {
        let bytes = self.0.lock().expect("no test panics while writing").clone();
        String::from_utf8(bytes).expect("formatters write UTF-8")
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("no test panics while writing")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}
