//! "Copy Resource Status": a Markdown report for a forum post or an issue
//! (`GET /api/v1/status.md`, and the dashboard's copy button).
//!
//! The text is meant to be pasted in public, so it is built from an allow-list of facts and
//! then scrubbed: known secrets, the host name, IP addresses, URLs, e-mail addresses, network
//! host names and long token-like strings are replaced with `[redacted]`.
//!
//! The handler gathers the facts (`handler.rs`), `render.rs` writes the Markdown (the key
//! metrics table in `metrics.rs`, the analysis lines in `analysis.rs`), `redact.rs` scrubs it.

mod analysis;
mod handler;
mod metrics;
mod redact;
mod render;

pub use analysis::analysis_lines;
pub use handler::{markdown, router};
pub use redact::{REDACTED, scrub};
pub use render::{ReportInput, render};

#[cfg(test)]
mod tests;
