//! The remote writer, started: it reads ticks from the bus, stops with collection and keeps on
//! disk what it had not sent, for the next start.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{RemoteWriteStatus, RemoteWriter};
use crate::bus::Subscription;
use crate::config::RemoteWriteOptions;
use crate::util::Clock;

/// Starts sending `ticks` as the options say, buffering in `dir`, until `stop`.
pub fn start(
    tracker: &TaskTracker,
    options: RemoteWriteOptions,
    dir: PathBuf,
    clock: Clock,
    ticks: Subscription,
    stop: &CancellationToken,
) -> Result<(Arc<Mutex<RemoteWriteStatus>>, JoinHandle<()>), String> {
    let (writer, status) = RemoteWriter::new(options, dir, clock)?;
    let task = tracker.spawn(writer.run(ticks, stop.clone()));
    Ok((status, task))
}
