//! Entry point: parse and validate options (exit 2 on bad ones), set up logging, run.

use std::process::ExitCode;

use anyhow::Context;
use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};
use resource_manager::config::{Cli, Command, Config};
use resource_manager::logging::{self, RecentLog};
use resource_manager::store::Store;

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit());
    let token_on_command_line = matches.value_source("api_token") == Some(ValueSource::CommandLine);
    let env = |key: &str| std::env::var(key).ok();
    let config = match Config::load(&cli, &env) {
        Ok(config) => config,
        Err(err) => {
            for problem in &err.problems {
                eprintln!("resource-manager: {problem}");
            }
            return ExitCode::from(2);
        }
    };
    let recent_log = logging::init(&config);
    if token_on_command_line {
        tracing::warn!(
            "--api-token is readable by every process of this machine in /proc/<pid>/cmdline; set RM_API_TOKEN in the environment instead"
        );
    }
    let result = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
        .and_then(|runtime| match cli.command {
            Some(Command::BackupCopy { remove }) => runtime.block_on(backup_copy(&config, remove)),
            Some(Command::Import { ref file }) => runtime.block_on(import(&config, file)),
            Some(Command::Healthcheck) => runtime.block_on(healthcheck(&config)),
            None => runtime.block_on(serve(config, recent_log)),
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // Once: the log goes to stderr too.
            tracing::error!("resource-manager cannot run: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config, recent_log: RecentLog) -> anyhow::Result<()> {
    let listeners = resource_manager::app::listen::bind(&config).await?;
    resource_manager::app::run_with_log(
        config,
        listeners,
        resource_manager::app::shutdown_signal(),
        recent_log,
        // Printed whatever the log level, once requests are served: people and test
        // harnesses look for this line.
        |addr| {
            eprintln!(
                "resource-manager {}: serving on http://{addr}",
                env!("CARGO_PKG_VERSION")
            )
        },
    )
    .await?;
    Ok(())
}

/// `resource-manager healthcheck`: exit 0 when the server answers.
async fn healthcheck(config: &Config) -> anyhow::Result<()> {
    let addr = resource_manager::app::health::check(config).await?;
    println!("healthy: {addr}");
    Ok(())
}

/// `resource-manager backup-copy [--remove]`: the add-on's backup hooks.
async fn backup_copy(config: &Config, remove: bool) -> anyhow::Result<()> {
    let target = config
        .data_dir
        .join(resource_manager::store::BACKUP_COPY_FILE);
    if remove {
        match std::fs::remove_file(&target) {
            Ok(()) => println!("removed {}", target.display()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => {
                return Err(err).with_context(|| format!("cannot remove {}", target.display()));
            }
        }
        return Ok(());
    }
    let store = Store::open(&config.database_path()).await?;
    let written = store.write_backup_copy().await?;
    store.close().await;
    println!("wrote {}", written.display());
    Ok(())
}

/// `resource-manager import --data-dir DIR FILE`: loads a `ts,series,value` CSV.
async fn import(config: &Config, file: &std::path::Path) -> anyhow::Result<()> {
    use resource_manager::store::import::{ImportError, parse};
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let now = resource_manager::util::unix_ms();
    let rows = parse(&text, now).map_err(ImportError::BadLines)?;
    let store = Store::open(&config.database_path()).await?;
    let report = store.import(&rows).await;
    store.close().await;
    let report = report?;
    println!(
        "imported {} values of {} series from {}",
        report.rows,
        report.series,
        file.display()
    );
    Ok(())
}
