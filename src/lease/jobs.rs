//! The engine's own heavy jobs (the hourly rollup, retention) take `low` leases through the
//! same manager, so they yield to user work: a job that gets no lease at once is put off to
//! the next batch. So that history is never left unrolled for ever, a job put off for longer
//! than [`MAX_DEFER_MS`] runs without a lease (and says so in the log).

use crate::util::time::HOUR_MS;
use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::json;

use super::manager::LeaseDecision;
use super::service::LeaseService;
use crate::store::writer::{GateFuture, JobGate};
use crate::util::lock;

/// Longest a job is put off.
pub const MAX_DEFER_MS: i64 = HOUR_MS;
/// What one job asks for: half a core and a little memory, for at most ten minutes.
const CPU_CORES: f64 = 0.5;
const MEMORY_MB: u64 = 64;
const TTL_SECONDS: u64 = 600;

/// The analysis runner's regular run (its backtests are the `backtests` job).
pub const ANALYSIS_JOB: &str = "analysis";

/// Holder names of the engine's own jobs.
const ENGINE_HOLDER_PREFIX: &str = "resource_manager.";

/// Whether `holder` is one of the engine's own jobs (whose leases are not stored).
pub fn is_engine_holder(holder: &str) -> bool {
    holder.starts_with(ENGINE_HOLDER_PREFIX)
}

/// The engine's jobs as lease holders (`resource_manager.rollup`, `resource_manager.retention`).
pub struct EngineJobs {
    leases: LeaseService,
    clock: crate::util::Clock,
    /// Since when each job has been put off.
    deferred: Mutex<HashMap<&'static str, i64>>,
    /// The engine's pace: while self-scaling defers background jobs, they are put off like
    /// jobs that get no lease (and run anyway after [`MAX_DEFER_MS`]).
    pace: crate::util::PaceWatch,
}

impl EngineJobs {
    /// Jobs leasing through `leases`, timed on `clock`.
    pub fn new(leases: LeaseService, clock: crate::util::Clock) -> Self {
        EngineJobs {
            leases,
            clock,
            deferred: Mutex::new(HashMap::new()),
            pace: crate::util::PaceWatch::default(),
        }
    }

    /// Jobs that also wait while `pace` defers background jobs.
    pub fn with_pace(mut self, pace: crate::util::PaceWatch) -> Self {
        self.pace = pace;
        self
    }

    /// Puts `job` off (`None`) unless it has waited [`MAX_DEFER_MS`] already (`Some("")`:
    /// run without a lease).
    fn put_off(&self, job: &'static str, now: i64, why: &'static str) -> Option<String> {
        let since = *lock(&self.deferred).entry(job).or_insert(now);
        if now - since >= MAX_DEFER_MS {
            tracing::warn!(
                job,
                why,
                "put off for an hour; running anyway, without a lease"
            );
            lock(&self.deferred).remove(job);
            Some(String::new())
        } else {
            tracing::debug!(job, why, "put off to the next batch");
            None
        }
    }

    async fn ask(&self, job: &'static str) -> Option<String> {
        // The regular analysis works on history already in memory and stretches its own
        // cadence under self-scaling: it asks for CPU only and is not put off by the pace, so
        // a box short of memory (when its forecasts matter most) still gets them.
        let regular_analysis = job == ANALYSIS_JOB;
        let resources = if regular_analysis {
            json!({"cpu_cores": CPU_CORES})
        } else {
            json!({"cpu_cores": CPU_CORES, "memory_mb": MEMORY_MB})
        };
        let body = json!({
            "holder": format!("{ENGINE_HOLDER_PREFIX}{job}"),
            "resources": resources,
            "priority": "low",
            "ttl_seconds": TTL_SECONDS,
            "wait_seconds": 0,
        });
        let now = self.clock.now_ms();
        if self.pace.get().defer_jobs && !regular_analysis {
            return self.put_off(job, now, "self-scaling defers background jobs");
        }
        match self.leases.request_json(&body).await {
            Ok(LeaseDecision::Granted(lease)) => {
                lock(&self.deferred).remove(job);
                Some(lease.id)
            }
            Ok(_) => self.put_off(job, now, "no lease now: other work holds the resources"),
            Err(err) => {
                // The lease manager failing must not stop the history's upkeep.
                tracing::warn!(job, error = %err, "no lease decision; running without one");
                Some(String::new())
            }
        }
    }
}

