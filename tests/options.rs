//! Option fixtures: every invalid file exits with code 2 before anything is written, printing
//! the expected message; every valid file starts the server.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/options")
        .join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixture dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
}

#[test]
fn every_invalid_options_file_exits_2_with_its_message_and_writes_nothing() {
    for file in fixtures("invalid") {
        let expected = std::fs::read_to_string(file.with_extension("expected"))
            .expect("expected message file");
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let out = Command::new(env!("CARGO_BIN_EXE_resource-manager"))
            .arg("--options")
            .arg(&file)
            .arg("--data-dir")
            .arg(&data)
            .env_remove("SUPERVISOR_TOKEN")
            .env_remove("HA_URL")
            .env_remove("HA_TOKEN")
            .output()
            .expect("run binary");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", file.display());
        let lines: Vec<&str> = stderr.lines().collect();
        for want in expected.lines().filter(|l| !l.is_empty()) {
            assert!(
                lines.iter().any(|l| l.contains(want)),
                "{}: expected '{want}' in:\n{stderr}",
                file.display()
            );
        }
        assert_eq!(
            lines.len(),
            expected.lines().filter(|l| !l.is_empty()).count(),
            "{}: one line per problem:\n{stderr}",
            file.display()
        );
        assert!(
            !data.exists(),
            "{}: nothing may be written before options are valid",
            file.display()
        );
    }
}

#[test]
fn every_valid_options_file_starts_and_stops_cleanly() {
    for file in fixtures("valid") {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().to_string_lossy().into_owned();
        let options = file.to_string_lossy().into_owned();
        let mut app = common::spawn_binary(&[
            "--options",
            &options,
            "--data-dir",
            &data,
            "--listen",
            "127.0.0.1:0",
        ]);
        assert_eq!(app.get_json("healthz")["status"], "ok", "{options}");
        app.signal("TERM");
        let status = common::wait_exit(&mut app.child, Duration::from_secs(15));
        assert!(status.success(), "{options}: {status}");
        assert!(dir.path().join("history.db").exists());
    }
}
