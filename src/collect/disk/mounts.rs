//! Which filesystems are real: `/proc/self/mountinfo` read, pseudo filesystems dropped, and a
//! device mounted several times kept once, under its first mount point.

/// Filesystems that hold no user data (skipped here and on remote hosts).
pub(crate) const PSEUDO_FILESYSTEMS: &[&str] = &[
    "autofs",
    "binfmt_misc",
    "bpf",
    "cgroup",
    "cgroup2",
    "configfs",
    "debugfs",
    "devpts",
    "devtmpfs",
    "efivarfs",
    "fusectl",
    "fuse.lxcfs",
    "fuse.gvfsd-fuse",
    "fuse.portal",
    "hugetlbfs",
    "mqueue",
    "nsfs",
    "overlay",
    "proc",
    "pstore",
    "ramfs",
    "rpc_pipefs",
    "securityfs",
    "selinuxfs",
    "squashfs",
    "sysfs",
    "tmpfs",
    "tracefs",
    "nfsd",
    "iso9660",
];

/// One line of `/proc/self/mountinfo` that we keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub device: (u32, u32),
    pub mount_point: String,
    pub fs_type: String,
    pub source: String,
}

/// Parses mountinfo, keeping real filesystems once per device.
pub fn parse_mountinfo(text: &str) -> Vec<Mount> {
    let mut mounts: Vec<Mount> = Vec::new();
    for line in text.lines() {
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let mut l = left.split(' ');
        let (Some(_id), Some(_parent), Some(device), Some(_root), Some(mount_point)) =
            (l.next(), l.next(), l.next(), l.next(), l.next())
        else {
            continue;
        };
        let mut r = right.split(' ');
        let (Some(fs_type), Some(source)) = (r.next(), r.next()) else {
            continue;
        };
        if PSEUDO_FILESYSTEMS.contains(&fs_type) {
            continue;
        }
        let Some((major, minor)) = device.split_once(':') else {
            continue;
        };
        let (Ok(major), Ok(minor)) = (major.parse(), minor.parse()) else {
            continue;
        };
        if mounts.iter().any(|m| m.device == (major, minor)) {
            continue;
        }
        mounts.push(Mount {
            device: (major, minor),
            mount_point: unescape_octal(mount_point),
            fs_type: fs_type.to_string(),
            source: unescape_octal(source),
        });
    }
    mounts
}

/// Undoes mountinfo's `\040`-style escapes (space, tab, newline, backslash).
pub(super) fn unescape_octal(text: &str) -> String {
    if !text.contains('\\') {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && let Some(digits) = bytes.get(i + 1..i + 4)
            && digits.iter().all(|d| (b'0'..=b'7').contains(d))
        {
            let value = digits
                .iter()
                .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
            if let Ok(v) = u8::try_from(value) {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
