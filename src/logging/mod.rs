//! Logging: the `tracing` subscriber (`log_format`: JSON or plain lines; by default JSON in
//! the add-on and plain standalone) and the
//! ring of recent warnings that Diagnostics shows.

mod recent;

pub use recent::{LogLine, RecentLog, RecentLogLayer};

use crate::config::{Config, LogFormat, Mode};

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
    // JSON suits log shippers and keeps fields (source, error, resource_management_id)
    // machine-readable: the add-on's default, and on request standalone.
    // The recent-warnings layer sits beside the formatter and sees the same filtered events.
    let json = match config.options.log_format {
        LogFormat::Json => true,
        LogFormat::Plain => false,
        LogFormat::Auto => config.mode == Mode::Addon,
    };
    if json {
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
