//! The last warnings and errors of the log, kept in memory for the Diagnostics view.
//!
//! A `tracing` layer next to the formatter: it sees the same events after filtering and keeps
//! a bounded ring of the warnings and errors, so a user can read them without the add-on log.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

use crate::util::{lock, unix_ms};

/// How many lines are kept.
pub const KEEP: usize = 50;
/// Longest message kept, in bytes.
const MAX_LINE: usize = 600;

/// One warning or error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogLine {
    pub ts_ms: i64,
    pub level: &'static str,
    pub target: String,
    pub message: String,
}

/// Handle to the ring; cheap to clone. The default keeps nothing until a layer feeds it.
#[derive(Debug, Clone, Default)]
pub struct RecentLog {
    lines: Arc<Mutex<VecDeque<LogLine>>>,
}

impl RecentLog {
    /// An empty ring.
    pub fn new() -> Self {
        Self::default()
    }

    /// The kept lines, newest first.
    pub fn lines(&self) -> Vec<LogLine> {
        lock(&self.lines).iter().rev().cloned().collect()
    }

    fn push(&self, line: LogLine) {
        let mut lines = lock(&self.lines);
        if lines.len() == KEEP {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    /// The layer that feeds this ring.
    pub fn layer(&self) -> RecentLogLayer {
        RecentLogLayer { log: self.clone() }
    }
}

/// `tracing` layer keeping WARN and ERROR events in a [`RecentLog`].
#[derive(Debug, Clone)]
pub struct RecentLogLayer {
    log: RecentLog,
}

/// Collects the message and the other fields as `key=value`.
#[derive(Default)]
struct Text {
    message: String,
    fields: String,
}

impl Visit for Text {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

impl<S: Subscriber> Layer<S> for RecentLogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let level = *event.metadata().level();
        if level > Level::WARN {
            return;
        }
        let mut text = Text::default();
        event.record(&mut text);
        let mut message = text.message;
        message.push_str(&text.fields);
        if message.len() > MAX_LINE {
            let mut cut = MAX_LINE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push('…');
        }
        self.log.push(LogLine {
            ts_ms: unix_ms(),
            level: if level == Level::ERROR {
                "error"
            } else {
                "warning"
            },
            target: event.metadata().target().to_string(),
            message,
        });
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    #[test]
    fn keeps_warnings_and_errors_newest_first_and_bounded() {
        let log = RecentLog::new();
        let subscriber = tracing_subscriber::registry().with(log.layer());
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("not kept");
            tracing::warn!(source = "disk", "first");
            for i in 0..KEEP {
                tracing::error!(n = i, "again");
            }
            tracing::warn!(error = %"boom", "last one");
        });
        let lines = log.lines();
        assert_eq!(lines.len(), KEEP);
        assert_eq!(lines[0].message, "last one error=boom");
        assert_eq!(lines[0].level, "warning");
        assert_eq!(lines[1].level, "error");
        assert!(lines.iter().all(|l| l.message != "first source=\"disk\""));
    }
}
