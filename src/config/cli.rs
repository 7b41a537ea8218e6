//! The command line, and how its flags join the options file so both go through one reader.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use serde_json::{Map, Value};

use super::problems::{OptionPath, Problems};
use super::reader::describe;

/// Command line of the binary.
#[derive(Debug, Parser, Default)]
#[command(
    name = "resource-manager",
    version,
    about = "Watches this machine's resources, keeps history in SQLite and serves it over HTTP"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options JSON file (the same format as the add-on's /data/options.json).
    #[arg(long, env = "RM_OPTIONS", value_name = "FILE")]
    pub options: Option<PathBuf>,
    /// Address to listen on (default: 127.0.0.1:8099 standalone; in the add-on, the Ingress
    /// address the Supervisor assigned).
    #[arg(long, env = "RM_LISTEN", value_name = "ADDR:PORT")]
    pub listen: Option<String>,
    /// Add-on: seconds to keep asking the Supervisor for the Ingress address (1-600, default 60).
    #[arg(long, env = "RM_SUPERVISOR_WAIT_SECONDS", value_name = "SECONDS")]
    pub supervisor_wait_seconds: Option<String>,
    /// Directory for the SQLite history (standalone mode).
    #[arg(long, env = "RM_DATA_DIR", value_name = "DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Log level: trace, debug, info, warning or error.
    #[arg(long, env = "RM_LOG_LEVEL")]
    pub log_level: Option<String>,
    /// Log format: auto (JSON in the add-on, plain lines standalone), json or plain.
    #[arg(long, env = "RM_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Seconds between two samples (1-300).
    #[arg(long, env = "RM_SAMPLE_INTERVAL_SECONDS")]
    pub sample_interval_seconds: Option<String>,
    /// Seconds between two process-list refreshes (5-3600).
    #[arg(long, env = "RM_PROCESS_INTERVAL_SECONDS")]
    pub process_interval_seconds: Option<String>,
    /// Seconds of samples buffered before one write to disk (5-3600).
    #[arg(long, env = "RM_WRITE_BATCH_SECONDS")]
    pub write_batch_seconds: Option<String>,
    /// Hours of raw samples kept (1-720).
    #[arg(long, env = "RM_RETENTION_RAW_HOURS")]
    pub retention_raw_hours: Option<String>,
    /// Days of 1-minute rollups kept (1-365).
    #[arg(long, env = "RM_RETENTION_MINUTE_DAYS")]
    pub retention_minute_days: Option<String>,
    /// Days of 1-hour rollups kept (1-3650).
    #[arg(long, env = "RM_RETENTION_HOUR_DAYS")]
    pub retention_hour_days: Option<String>,
    /// Bearer token required from clients that are not on loopback (or the Ingress proxy).
    /// Prefer the RM_API_TOKEN environment variable: a flag's value can be read by every
    /// process of the machine in /proc/<pid>/cmdline.
    #[arg(long, env = "RM_API_TOKEN", hide_env_values = true)]
    pub api_token: Option<String>,
    /// Extra host names the server answers to (comma-separated), besides IP addresses,
    /// localhost and this machine's name; requests naming any other host are refused.
    #[arg(long, env = "RM_ALLOWED_HOSTS", value_name = "NAMES")]
    pub allowed_hosts: Option<String>,
}

/// Subcommands besides serving.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a consistent copy of the history for a backup (add-on `backup_pre`), or remove it.
    /// `snapshot` is its old name, still accepted.
    #[command(alias = "snapshot")]
    BackupCopy {
        /// Remove the copy instead of writing it (add-on `backup_post`).
        #[arg(long)]
        remove: bool,
    },
    /// Load history from a CSV file with the header `ts,series,value` (Unix seconds, a dotted
    /// series id, a number); a file with any bad line loads nothing.
    Import {
        /// The CSV file.
        file: PathBuf,
    },
    /// Exit 0 when the running server answers `/healthz` on loopback (the image's HEALTHCHECK).
    Healthcheck,
}

impl Cli {
    /// Lays flag values over the options file so both go through one validator.
    pub(super) fn overlay(&self, json: &mut Value, problems: &mut Problems) {
        let Some(map) = json.as_object_mut() else {
            return;
        };
        let flags: [(&[&str], &Option<String>, bool); 8] = [
            (&["log_level"], &self.log_level, false),
            (&["log_format"], &self.log_format, false),
            (
                &["sample_interval_seconds"],
                &self.sample_interval_seconds,
                true,
            ),
            (
                &["process_interval_seconds"],
                &self.process_interval_seconds,
                true,
            ),
            (&["write_batch_seconds"], &self.write_batch_seconds, true),
            (&["retention", "raw_hours"], &self.retention_raw_hours, true),
            (
                &["retention", "minute_days"],
                &self.retention_minute_days,
                true,
            ),
            (&["retention", "hour_days"], &self.retention_hour_days, true),
        ];
        for (path, raw, numeric) in flags {
            if let Some(raw) = raw {
                set(map, path, flag_value(raw, numeric), problems);
            }
        }
    }
}

/// A flag's text as the JSON value the options file would hold: numbers stay text when they
/// do not parse, so the reader reports them like a bad file value.
fn flag_value(raw: &str, numeric: bool) -> Value {
    match raw.trim().parse::<i64>() {
        Ok(n) if numeric => Value::from(n),
        _ => Value::String(raw.to_string()),
    }
}

fn set(map: &mut Map<String, Value>, path: &[&str], value: Value, problems: &mut Problems) {
    match path {
        [key] => {
            map.insert((*key).to_string(), value);
        }
        [outer, inner] => {
            let entry = map
                .entry((*outer).to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            match entry.as_object_mut() {
                Some(obj) => {
                    obj.insert((*inner).to_string(), value);
                }
                None => problems.bad(&OptionPath::named(outer), describe(entry), "an object"),
            }
        }
        _ => {}
    }
}