impl JobGate for EngineJobs {
    fn start(&self, job: &'static str) -> GateFuture<'_, Option<String>> {
        Box::pin(self.ask(job))
    }

    fn finish(&self, permit: String) -> GateFuture<'_, ()> {
        Box::pin(async move {
            if permit.is_empty() {
                return;
            }
            if let Err(err) = self.leases.release(&permit).await {
                tracing::debug!(lease = %permit, error = %err, "engine job lease not released");
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lease::{Capacity, LeasePolicy};
    use crate::store::Store;
    use crate::util::{Emit, ManualClock};
    use std::collections::BTreeMap;
    use std::time::Duration;

    /// A lease service for one core on `clock`, with its writer running until the token.
    async fn one_core_leases(
        dir: &std::path::Path,
        clock: &ManualClock,
    ) -> (
        LeaseService,
        tokio_util::sync::CancellationToken,
        tokio::task::JoinHandle<()>,
    ) {
        let store = Store::open(&dir.join("history.db")).await.expect("store");
        let capacity = Capacity {
            cpu_milli: 1000,
            memory_total_mb: 8000,
            memory_reserve_mb: 800,
            slots: BTreeMap::new(),
            max_concurrent: 4,
            queue_limit: 10,
        };
        let policy = LeasePolicy {
            default_ttl_ms: 60_000,
            max_ttl_ms: 7_200_000,
            max_wait_ms: 600_000,
            preemption_grace_ms: None,
            ageing_step_ms: 60_000,
        };
        let (leases, writer) =
            LeaseService::open(store, clock.clock(), capacity, policy, 1.0, Emit::none())
                .await
                .expect("open");
        let stop = tokio_util::sync::CancellationToken::new();
        let writer = tokio::spawn(writer.run(stop.clone()));
        (leases, stop, writer)
    }

    #[tokio::test]
    async fn a_job_yields_to_user_work_but_not_for_more_than_an_hour() {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = ManualClock::new(1_700_000_000_000);
        let (leases, stop, writer) = one_core_leases(dir.path(), &clock).await;
        let jobs = EngineJobs::new(leases.clone(), clock.clock());

        let permit = jobs.start("rollup").await.expect("free: granted");
        assert_eq!(leases.status().leases[0].holder, "resource_manager.rollup");
        assert_eq!(leases.status().leases[0].priority, "low");
        jobs.finish(permit).await;
        assert!(leases.status().leases.is_empty(), "released when done");

        let user = json!({"holder": "user", "resources": {"cpu_cores": 1}, "ttl_seconds": 7200});
        leases.request_json(&user).await.expect("user lease");
        assert_eq!(
            jobs.start("rollup").await,
            None,
            "put off while the user holds the CPU"
        );
        clock.advance(Duration::from_secs(3600));
        assert_eq!(
            jobs.start("rollup").await,
            Some(String::new()),
            "runs after an hour anyway"
        );
        stop.cancel();
        writer.await.expect("writer");
    }

    #[tokio::test]
    async fn self_scaling_puts_jobs_off_but_not_for_more_than_an_hour() {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = ManualClock::new(1_700_000_000_000);
        let (leases, stop, writer) = one_core_leases(dir.path(), &clock).await;
        let pace = crate::util::PaceWatch::default();
        let jobs = EngineJobs::new(leases.clone(), clock.clock()).with_pace(pace.clone());
        pace.set(crate::util::Pace {
            level: 1,
            stretch: 2.0,
            defer_jobs: true,
        });
        assert_eq!(
            jobs.start("retention").await,
            None,
            "deferred while reduced"
        );
        assert!(leases.status().leases.is_empty(), "no lease asked for");
        clock.advance(Duration::from_secs(3600));
        assert_eq!(jobs.start("retention").await, Some(String::new()));
        pace.set(crate::util::Pace::default());
        let permit = jobs.start("retention").await.expect("normal again");
        assert!(!permit.is_empty(), "a real lease once normal");
        jobs.finish(permit).await;
        stop.cancel();
        writer.await.expect("writer");
    }

    #[tokio::test]
    async fn the_regular_analysis_runs_on_a_box_short_of_memory_and_while_reduced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = ManualClock::new(1_700_000_000_000);
        let (leases, stop, writer) = one_core_leases(dir.path(), &clock).await;
        let pace = crate::util::PaceWatch::default();
        let jobs = EngineJobs::new(leases.clone(), clock.clock()).with_pace(pace.clone());
        // 850 MB available, 800 reserved: no room for the 64 MB the heavy jobs ask for.
        leases.set_available_memory(850).await.expect("reading");
        assert_eq!(
            jobs.start("backtests").await,
            None,
            "backtests wait for memory"
        );
        let permit = jobs
            .start(ANALYSIS_JOB)
            .await
            .expect("the analysis asks for CPU only");
        assert!(!permit.is_empty());
        jobs.finish(permit).await;
        pace.set(crate::util::Pace {
            level: 1,
            stretch: 2.0,
            defer_jobs: true,
        });
        let permit = jobs
            .start(ANALYSIS_JOB)
            .await
            .expect("it stretches its own cadence instead");
        jobs.finish(permit).await;
        stop.cancel();
        writer.await.expect("writer");
    }
}
