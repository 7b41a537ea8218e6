//! Logging: the `tracing` subscriber (plain lines standalone, JSON in add-on mode) and the
//! ring of recent warnings that Diagnostics shows.

mod recent;

pub use recent::{LogLine, RecentLog, RecentLogLayer};

use crate::config::{Config, Mode};

/// Installs the global subscriber at the configured level and returns the ring that keeps
/// its recent warnings. Call once, before anything logs.
pub fn init(config: &Config) -> RecentLog {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let recent_log = RecentLog::new();
    let filter = tracing_subscriber::EnvFilter::new(format!(
        "{level},sqlx=warn,hyper=warn",
        level = config.options.log_level.directive()
    ));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // The Supervisor's log viewer reads plain lines; JSON suits log shippers. Add-on mode keeps
    // one JSON object per line so fields (source, error) stay machine-readable.
    // The recent-warnings layer sits beside the formatter and sees the same filtered events.
    if config.mode == Mode::Addon {
        builder
            .json()
            .flatten_event(true)
            .finish()
            .with(recent_log.layer())
            .init();
    } else {
        builder.compact().finish().with(recent_log.layer()).init();
    }
    recent_log
}
