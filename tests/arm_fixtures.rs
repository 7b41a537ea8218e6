//! The real collectors on the `/proc` and `/sys` of ARM boards: a Raspberry Pi 4, a Raspberry
//! Pi 5 and an RK3566 (Home Assistant Green), as the add-on container sees them (no device
//! tree: the Supervisor masks `/sys/firmware`). `tests/fixtures/arm/README.md` says where each
//! file comes from. ARM differs from x86 in what these trees hold: no `model name` in cpuinfo,
//! temperatures from device-tree thermal zones and their hwmon twins (`cpu_thermal`,
//! `gpu_thermal`, RP1's ADC) instead of `coretemp`, no RAPL.

mod common;

use common::fixtures::copy_tree;
use std::path::{Path, PathBuf};

use resource_manager::collect::cpu::CpuCollector;
use resource_manager::collect::power::{SupervisorBoard, detect, detect_on, resolve_preset};
use resource_manager::collect::thermal::ThermalCollector;
use resource_manager::collect::{Collector, Tick};
use resource_manager::config::{Options, PowerPreset, SysRoot};
use serde_json::json;

/// What each board's fixture must read as.
struct Board {
    dir: &'static str,
    /// Busy share of the whole CPU between the two `/proc/stat` samples, and of it iowait.
    usage: f64,
    iowait: f64,
    /// Busy share of each core.
    cores: [f64; 4],
    /// Every temperature series and its value, in the collector's order.
    temperatures: &'static [(&'static str, f64)],
    /// The CPU's own sensor, which the thermal zones alone also give.
    cpu_zone: (&'static str, f64),
    /// What the device tree's model says when it can be read (outside the container).
    model: Option<(&'static str, PowerPreset)>,
}

const RPI4: Board = Board {
    dir: "rpi4",
    usage: 20.0,
    iowait: 5.0,
    cores: [40.0, 15.0, 13.0, 12.0],
    temperatures: &[("temp.cpu_thermal_temp1.celsius", 44.3)],
    cpu_zone: ("temp.cpu_thermal.celsius", 44.3),
    model: Some(("Raspberry Pi 4 Model B Rev 1.5", PowerPreset::RaspberryPi4)),
};

const RPI5: Board = Board {
    dir: "rpi5",
    usage: 30.0,
    iowait: 1.0,
    cores: [100.0, 10.0, 6.0, 4.0],
    temperatures: &[
        ("temp.cpu_thermal_temp1.celsius", 23.2),
        ("temp.nvme_composite.celsius", 17.85),
        ("temp.nvme_sensor_1.celsius", 17.85),
        ("temp.rp1_adc_temp1.celsius", 28.162),
    ],
    cpu_zone: ("temp.cpu_thermal.celsius", 23.2),
    model: Some(("Raspberry Pi 5 Model B Rev 1.0", PowerPreset::RaspberryPi5)),
};

const GREEN: Board = Board {
    dir: "green",
    usage: 25.0,
    iowait: 10.0,
    cores: [25.0, 25.0, 25.0, 25.0],
    temperatures: &[
        ("temp.cpu_thermal_temp1.celsius", 33.8),
        ("temp.gpu_thermal_temp1.celsius", 34.4),
    ],
    cpu_zone: ("temp.cpu_thermal.celsius", 33.8),
    model: None,
};

fn fixture(board: &Board) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/arm")
        .join(board.dir)
}

/// A writable copy of the board's tree (the test moves `/proc/stat` on between samples).
fn tree(board: &Board) -> (tempfile::TempDir, SysRoot) {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&fixture(board), dir.path());
    let root = SysRoot::fixture(dir.path());
    (dir, root)
}

fn collect(collector: &mut dyn Collector) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    collector.collect(&Tick::now(), &mut out).expect("collect");
    out.into_iter()
        .map(|s| (s.series.id.clone(), s.value))
        .collect()
}

