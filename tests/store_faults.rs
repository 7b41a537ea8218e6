//! Storage faults on a real SQLite file: SQLite's own size limit (`max_page_count`) makes writes
//! fail with SQLITE_FULL; the writer keeps the ticks, says so, and writes them once room returns.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use common::history::{BASE, metas, page_count, tick, ticks_on_disk};
use resource_manager::store::{InjectedFault, Store, StoreOptions};

const UNLIMITED: u64 = 1 << 30;

#[tokio::test]
async fn a_full_database_keeps_the_ticks_and_writes_them_once_room_returns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("h.db");
    let limit = Arc::new(AtomicU64::new(UNLIMITED));
    let store = Store::open_with(
        &path,
        StoreOptions {
            page_limit: Some(limit.clone()),
            ..StoreOptions::default()
        },
    )
    .await
    .expect("open");
    let series = metas(60);
    let mut ts = BASE;
    let mut expected = Vec::new();
    let push = |store: &Store, n: usize, ts: &mut i64, expected: &mut Vec<i64>| {
        for _ in 0..n {
            store.enqueue(tick(*ts, &series));
            expected.push(*ts);
            *ts += 1000;
        }
    };
    push(&store, 50, &mut ts, &mut expected);
    store.flush().await.expect("a write with room succeeds");
    assert_eq!(store.write_status().flushes, 1);

    limit.store(page_count(&path).await, Ordering::Relaxed);
    for _ in 0..4 {
        push(&store, 200, &mut ts, &mut expected);
        let _ = store.flush().await;
    }
    let status = store.write_status();
    eprintln!("{status:?}");
    assert_eq!(status.flushes, 1, "no commit can have happened while full");
    assert!(status.flush_errors >= 1);

    limit.store(UNLIMITED, Ordering::Relaxed);
    push(&store, 10, &mut ts, &mut expected);
    store.flush().await.expect("a write with room succeeds");
    let status = store.write_status();
    eprintln!("{status:?}");
    assert_eq!(store.pending_ticks(), 0);
    assert_eq!(ticks_on_disk(&path).await, expected);
    store.close().await;
    assert_eq!(ticks_on_disk(&path).await, expected);
}

mod random_faults {
    use super::*;
    use proptest::prelude::*;

    /// What goes wrong at one write.
    #[derive(Debug, Clone, Copy)]
    enum Fault {
        None,
        /// The database may not grow (SQLITE_FULL on the first new page).
        Full,
        /// SQLite ends the transaction by itself before the COMMIT.
        EndedBySqlite,
        /// A statement fails and the transaction stays open (SQLITE_BUSY does this).
        StatementFails,
    }

    /// One step: queue `ticks` new ticks, then try to write under `fault`.
    #[derive(Debug, Clone)]
    struct Step {
        ticks: usize,
        fault: Fault,
    }

    fn steps() -> impl Strategy<Value = Vec<Step>> {
        let fault = prop_oneof![
            Just(Fault::None),
            Just(Fault::Full),
            Just(Fault::EndedBySqlite),
            Just(Fault::StatementFails)
        ];
        proptest::collection::vec(
            (1usize..40, fault).prop_map(|(ticks, fault)| Step { ticks, fault }),
            1..14,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

        /// Whatever commits fail, every write reported as saved is on disk at once, and after
        /// recovery the disk holds exactly the ticks reported saved plus the backlog.
        #[test]
        fn ticks_on_disk_are_those_reported_saved_plus_the_backlog(steps in steps()) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
            rt.block_on(async {
                let dir = tempfile::tempdir().expect("tempdir");
                let path = dir.path().join("h.db");
                let limit = Arc::new(AtomicU64::new(UNLIMITED));
                let inject = Arc::new(AtomicU8::new(InjectedFault::None as u8));
                let store = Store::open_with(
                    &path,
                    StoreOptions { page_limit: Some(limit.clone()), inject: Some(inject.clone()), ..StoreOptions::default() },
                )
                .await
                .expect("open");
                let series = metas(40);
                let mut ts = BASE;
                let mut queued = Vec::new();
                let mut reported_saved: Vec<i64> = Vec::new();
                let mut commits = 0;
                for step in &steps {
                    for _ in 0..step.ticks {
                        store.enqueue(tick(ts, &series));
                        queued.push(ts);
                        ts += 1000;
                    }
                    let pages = match step.fault {
                        Fault::Full => page_count(&path).await,
                        _ => UNLIMITED,
                    };
                    limit.store(pages, Ordering::Relaxed);
                    let injected = match step.fault {
                        Fault::EndedBySqlite => InjectedFault::EndedBySqlite,
                        Fault::StatementFails => InjectedFault::StatementFails,
                        _ => InjectedFault::None,
                    };
                    inject.store(injected as u8, Ordering::Relaxed);
                    let outcome = store.flush().await;
                    let status = store.write_status();
                    if outcome.is_ok() {
                        commits += 1;
                        reported_saved = queued.clone();
                        assert_eq!(store.pending_ticks(), 0);
                        assert!(status.failure.is_none());
                    } else {
                        assert_eq!(store.pending_ticks(), queued.len() - reported_saved.len());
                        assert!(status.failure.is_some(), "a failed write is reported");
                    }
                    assert_eq!(status.flushes, commits, "flushes count real commits only");
                    assert_eq!(status.saved_until_ms, reported_saved.last().copied());
                    assert_eq!(ticks_on_disk(&path).await, reported_saved, "what is reported saved is on disk, nothing more");
                }
                limit.store(UNLIMITED, Ordering::Relaxed);
                inject.store(InjectedFault::None as u8, Ordering::Relaxed);
                if store.flush().await.is_err() {
                    panic!("writes succeed once the fault is gone: {:?}", store.write_status());
                }
                assert!(store.write_status().failure.is_none());
                store.close().await;
                assert_eq!(ticks_on_disk(&path).await, queued);
            });
        }
    }
}
