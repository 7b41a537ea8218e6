//! What a collector is: one source of samples read once per tick, the tick it reads at, and
//! the error that marks its source degraded.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::model::Sample;

/// Why a source could not be read in a tick.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("unexpected content in {path}: {detail}")]
    Parse { path: PathBuf, detail: String },
    /// A remote source (the Supervisor) failed; samples it still had may have been kept.
    #[error("{0}")]
    Remote(String),
}

/// The moment of one tick, injected so rates can be tested without sleeping.
#[derive(Debug, Clone, Copy)]
pub struct Tick {
    pub now: Instant,
}

impl Tick {
    /// The current instant.
    pub fn now() -> Self {
        Tick {
            now: Instant::now(),
        }
    }

    /// A tick `seconds` after this one (tests).
    pub fn later(&self, seconds: f64) -> Self {
        Tick {
            now: self.now + Duration::from_secs_f64(seconds),
        }
    }
}

/// One source of samples, read once per tick.
pub trait Collector: Send {
    /// Short name of the source (`cpu`, `disk`, …), shown in health reports.
    fn source(&self) -> &'static str;
    /// Appends this tick's samples to `out`.
    fn collect(&mut self, tick: &Tick, out: &mut Vec<Sample>) -> Result<(), CollectError>;
}
