//! The running application: starts every part in dependency order ([`parts`]) and stops them
//! in order. Each part starts from its own `start` in its own folder, taking what it needs and
//! returning its handle; the app only orders them. Every task runs on one [`TaskTracker`] and stops
//! through one cancellation tree, both owned here: a root token with one child per shutdown
//! stage ([`shutdown`]).

mod energy;
mod error;
pub mod health;
pub mod listen;
mod parts;
mod shutdown;
mod signal;

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::bus::Bus;
use crate::config::Config;
use crate::logging::RecentLog;
use crate::store::{Store, StoreOptions};
use crate::util::Clock;
pub use error::AppError;
pub use listen::Listeners;
pub use signal::shutdown_signal;

/// Runs until `shutdown` completes, then stops collecting, writes what is buffered and closes
/// the database. Tests call this with a listener on port 0.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), AppError> {
    run_with_log(
        config,
        listener.into(),
        shutdown,
        RecentLog::default(),
        |_| {},
    )
    .await
}

/// [`run`], with the log's recent warnings (collected by `log`'s layer) shown in Diagnostics.
/// `serving` is called with the address once the history is open and requests are served.
pub async fn run_with_log(
    config: Config,
    listeners: Listeners,
    shutdown: impl Future<Output = ()> + Send + 'static,
    log: RecentLog,
    serving: impl FnOnce(SocketAddr),
) -> Result<(), AppError> {
    // The one clock of the running app; tests of the parts inject a manual one.
    let clock = Clock::system();
    let store = open_store(&config, &clock).await?;
    let wiring = Wiring {
        clock,
        store,
        bus: Bus::default(),
        tracker: TaskTracker::new(),
        root: CancellationToken::new(),
    };
    let running = match parts::start(&wiring, config, listeners, log).await {
        Ok(running) => running,
        Err(err) => {
            wiring.abandon().await;
            return Err(err);
        }
    };
    serving(running.addr);
    shutdown.await;
    running.shutdown_in_order().await
}

/// What every start step shares: the clock, the store, the event bus, and the task tracker
/// and root of the cancellation tree that own every task.
struct Wiring {
    clock: Clock,
    store: Store,
    bus: Bus,
    tracker: TaskTracker,
    root: CancellationToken,
}

impl Wiring {
    /// A start step failed: stops what already runs and closes the store.
    async fn abandon(self) {
        self.root.cancel();
        self.tracker.close();
        self.tracker.wait().await;
        self.store.close().await;
    }
}

/// Opens (and if needed creates and migrates) the history on the app's clock.
async fn open_store(config: &Config, clock: &Clock) -> Result<Store, AppError> {
    let options = StoreOptions {
        clock: clock.clone(),
        ..StoreOptions::default()
    };
    Ok(Store::open_with(&config.database_path(), options).await?)
}
