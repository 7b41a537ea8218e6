//! Which board this is, from what an add-on can see, in this order: the Supervisor's
//! `/os/info` `board`, its `/info` `machine`, the `Model` line of `/proc/cpuinfo`, the device
//! tree's `model` (hidden in the add-on container: Docker masks `/sys/firmware`).
//!
//! The names are the real ones: `board` is the `BOARD_ID` of Home Assistant OS
//! (`buildroot-external/board/*/*/meta` in home-assistant/operating-system, put into the CPE
//! of `/etc/os-release` by `buildroot-external/scripts/post-build.sh` and read back by the
//! Supervisor's `supervisor/os/manager.py` `OSManager.load`, `cpe.get_target_hardware()`;
//! `supervised` when the OS is not Home Assistant OS), served by `supervisor/api/os.py`
//! `APIOS.info`. `machine` is `BR2_PACKAGE_HASSIO_MACHINE` of each
//! `buildroot-external/configs/*_defconfig` (the keys of `supervisor/data/arch.json`), served
//! by `supervisor/api/root.py` `APIRoot.info`.

use std::path::Path;

use serde::Serialize;

use crate::config::{PowerPreset, SysRoot};

/// What the Supervisor said of the board (asked once at start; both `None` without it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SupervisorBoard {
    /// `/os/info` `board` (`rpi4-64`, `green`, `ova`, `supervised`, …).
    pub os_board: Option<String>,
    /// `/info` `machine` (`raspberrypi4-64`, `green`, `qemux86-64`, …).
    pub machine: Option<String>,
    /// Why the Supervisor did not tell (not asked, unreachable, timed out).
    pub missing: Option<String>,
}

/// What a board name stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoardKind {
    /// A box the preset describes.
    Preset(PowerPreset),
    /// A virtual machine: nothing inside a guest tells the host's power.
    Virtual,
}

/// The board found, where it was found, and what it stands for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Board {
    /// The name as its source spells it; `None` when no source named a known board.
    pub name: Option<String>,
    /// `os_info`, `info_machine`, `cpuinfo`, `device_tree` or `none`.
    pub from: &'static str,
    #[serde(skip)]
    pub kind: Option<BoardKind>,
}

/// A Supervisor board or machine name: what it stands for, if known. `generic-aarch64` (and
/// its machine `qemuarm-64`) is both a virtual machine and real ARM hardware, so it says
/// nothing; `khadas-vim3`, `odroid-c2` and `supervised` have no preset.
pub fn supervisor_kind(name: &str) -> Option<BoardKind> {
    use PowerPreset::*;
    Some(match name.trim() {
        "rpi3-64" | "rpi3" | "raspberrypi3-64" | "raspberrypi3" => BoardKind::Preset(RaspberryPi3),
        "rpi4-64" | "rpi4" | "raspberrypi4-64" | "raspberrypi4" => BoardKind::Preset(RaspberryPi4),
        "rpi5-64" | "raspberrypi5-64" => BoardKind::Preset(RaspberryPi5),
        "green" => BoardKind::Preset(Green),
        "yellow" => BoardKind::Preset(Yellow),
        "odroid-n2" => BoardKind::Preset(OdroidN2),
        // The M1S image reports machine `odroid-m1` (`odroid_m1s_defconfig`).
        "odroid-m1" | "odroid-m1s" => BoardKind::Preset(OdroidM1),
        "odroid-c4" => BoardKind::Preset(OdroidC4),
        "intel-nuc" => BoardKind::Preset(IntelNuc),
        "generic-x86-64" => BoardKind::Preset(MiniPc),
        "ova" | "qemux86-64" | "qemux86" => BoardKind::Virtual,
        _ => return None,
    })
}

