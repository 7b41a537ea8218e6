//! Remote hosts: other machines' node_exporter (or Resource Manager) `/metrics`, scraped each
//! on its own schedule ([`scrape`]) and handed to every tick by [`RemoteCollector`], like the
//! Supervisor's add-on stats: a slow or dead host never delays a tick or another host.
//!
//! Each host also gets `<host>:host.up` (1 after a good scrape, 0 after a failed one), so an
//! unreachable host is shown and alertable; its other series pause until it answers again.

mod collector;
mod host;
pub mod map;
pub mod request;
pub mod scrape;
mod start;
pub mod text;

pub use collector::RemoteCollector;
pub use host::{HostShared, HostStatus, RemoteHost, RemoteHosts};
pub use start::start;
