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
mod stand_in;

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::bus::Bus;
use crate::config::Config;
use crate::logging::RecentLog;
use crate::store::Store;
use crate::util::Clock;
pub use error::AppError;
pub use listen::Listeners;
pub use signal::shutdown_signal;
use stand_in::History;

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
///
/// On a full disk the app runs on a stand-in history in memory and, once space returns,
/// starts again on the real one in the same process ([`stand_in`]).
pub async fn run_with_log(
    config: Config,
    listeners: Listeners,
    shutdown: impl Future<Output = ()> + Send + 'static,
    log: RecentLog,
    serving: impl FnOnce(SocketAddr),
) -> Result<(), AppError> {
    // The one clock of the running app; tests of the parts inject a manual one.
    let clock = Clock::system();
    let mut history = stand_in::open(&config, &clock).await?;
    let mut sockets = listen::Sockets::keep(listeners)?;
    let mut serving = Some(serving);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let wiring = Wiring {
            clock: clock.clone(),
            store: history.store().clone(),
            bus: Bus::default(),
            tracker: TaskTracker::new(),
            root: CancellationToken::new(),
        };
        let running =
            match parts::start(&wiring, config.clone(), sockets.again()?, log.clone()).await {
                Ok(running) => running,
                Err(err) => {
                    wiring.abandon().await;
                    return Err(err);
                }
            };
        if let Some(serving) = serving.take() {
            serving(running.addr);
        }
        if matches!(history, History::Real(_)) {
            shutdown.as_mut().await;
            return running.shutdown_in_order().await;
        }
        let real = tokio::select! {
            () = shutdown.as_mut() => return running.shutdown_in_order().await,
            real = stand_in::space_returned(&config, &clock) => real,
        };
        tracing::info!("space returned on the data disk: the history moves from memory to it");
        running.shutdown_in_order().await?;
        stand_in::move_to(history, &real, &clock).await;
        history = History::Real(real);
    }
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