fn value(samples: &[(String, f64)], id: &str) -> f64 {
    samples
        .iter()
        .find(|(s, _)| s == id)
        .map(|(_, v)| *v)
        .unwrap_or_else(|| panic!("no {id} in {samples:?}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// Processors listed in the board's `/proc/cpuinfo` (arm64 kernels print one block each, with
/// no `model name`).
fn cpuinfo_processors(board: &Board) -> usize {
    let text = std::fs::read_to_string(fixture(board).join("proc/cpuinfo")).expect("cpuinfo");
    assert!(
        !text.contains("model name"),
        "{}: an arm64 kernel prints no model name",
        board.dir
    );
    text.lines().filter(|l| l.starts_with("processor")).count()
}

fn cores_and_cpu_usage_are_read(board: &Board) {
    let (_dir, root) = tree(board);
    let mut cpu = CpuCollector::new(&root);
    assert!(
        collect(&mut cpu).is_empty(),
        "{}: one sample gives no usage",
        board.dir
    );
    std::fs::rename(root.proc.join("stat.after"), root.proc.join("stat")).expect("next sample");
    let samples = collect(&mut cpu);

    let usage = value(&samples, "cpu.usage");
    assert!(close(usage, board.usage), "{}: usage {usage}", board.dir);
    let iowait = value(&samples, "cpu.iowait");
    assert!(
        close(iowait, board.iowait),
        "{}: iowait {iowait}",
        board.dir
    );
    assert!(close(value(&samples, "cpu.steal"), 0.0));

    let cores: Vec<&(String, f64)> = samples
        .iter()
        .filter(|(id, _)| id.starts_with("cpu.core"))
        .collect();
    assert_eq!(cores.len(), cpuinfo_processors(board), "{}", board.dir);
    for (n, expected) in board.cores.iter().enumerate() {
        let got = value(&samples, &format!("cpu.core{n}.usage"));
        assert!(close(got, *expected), "{}: core {n}: {got}", board.dir);
    }
}

fn temperatures_are_found_and_plausible(board: &Board) {
    let (_dir, root) = tree(board);
    let samples = collect(&mut ThermalCollector::new(&root));
    let (max, sensors): (Vec<_>, Vec<_>) =
        samples.iter().partition(|(id, _)| id == "temp.max_celsius");
    let sensors: Vec<(&str, f64)> = sensors.iter().map(|(id, v)| (id.as_str(), *v)).collect();
    assert_eq!(sensors.len(), board.temperatures.len(), "{sensors:?}");
    for ((id, got), (want_id, want)) in sensors.iter().zip(board.temperatures) {
        assert_eq!(id, want_id, "{}", board.dir);
        assert!(close(*got, *want), "{}: {id} = {got}", board.dir);
        // Room temperature to the SoCs' critical trip points (95-110 °C).
        assert!((15.0..=110.0).contains(got), "{}: {id} = {got}", board.dir);
    }
    let hottest = board
        .temperatures
        .iter()
        .map(|t| t.1)
        .fold(f64::MIN, f64::max);
    assert_eq!(max.len(), 1);
    assert!(close(max[0].1, hottest), "{}: max {:?}", board.dir, max);
}

/// Kernels without THERMAL_HWMON (or a container without `/sys/class/hwmon`) still have the
/// device-tree zones: the CPU's temperature comes from `cpu-thermal`.
fn thermal_zones_alone_give_the_cpu_temperature(board: &Board) {
    let (_dir, root) = tree(board);
    std::fs::remove_dir_all(root.sys.join("class/hwmon")).expect("drop hwmon");
    let samples = collect(&mut ThermalCollector::new(&root));
    let (id, want) = board.cpu_zone;
    let got = value(&samples, id);
    assert!(close(got, want), "{}: {id} = {got}", board.dir);
}

/// ARM boards have no RAPL and these no hwmon power meter: watts are modelled; outside the
/// container the device tree's model picks the Raspberry Pi presets.
fn power_is_modelled_and_the_model_names_the_pi(board: &Board) {
    let (_dir, root) = tree(board);
    let options = Options::from_json(&json!({})).expect("defaults").power;
    let plan = detect(&options, &root);
    assert_eq!(plan.method, "model", "{}", board.dir);
    assert!(plan.collector.is_none());
    if let Some((model, preset)) = board.model {
        let dt = root.sys.join("firmware/devicetree/base");
        std::fs::create_dir_all(&dt).expect("mkdir");
        // The device tree's strings end in NUL.
        std::fs::write(dt.join("model"), format!("{model}\0")).expect("model");
        assert_eq!(resolve_preset(PowerPreset::Auto, &root), preset);
    }
}

#[test]
fn raspberry_pi_4_cores_and_cpu_usage_are_read_from_its_proc_stat() {
    cores_and_cpu_usage_are_read(&RPI4);
}

#[test]
fn raspberry_pi_5_cores_and_cpu_usage_are_read_from_its_proc_stat() {
    cores_and_cpu_usage_are_read(&RPI5);
}

#[test]
fn rk3566_green_cores_and_cpu_usage_are_read_from_its_proc_stat() {
    cores_and_cpu_usage_are_read(&GREEN);
}

#[test]
fn raspberry_pi_4_cpu_temperature_comes_from_cpu_thermal_and_rpi_volt_adds_none() {
    temperatures_are_found_and_plausible(&RPI4);
}

#[test]
fn raspberry_pi_5_temperatures_of_cpu_nvme_and_rp1_are_found_and_the_hottest_is_rp1() {
    temperatures_are_found_and_plausible(&RPI5);
}

#[test]
fn rk3566_green_cpu_and_gpu_temperatures_are_found() {
    temperatures_are_found_and_plausible(&GREEN);
}

#[test]
fn without_hwmon_the_device_tree_thermal_zones_give_the_cpu_temperature() {
    for board in [&RPI4, &RPI5, &GREEN] {
        thermal_zones_alone_give_the_cpu_temperature(board);
    }
}

#[test]
fn arm_boards_have_no_power_meter_so_watts_are_modelled() {
    for board in [&RPI4, &RPI5, &GREEN] {
        power_is_modelled_and_the_model_names_the_pi(board);
    }
}

/// In the add-on container `/sys/firmware` is masked, so the device tree cannot name the Pi;
/// the `Model` line of `/proc/cpuinfo`, which the Raspberry Pi kernels print (the ones Home
/// Assistant OS ships for its Pi boards), still does. Fails until `resolve_preset` in
/// `collect/power.rs` reads it after the device tree.
#[test]
fn in_the_container_the_pi_preset_comes_from_cpuinfo_as_the_device_tree_is_masked() {
    for board in [&RPI4, &RPI5] {
        let (_dir, root) = tree(board);
        let (_, preset) = board.model.expect("a Raspberry Pi");
        assert_eq!(
            resolve_preset(PowerPreset::Auto, &root),
            preset,
            "{}: /proc/cpuinfo names the board",
            board.dir
        );
    }
    let (_dir, root) = tree(&GREEN);
    assert!(!matches!(
        resolve_preset(PowerPreset::Auto, &root),
        PowerPreset::RaspberryPi4 | PowerPreset::RaspberryPi5
    ));
}

/// Green's mainline kernel prints no `Model` in `/proc/cpuinfo`, so in the container only the
/// Supervisor's board name (`green`, `/os/info`) tells it: with it, the Green preset.
#[test]
fn in_the_container_green_is_known_from_the_supervisors_board_name() {
    let (_dir, root) = tree(&GREEN);
    let options = Options::from_json(&json!({})).expect("defaults").power;
    let green = SupervisorBoard {
        os_board: Some("green".into()),
        machine: Some("green".into()),
        missing: None,
    };
    let plan = detect_on(&options, &root, &green);
    assert_eq!(plan.method, "model");
    assert_eq!(plan.model.preset, PowerPreset::Green);
    assert_eq!(plan.board.from, "os_info");
    let plan = detect(&options, &root);
    assert_eq!(
        plan.model.preset,
        PowerPreset::MiniPc,
        "without the Supervisor"
    );
}