/// A model name of `/proc/cpuinfo` or the device tree: what it stands for, if known. The
/// Raspberry Pi kernels print the device tree's `model` as cpuinfo's `Model`; Home Assistant
/// OS names its own boards in its device tree patches (`Raspberry Pi Compute Module 4 on Home
/// Assistant Yellow`, `buildroot-external/board/raspberrypi/yellow/patches/linux/0001-…`;
/// `Home Assistant Green`, `board/nabucasa/green/patches/linux/0001-…`), so Yellow is matched
/// before the Compute Module 4 it carries.
pub fn model_kind(model: &str) -> Option<BoardKind> {
    use PowerPreset::*;
    let preset = if model.contains("Home Assistant Yellow") {
        Yellow
    } else if model.contains("Raspberry Pi 5") || model.contains("Compute Module 5") {
        RaspberryPi5
    } else if model.contains("Raspberry Pi 4") || model.contains("Compute Module 4") {
        RaspberryPi4
    } else if model.contains("Raspberry Pi 3") {
        RaspberryPi3
    } else if model.contains("Home Assistant Green") {
        Green
    } else if model.contains("ODROID-N2") {
        OdroidN2
    } else if model.contains("ODROID-M1") {
        OdroidM1
    } else if model.contains("ODROID-C4") {
        OdroidC4
    } else {
        return None;
    };
    Some(BoardKind::Preset(preset))
}

/// The board, by the first source that names a known one ([module doc](self)).
pub fn detect_board(supervisor: &SupervisorBoard, root: &SysRoot) -> Board {
    let named = [
        (
            "os_info",
            supervisor.os_board.clone(),
            supervisor_kind as fn(&str) -> _,
        ),
        ("info_machine", supervisor.machine.clone(), supervisor_kind),
        ("cpuinfo", cpuinfo_model(&root.proc), model_kind),
        ("device_tree", device_tree_model(root), model_kind),
    ];
    for (from, name, kind) in named {
        if let Some(name) = name
            && let Some(kind) = kind(&name)
        {
            return Board {
                name: Some(name),
                from,
                kind: Some(kind),
            };
        }
    }
    // Named but unknown (`khadas-vim3`, `supervised`): say the name all the same.
    let (from, name) = match (&supervisor.os_board, &supervisor.machine) {
        (Some(board), _) => ("os_info", Some(board.clone())),
        (None, Some(machine)) => ("info_machine", Some(machine.clone())),
        (None, None) => ("none", None),
    };
    Board {
        name,
        from,
        kind: None,
    }
}

/// The value of the `Model` line of `/proc/cpuinfo` (`Raspberry Pi 4 Model B Rev 1.5`): the
/// Raspberry Pi kernels print it; mainline arm64 kernels do not.
pub fn cpuinfo_model(proc: &Path) -> Option<String> {
    let text = std::fs::read_to_string(proc.join("cpuinfo")).ok()?;
    text.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "Model").then(|| value.trim().to_string())
    })
}

/// The device tree's model, where a process outside a container reads it.
pub fn device_tree_model(root: &SysRoot) -> Option<String> {
    device_tree_paths(root)
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|m| m.trim_end_matches('\0').trim().to_string())
}

fn device_tree_paths(root: &SysRoot) -> [std::path::PathBuf; 2] {
    [
        root.sys.join("firmware/devicetree/base/model"),
        root.proc.join("device-tree/model"),
    ]
}

/// Why the device tree cannot be read here, if it cannot.
pub fn device_tree_unreadable(root: &SysRoot) -> Option<String> {
    if device_tree_model(root).is_some() {
        return None;
    }
    let firmware = root.sys.join("firmware");
    Some(if is_empty_dir(&firmware) || !firmware.exists() {
        "no device tree: /sys/firmware is masked by Docker and the add-on does not declare \
         devicetree"
            .into()
    } else {
        "no device tree: the host has none (not an ARM board)".into()
    })
}

/// An empty directory: what Docker leaves of a masked one (an empty read-only tmpfs).
pub fn is_empty_dir(path: &Path) -> bool {
    std::fs::read_dir(path).is_ok_and(|mut d| d.next().is_none())
}
