//! What the server says about itself and its host: the build's version and the host facts read
//! once at start (the status, Diagnostics, the report and `/metrics` all show them).

use serde::Serialize;

/// Version of this build.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Static facts about the host, read once at start.
#[derive(Debug, Clone, Serialize)]
pub struct HostInfo {
    pub os: String,
    pub kernel: String,
    pub arch: String,
    pub cpu_model: String,
    pub cores: usize,
}

impl HostInfo {
    /// Reads the host facts (sysinfo's static queries are cheap).
    pub fn read() -> Self {
        let system = sysinfo::System::new_with_specifics(
            sysinfo::RefreshKind::nothing().with_cpu(sysinfo::CpuRefreshKind::nothing()),
        );
        let (cpu_model, cores) = match &system {
            Ok(system) => (
                system
                    .cpus()
                    .first()
                    .map(|c| c.brand().trim().to_string())
                    .unwrap_or_default(),
                system.cpus().len(),
            ),
            Err(_) => (String::new(), 0),
        };
        HostInfo {
            os: sysinfo::System::long_os_version().unwrap_or_else(|_| "unknown".into()),
            kernel: sysinfo::System::kernel_version().unwrap_or_else(|_| "unknown".into()),
            arch: std::env::consts::ARCH.to_string(),
            cpu_model,
            cores,
        }
    }
}
