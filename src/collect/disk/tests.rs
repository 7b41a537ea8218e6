use proptest::prelude::*;

use super::diskstats::io_device_for;
use super::mounts::unescape_octal;
use super::*;
use crate::collect::{Collector, Tick};
use crate::config::SysRoot;

const MOUNTINFO: &str = "\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
23 22 0:21 / /proc rw - proc proc rw
24 22 0:5 / /dev rw - devtmpfs udev rw
30 22 8:17 /addons/data/x /data rw - ext4 /dev/sdb1 rw
31 22 8:17 /share /share rw - ext4 /dev/sdb1 rw
32 22 0:45 / /mnt/my\\040disk rw - btrfs /dev/sdc rw
33 22 0:30 / /run rw - tmpfs tmpfs rw
";

#[test]
fn keeps_real_filesystems_once_per_device() {
    let mounts = parse_mountinfo(MOUNTINFO);
    let points: Vec<&str> = mounts.iter().map(|m| m.mount_point.as_str()).collect();
    assert_eq!(points, vec!["/", "/data", "/mnt/my disk"]);
    assert_eq!(mounts[1].device, (8, 17));
}

#[test]
fn diskstats_by_device_and_name() {
    let text = "   8       1 sda1 100 0 2000 10 50 0 4000 20 0 30 30\n 259 0 nvme0n1 1 2 3\n";
    let stats = parse_diskstats(text);
    assert_eq!(stats.by_device.get(&(8, 1)), Some(&(2000, 4000)));
    assert_eq!(stats.by_name.get("sda1"), Some(&(8, 1)));
    assert!(
        !stats.by_device.contains_key(&(259, 0)),
        "short line is skipped"
    );
}

#[test]
fn btrfs_mount_finds_its_io_by_source_name() {
    let mut stats = DiskStats::default();
    stats.by_device.insert((8, 32), (1, 2));
    stats.by_name.insert("sdc-does-not-exist".into(), (8, 32));
    let mount = Mount {
        device: (0, 45),
        mount_point: "/x".into(),
        fs_type: "btrfs".into(),
        source: "/dev/sdc-does-not-exist".into(),
    };
    assert_eq!(io_device_for(&mount, &stats), Some((8, 32)));
}

#[test]
fn used_percent_matches_df() {
    let space = Space {
        total: 100,
        free: 20,
        available: 10,
    };
    assert_eq!(space.used(), 80);
    assert!((space.used_percent() - 80.0 / 90.0 * 100.0).abs() < 1e-9);
}

#[test]
fn this_machine_has_a_root_filesystem() {
    let mut collector = DiskCollector::new(&SysRoot::default());
    let mut out = Vec::new();
    collector.collect(&Tick::now(), &mut out).expect("collect");
    assert!(
        out.iter()
            .any(|s| s.series.id.ends_with(".total_bytes") && s.value > 0.0)
    );
}

proptest! {
    #[test]
    fn parsers_never_panic(text in "\\PC{0,400}") {
        let _ = parse_mountinfo(&text);
        let _ = parse_diskstats(&text);
        let _ = unescape_octal(&text);
    }
}
