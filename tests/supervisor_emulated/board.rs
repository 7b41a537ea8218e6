//! The power of the board it is on, against the emulated Supervisor: an emulated Raspberry Pi 4
//! (`/os/info` and `/info` as a real one answers, its `/proc/cpuinfo`, and Docker's masks over
//! `/sys/firmware` and `/sys/devices/virtual/powercap`) gets method `model` with the Pi 4
//! preset, and the status says why RAPL and the device tree are not read.

use super::common::fixtures::copy_tree;
use std::path::Path;
use std::time::Duration;

use resource_manager::config::SysRoot;
use serde_json::Value;

use super::common::TestApp;
use super::emulator::{Fault, Role, Supervisor};

/// The Pi 4's `/proc` and `/sys` (`tests/fixtures/arm/rpi4`) as the add-on container sees
/// them: Docker's masked paths are empty directories (moby's default `MaskedPaths`).
fn masked_pi4_tree(dir: &Path) -> SysRoot {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/arm/rpi4");
    copy_tree(&fixture, dir);
    for masked in ["sys/firmware", "sys/devices/virtual/powercap"] {
        std::fs::create_dir_all(dir.join(masked)).expect("mask");
    }
    // The CPU use the model needs moves only if `/proc/stat` does: this machine's own.
    let stat = dir.join("proc/stat");
    std::fs::remove_file(&stat).expect("stat");
    std::os::unix::fs::symlink("/proc/stat", &stat).expect("link");
    SysRoot::fixture(dir)
}

async fn pi4_app(supervisor: &Supervisor) -> (tempfile::TempDir, TestApp) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = super::addon_mode_config(dir.path(), &supervisor.url);
    config.sys_root = masked_pi4_tree(&dir.path().join("root"));
    let app = TestApp::start(config).await;
    (dir, app)
}

fn reasons(power: &Value) -> String {
    power["reasons"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn an_emulated_raspberry_pi_4_is_modelled_with_the_pi_4_preset_and_says_why_nothing_is_measured()
 {
    let supervisor = Supervisor::start(Role::Manager, vec![]).await;
    supervisor.set_board("rpi4-64");
    let (_dir, app) = pi4_app(&supervisor).await;
    let status = app
        .wait_status(Duration::from_secs(10), |s| {
            s["values"]["power.watts"].is_number()
        })
        .await;
    let power = &status["power"];
    assert_eq!(power["method"], "model", "{power}");
    assert_eq!(power["preset"], "raspberry_pi_4");
    assert_eq!(power["board"], "rpi4-64");
    assert_eq!(power["board_from"], "os_info");
    assert_eq!(
        (power["idle_watts"].as_f64(), power["max_watts"].as_f64()),
        (Some(3.0), Some(6.3))
    );
    let why = reasons(power);
    assert!(
        why.contains("RAPL: /sys/devices/virtual/powercap is masked by Docker"),
        "{why}"
    );
    assert!(
        why.contains("no device tree: /sys/firmware is masked by Docker and the add-on does not declare devicetree"),
        "{why}"
    );
    let watts = status["values"]["power.watts"].as_f64().expect("watts");
    assert!((3.0..=6.3).contains(&watts), "{watts} W");
    app.stop().await;
}

#[tokio::test]
async fn an_emulated_virtual_machine_has_no_power_estimate() {
    let supervisor = Supervisor::start(Role::Manager, vec![]).await;
    supervisor.set_board("ova");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = super::addon_mode_config(dir.path(), &supervisor.url);
    let empty = dir.path().join("root");
    std::fs::create_dir_all(empty.join("proc")).expect("proc");
    std::fs::create_dir_all(empty.join("sys")).expect("sys");
    config.sys_root = SysRoot::fixture(&empty);
    let app = TestApp::start(config).await;
    let status = app
        .wait_status(Duration::from_secs(10), |s| s["power"].is_object())
        .await;
    assert_eq!(status["power"]["method"], "none", "{}", status["power"]);
    assert_eq!(status["power"]["board"], "ova");
    assert!(reasons(&status["power"]).contains("virtual machine"));
    assert!(status["values"]["power.watts"].is_null());
    app.stop().await;
}

#[tokio::test]
async fn a_supervisor_that_does_not_answer_at_start_leaves_the_board_to_the_cpuinfo_and_says_so() {
    let supervisor = Supervisor::start(Role::Manager, vec![]).await;
    supervisor.set_board("rpi4-64");
    supervisor.set_fault(Fault::Silent);
    let (_dir, app) = pi4_app(&supervisor).await;
    let status = app
        .wait_status(Duration::from_secs(15), |s| s["power"].is_object())
        .await;
    let power = &status["power"];
    assert_eq!(power["board_from"], "cpuinfo", "{power}");
    assert_eq!(power["preset"], "raspberry_pi_4");
    assert_eq!(power["method"], "model");
    assert!(
        reasons(power).contains("board not from the Supervisor"),
        "{power}"
    );
    supervisor.set_fault(Fault::None);
    app.stop().await;
}
