//! Board detection on each board's real names (`tests/fixtures/boards/`, sources in its
//! README) and `/proc/cpuinfo` (`tests/fixtures/arm/`), the virtual machine, and the order of
//! the sources.

use std::path::{Path, PathBuf};

use crate::collect::power::*;
use crate::config::{PowerOptions, PowerPreset, SysRoot};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The `data` of one fixture answer.
fn data(board: &str, file: &str) -> serde_json::Value {
    let path = fixtures().join("boards").join(board).join(file);
    let text = std::fs::read_to_string(&path).expect("fixture");
    let mut body: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(body["result"], "ok", "{}", path.display());
    body["data"].take()
}

/// What the Supervisor says on `board`, as the start reads it.
fn supervisor(board: &str) -> SupervisorBoard {
    SupervisorBoard {
        os_board: data(board, "os_info.json")["board"]
            .as_str()
            .map(str::to_string),
        machine: data(board, "info.json")["machine"]
            .as_str()
            .map(str::to_string),
        missing: None,
    }
}

fn empty_root() -> (tempfile::TempDir, SysRoot) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = SysRoot::fixture(dir.path());
    (dir, root)
}

fn arm_root(board: &str) -> SysRoot {
    SysRoot::fixture(&fixtures().join("arm").join(board))
}

#[test]
fn each_home_assistant_os_board_gets_its_own_preset_from_the_supervisor() {
    let (_dir, root) = empty_root();
    let cases = [
        ("rpi3-64", PowerPreset::RaspberryPi3),
        ("rpi4-64", PowerPreset::RaspberryPi4),
        ("rpi5-64", PowerPreset::RaspberryPi5),
        ("green", PowerPreset::Green),
        ("yellow", PowerPreset::Yellow),
        ("odroid-n2", PowerPreset::OdroidN2),
        ("odroid-m1", PowerPreset::OdroidM1),
        ("odroid-c4", PowerPreset::OdroidC4),
        ("generic-x86-64", PowerPreset::MiniPc),
    ];
    for (board, preset) in cases {
        let found = detect_board(&supervisor(board), &root);
        assert_eq!(found.name.as_deref(), Some(board));
        assert_eq!(found.from, "os_info");
        assert_eq!(preset_for(PowerPreset::Auto, &found), preset, "{board}");
        let plan = detect_on(&PowerOptions::default(), &root, &supervisor(board));
        assert_eq!(plan.method, "model", "{board}");
        let (idle, max) = preset.watts().expect("figures");
        assert_eq!((plan.model.idle_watts, plan.model.max_watts), (idle, max));
        assert!(max < 10.0 || board == "generic-x86-64", "{board}: {max} W");
    }
}

#[test]
fn the_machine_names_the_board_when_os_info_does_not() {
    let (_dir, root) = empty_root();
    for (board, preset) in [
        ("rpi3-64", PowerPreset::RaspberryPi3),
        ("rpi4-64", PowerPreset::RaspberryPi4),
        ("rpi5-64", PowerPreset::RaspberryPi5),
        ("green", PowerPreset::Green),
        ("yellow", PowerPreset::Yellow),
        ("odroid-n2", PowerPreset::OdroidN2),
    ] {
        let only_machine = SupervisorBoard {
            os_board: Some("supervised".into()),
            ..supervisor(board)
        };
        let found = detect_board(&only_machine, &root);
        assert_eq!(found.from, "info_machine", "{board}");
        assert_eq!(preset_for(PowerPreset::Auto, &found), preset, "{board}");
    }
}

#[test]
fn a_virtual_machine_gets_no_estimate_unless_the_user_gives_both_figures() {
    let (_dir, root) = empty_root();
    let plan = detect_on(&PowerOptions::default(), &root, &supervisor("ova"));
    assert_eq!(plan.model.preset, PowerPreset::VirtualMachine);
    assert_eq!((plan.method, plan.modelled), ("none", false));
    assert!(plan.collector.is_none());
    let summary = plan.summary();
    assert_eq!(summary.board.as_deref(), Some("ova"));
    assert_eq!(summary.preset, "virtual_machine");
    assert!(
        summary
            .reasons
            .iter()
            .any(|r| r.contains("virtual machine")),
        "{:?}",
        summary.reasons
    );
    // The machine alone (`qemux86-64`) says the same.
    let machine_only = SupervisorBoard {
        os_board: None,
        ..supervisor("ova")
    };
    let plan = detect_on(&PowerOptions::default(), &root, &machine_only);
    assert_eq!(plan.method, "none");
    let given = PowerOptions {
        idle_watts: Some(20.0),
        max_watts: Some(60.0),
        ..PowerOptions::default()
    };
    let plan = detect_on(&given, &root, &supervisor("ova"));
    assert_eq!(plan.method, "model");
    assert_eq!((plan.model.idle_watts, plan.model.max_watts), (20.0, 60.0));
}

#[test]
fn generic_aarch64_says_nothing_and_the_cpuinfo_decides() {
    // `generic-aarch64` (machine `qemuarm-64`) runs on virtual machines and real ARM boards.
    let names = supervisor("generic-aarch64");
    assert_eq!(supervisor_kind("generic-aarch64"), None);
    assert_eq!(supervisor_kind("qemuarm-64"), None);
    let found = detect_board(&names, &arm_root("rpi4"));
    assert_eq!(found.from, "cpuinfo");
    assert_eq!(
        preset_for(PowerPreset::Auto, &found),
        PowerPreset::RaspberryPi4
    );
    let (_dir, empty) = empty_root();
    let found = detect_board(&names, &empty);
    assert_eq!(found.name.as_deref(), Some("generic-aarch64"));
    assert_eq!(preset_for(PowerPreset::Auto, &found), PowerPreset::MiniPc);
    let plan = detect_on(&PowerOptions::default(), &empty, &names);
    assert!(
        plan.reasons
            .iter()
            .any(|r| r.starts_with("no preset for generic-aarch64")),
        "{:?}",
        plan.reasons
    );
    let machine_only = SupervisorBoard {
        os_board: None,
        machine: Some("khadas-vim3".into()),
        missing: None,
    };
    let found = detect_board(&machine_only, &empty);
    assert_eq!(
        (found.name.as_deref(), found.from),
        (Some("khadas-vim3"), "info_machine")
    );
}

