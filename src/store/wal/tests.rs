use std::str::FromStr;

use proptest::prelude::*;
use sqlx::ConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};

use super::*;

/// A real log from SQLite: `commits` transactions, none checkpointed, read while open.
fn real_wal(commits: usize) -> Vec<u8> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("w.db");
        let mut conn = SqliteConnectOptions::from_str("sqlite:")
            .expect("options")
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .pragma("wal_autocheckpoint", "0")
            .connect()
            .await
            .expect("connect");
        sqlx::query("CREATE TABLE t (v BLOB)")
            .execute(&mut conn)
            .await
            .expect("create");
        for i in 1..commits {
            sqlx::query("INSERT INTO t VALUES (?)")
                .bind(vec![i as u8; 700])
                .execute(&mut conn)
                .await
                .expect("insert");
        }
        std::fs::read(dir.path().join("w.db-wal")).expect("wal")
    })
}

fn frame_offsets(wal: &[u8]) -> Vec<usize> {
    let page = be32(wal, 8) as usize;
    (0..)
        .map(|i| HEADER + i * (FRAME_HEADER + page))
        .take_while(|o| o + FRAME_HEADER + page <= wal.len())
        .collect()
}

#[test]
fn an_intact_log_replays_every_commit() {
    let wal = real_wal(6);
    let report = inspect(&wal);
    assert_eq!(report.readable_commits, 6);
    assert!(!report.is_damaged(), "{report:?}");
}

#[test]
fn a_damaged_page_loses_that_commit_and_every_later_one() {
    let wal = real_wal(6);
    let offsets = frame_offsets(&wal);
    let page = be32(&wal, 8) as usize;
    let commits_before = |frame: usize| {
        offsets[..frame]
            .iter()
            .filter(|&&o| be32(&wal, o + 4) != 0)
            .count() as u64
    };
    for frame in 0..offsets.len() {
        let mut bad = wal.clone();
        bad[offsets[frame] + FRAME_HEADER + page / 2] ^= 0xff;
        let report = inspect(&bad);
        assert_eq!(report.readable_commits, commits_before(frame));
        assert_eq!(
            report.readable_commits + report.lost_commits,
            6,
            "frame {frame}: {report:?}"
        );
        assert!(report.is_damaged());
    }
}

#[test]
fn a_log_cut_short_part_way_through_a_frame_is_damage() {
    let wal = real_wal(6);
    let intact = inspect(&wal);
    assert!(!intact.truncated);
    // Cut to half, as a torn write at a power loss leaves it: not on a frame boundary.
    let half = &wal[..wal.len() / 2 + 7];
    let report = inspect(half);
    assert!(report.truncated && report.is_damaged(), "{report:?}");
    assert!(report.readable_commits < intact.readable_commits);
    // Cut exactly after a frame: nothing tells, the log simply ends earlier.
    let offsets = frame_offsets(&wal);
    let boundary = &wal[..offsets[2]];
    assert!(!inspect(boundary).truncated);
}

#[test]
fn a_damaged_header_loses_the_whole_log() {
    let mut wal = real_wal(3);
    wal[12] ^= 0x01; // checkpoint sequence: covered by the header checksum
    let report = inspect(&wal);
    assert!(report.header_damaged);
    assert_eq!(report.readable_commits, 0);
    assert_eq!(report.lost_commits, 3);
}

#[test]
fn leftover_frames_of_an_older_log_are_not_damage() {
    let wal = real_wal(4);
    let offsets = frame_offsets(&wal);
    let mut old = wal.clone();
    // The last frame as if left from an earlier log: other salts.
    let last = *offsets.last().expect("frames");
    old[last + 8] ^= 0x55;
    let report = inspect(&old);
    assert_eq!(report.readable_commits, 3);
    assert!(!report.is_damaged(), "{report:?}");
}

#[test]
fn an_empty_or_missing_log_is_fine() {
    assert!(!inspect(&[]).is_damaged());
    assert_eq!(inspect(&[0; 10]), WalReport::default());
}

proptest! {
    #[test]
    fn inspecting_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..5000)) {
        let _ = inspect(&bytes);
    }

    #[test]
    fn any_flipped_byte_of_a_committed_frame_is_seen(frame_pick in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let wal = real_wal(3);
        let offsets = frame_offsets(&wal);
        let page = be32(&wal, 8) as usize;
        let frame = frame_pick.index(offsets.len());
        let pos = at.index(FRAME_HEADER + page);
        // A changed salt on the very last frame looks like an older log's leftover.
        prop_assume!(!(frame == offsets.len() - 1 && (8..16).contains(&pos)));
        let mut bad = wal.clone();
        bad[offsets[frame] + pos] ^= flip;
        prop_assert!(inspect(&bad).is_damaged());
    }
}