#[test]
fn without_the_supervisor_the_cpuinfo_of_a_pi_names_it_and_the_status_says_why() {
    for (board, preset) in [
        ("rpi4", PowerPreset::RaspberryPi4),
        ("rpi5", PowerPreset::RaspberryPi5),
    ] {
        let down = SupervisorBoard {
            missing: Some("/os/info: cannot reach the Supervisor".into()),
            ..SupervisorBoard::default()
        };
        let plan = detect_on(&PowerOptions::default(), &arm_root(board), &down);
        assert_eq!(plan.board.from, "cpuinfo", "{board}");
        assert_eq!(plan.model.preset, preset);
        assert_eq!(plan.method, "model");
        let reasons = plan.summary().reasons.join("\n");
        assert!(
            reasons.contains("board not from the Supervisor"),
            "{reasons}"
        );
        assert!(reasons.contains("no device tree"), "{reasons}");
    }
    // Green's mainline kernel prints no `Model`: without the Supervisor it is not known.
    let found = detect_board(&SupervisorBoard::default(), &arm_root("green"));
    assert_eq!((found.from, found.kind), ("none", None));
}

#[test]
fn the_supervisor_comes_before_the_cpuinfo_and_the_cpuinfo_before_the_device_tree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |path: &str, text: &str| {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("dir");
        std::fs::write(full, text).expect("write");
    };
    write(
        "sys/firmware/devicetree/base/model",
        "Hardkernel ODROID-N2Plus\0",
    );
    let root = SysRoot::fixture(dir.path());
    let none = SupervisorBoard::default();
    let found = detect_board(&none, &root);
    assert_eq!(found.from, "device_tree");
    assert_eq!(found.kind, Some(BoardKind::Preset(PowerPreset::OdroidN2)));
    write(
        "proc/cpuinfo",
        "processor\t: 0\nModel\t\t: Raspberry Pi 3 Model B Plus Rev 1.3\n",
    );
    let found = detect_board(&none, &root);
    assert_eq!(found.from, "cpuinfo");
    assert_eq!(
        found.kind,
        Some(BoardKind::Preset(PowerPreset::RaspberryPi3))
    );
    let found = detect_board(&supervisor("rpi5-64"), &root);
    assert_eq!(found.from, "os_info");
    assert_eq!(
        found.kind,
        Some(BoardKind::Preset(PowerPreset::RaspberryPi5))
    );
    // A pinned preset wins over every source.
    assert_eq!(
        preset_for(PowerPreset::IntelNuc, &found),
        PowerPreset::IntelNuc
    );
}

#[test]
fn docker_masks_are_named_as_the_reasons_rapl_and_the_device_tree_are_not_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    // What an add-on container on an Intel box sees: the class links, a masked target (an
    // empty tmpfs), an empty /sys/firmware.
    let sys = dir.path().join("sys");
    std::fs::create_dir_all(sys.join("devices/virtual/powercap")).expect("dir");
    std::fs::create_dir_all(sys.join("firmware")).expect("dir");
    std::fs::create_dir_all(sys.join("class/powercap")).expect("dir");
    std::os::unix::fs::symlink(
        "../../devices/virtual/powercap/intel-rapl/intel-rapl:0",
        sys.join("class/powercap/intel-rapl:0"),
    )
    .expect("link");
    let root = SysRoot::fixture(dir.path());
    let plan = detect_on(
        &PowerOptions::default(),
        &root,
        &supervisor("generic-x86-64"),
    );
    assert_eq!(plan.method, "model");
    let reasons = plan.summary().reasons;
    assert!(
        reasons.contains(&"RAPL: /sys/devices/virtual/powercap is masked by Docker".to_string()),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("no device tree: /sys/firmware is masked")),
        "{reasons:?}"
    );
}

#[test]
fn model_names_of_cpuinfo_and_device_trees_are_recognised() {
    for (model, preset) in [
        ("Raspberry Pi 3 Model B Rev 1.2", PowerPreset::RaspberryPi3),
        ("Raspberry Pi 4 Model B Rev 1.5", PowerPreset::RaspberryPi4),
        (
            "Raspberry Pi Compute Module 4 Rev 1.0",
            PowerPreset::RaspberryPi4,
        ),
        ("Raspberry Pi 5 Model B Rev 1.0", PowerPreset::RaspberryPi5),
        ("Home Assistant Green", PowerPreset::Green),
        (
            "Raspberry Pi Compute Module 4 on Home Assistant Yellow",
            PowerPreset::Yellow,
        ),
        ("Hardkernel ODROID-N2Plus", PowerPreset::OdroidN2),
        ("Hardkernel ODROID-M1", PowerPreset::OdroidM1),
        ("Hardkernel ODROID-C4", PowerPreset::OdroidC4),
    ] {
        assert_eq!(
            model_kind(model),
            Some(BoardKind::Preset(preset)),
            "{model}"
        );
    }
    assert_eq!(model_kind("QEMU Virtual Machine"), None);
}
