//! The labelled situations: what stress-ng runs, and what the box is short of meanwhile.
//!
//! The label is the resource the load exhausts, judged from how the load works, not from the
//! product's verdict. Where two resources run out together (stress-ng's mixed I/O does its
//! work as system calls on the page cache, so it keeps the CPU busy as much as the disk),
//! `also_right` names the second; the replay counts either as right and reports these apart.

/// One stress-ng process.
pub struct Stress {
    pub args: &'static [&'static str],
    /// Run inside a memory cgroup with this limit (the swap file on meanwhile).
    pub memory_limit_mb: Option<u64>,
}

/// One labelled situation.
pub struct Situation {
    pub name: &'static str,
    /// `none`, `cpu`, `memory` or `io`.
    pub label: &'static str,
    pub also_right: &'static [&'static str],
    /// Share of the RAM in use (percent) before the load starts, held in a tmpfs file: memory
    /// the kernel can only swap out, as on a box whose add-ons have taken most of it.
    pub fill_percent: u32,
    pub stress: &'static [Stress],
}

const fn s(args: &'static [&'static str]) -> Stress {
    Stress {
        args,
        memory_limit_mb: None,
    }
}

const fn limited(mb: u64, args: &'static [&'static str]) -> Stress {
    Stress {
        args,
        memory_limit_mb: Some(mb),
    }
}

const fn one(name: &'static str, label: &'static str, stress: &'static [Stress]) -> Situation {
    Situation {
        name,
        label,
        also_right: &[],
        fill_percent: 0,
        stress,
    }
}

const fn either(
    name: &'static str,
    label: &'static str,
    also_right: &'static [&'static str],
    stress: &'static [Stress],
) -> Situation {
    Situation {
        name,
        label,
        also_right,
        fill_percent: 0,
        stress,
    }
}

/// `situation` with `percent` of the RAM in use before its load starts.
const fn filled(percent: u32, mut situation: Situation) -> Situation {
    situation.fill_percent = percent;
    situation
}

/// The development set.
const LIST: &[Situation] = &[
    // Not short of anything.
    one("idle 1", "none", &[]),
    one("idle 2", "none", &[]),
    one("idle 3", "none", &[]),
    one("idle 4", "none", &[]),
    one(
        "one core at 20 %",
        "none",
        &[s(&["--cpu", "1", "--cpu-load", "20"])],
    ),
    one(
        "two cores at 30 %",
        "none",
        &[s(&["--cpu", "2", "--cpu-load", "30"])],
    ),
    one(
        "one core at 60 %",
        "none",
        &[s(&["--cpu", "1", "--cpu-load", "60"])],
    ),
    one(
        "timers",
        "none",
        &[s(&["--timer", "1", "--timer-freq", "1000"])],
    ),
    one(
        "2 GB held",
        "none",
        &[s(&[
            "--vm",
            "1",
            "--vm-bytes",
            "2g",
            "--vm-keep",
            "--vm-hang",
            "0",
        ])],
    ),
    filled(80, one("80 % of memory held", "none", &[])),
    filled(90, one("90 % of memory held", "none", &[])),
    one(
        "light disk writes",
        "none",
        &[s(&[
            "--hdd",
            "1",
            "--hdd-bytes",
            "8m",
            "--hdd-write-size",
            "4k",
            "--hdd-ops",
            "200",
        ])],
    ),
    one(
        "two cores at 50 %",
        "none",
        &[s(&["--cpu", "2", "--cpu-load", "50"])],
    ),
    // CPU.
    one("cpu x2", "cpu", &[s(&["--cpu", "2"])]),
    one("cpu x4", "cpu", &[s(&["--cpu", "4"])]),
    one("cpu x8", "cpu", &[s(&["--cpu", "8"])]),
    one("matrix x2", "cpu", &[s(&["--matrix", "2"])]),
    one("crypt x2", "cpu", &[s(&["--crypt", "2"])]),
    one("zlib x2", "cpu", &[s(&["--zlib", "2"])]),
    one("hash x2", "cpu", &[s(&["--hash", "2"])]),
    one("qsort x2", "cpu", &[s(&["--qsort", "2"])]),
    one("fork x4", "cpu", &[s(&["--fork", "4"])]),
    one("switch x4", "cpu", &[s(&["--switch", "4"])]),
    one(
        "cpu x2 at 95 %",
        "cpu",
        &[s(&["--cpu", "2", "--cpu-load", "95"])],
    ),
    one("vecmath x2", "cpu", &[s(&["--vecmath", "2"])]),
    one("bsearch x3", "cpu", &[s(&["--bsearch", "3"])]),
    one("loopback sockets x2", "cpu", &[s(&["--sock", "2"])]),
    // Disk I/O.
    one(
        "direct writes x1",
        "io",
        &[s(&["--hdd", "1", "--hdd-opts", "direct"])],
    ),
    one(
        "direct writes x2",
        "io",
        &[s(&["--hdd", "2", "--hdd-opts", "direct"])],
    ),
    one(
        "synced writes x1",
        "io",
        &[s(&["--hdd", "1", "--hdd-opts", "sync"])],
    ),
    one(
        "dsynced writes x2",
        "io",
        &[s(&["--hdd", "2", "--hdd-opts", "dsync"])],
    ),
    one(
        "direct random writes x4",
        "io",
        &[s(&["--hdd", "4", "--hdd-opts", "direct,wr-rnd"])],
    ),
    one(
        "fsync after each write x2",
        "io",
        &[s(&["--hdd", "2", "--hdd-opts", "fsync"])],
    ),
    one("sync_file_range x2", "io", &[s(&["--sync-file", "2"])]),
    one(
        "async I/O x2",
        "io",
        &[s(&["--aio", "2", "--aio-requests", "32"])],
    ),
    // Recorded as disk I/O; the disks moved 2.9 MB/s while the CPU was 100 % busy: the seek
    // stressor works in the page cache here.
    one(
        "random seeks x2",
        "cpu",
        &[s(&["--seek", "2", "--seek-size", "2g", "--seek-punch"])],
    ),
    either("mixed I/O x1", "io", &["cpu"], &[s(&["--iomix", "1"])]),
    either("mixed I/O x2", "io", &["cpu"], &[s(&["--iomix", "2"])]),
    either("readahead x2", "io", &["cpu"], &[s(&["--readahead", "2"])]),
    // Memory: most of the RAM in use and a working set larger than what is left (or than its
    // cgroup's limit), so the box swaps.
    filled(
        90,
        one(
            "90 % used, 1 GB thrashed in 512 MB",
            "memory",
            &[limited(512, &["--vm", "1", "--vm-bytes", "1g"])],
        ),
    ),
    filled(
        90,
        one(
            "90 % used, 2 x 600 MB in 768 MB",
            "memory",
            &[limited(768, &["--vm", "2", "--vm-bytes", "1200m"])],
        ),
    ),
    filled(
        92,
        one(
            "92 % used, 800 MB in 256 MB",
            "memory",
            &[limited(256, &["--vm", "1", "--vm-bytes", "800m"])],
        ),
    ),
    filled(
        90,
        one(
            "90 % used, walking 1 GB in 512 MB",
            "memory",
            &[limited(
                512,
                &["--vm", "1", "--vm-bytes", "1g", "--vm-method", "walk-0d"],
            )],
        ),
    ),
    filled(
        90,
        one(
            "90 % used, growing heap in 512 MB",
            "memory",
            &[limited(512, &["--bigheap", "1"])],
        ),
    ),
    filled(
        90,
        one(
            "90 % used, mmap 1 GB in 384 MB",
            "memory",
            &[limited(384, &["--mmap", "1", "--mmap-bytes", "1g"])],
        ),
    ),
    filled(
        88,
        one(
            "88 % used, random 1 GB in 512 MB",
            "memory",
            &[limited(
                512,
                &["--vm", "1", "--vm-bytes", "1g", "--vm-method", "rand-set"],
            )],
        ),
    ),
    one(
        "1 GB thrashed in 512 MB",
        "memory",
        &[limited(512, &["--vm", "1", "--vm-bytes", "1g"])],
    ),
    one(
        "2 x 700 MB in 1 GB",
        "memory",
        &[limited(1024, &["--vm", "2", "--vm-bytes", "1400m"])],
    ),
    one(
        "1.5 GB thrashed in 768 MB",
        "memory",
        &[limited(768, &["--vm", "1", "--vm-bytes", "1536m"])],
    ),
    // Two at once.
    either(
        "cpu and disk",
        "cpu",
        &["io"],
        &[
            s(&["--cpu", "2"]),
            s(&["--hdd", "1", "--hdd-opts", "direct"]),
        ],
    ),
    either(
        "disk and cpu x4",
        "io",
        &["cpu"],
        &[
            s(&["--hdd", "2", "--hdd-opts", "direct"]),
            s(&["--cpu", "4"]),
        ],
    ),
    filled(
        90,
        either(
            "memory and cpu",
            "memory",
            &["cpu"],
            &[
                limited(512, &["--vm", "1", "--vm-bytes", "1g"]),
                s(&["--cpu", "2"]),
            ],
        ),
    ),
    filled(
        90,
        either(
            "memory and disk",
            "memory",
            &["io"],
            &[
                limited(512, &["--vm", "1", "--vm-bytes", "1g"]),
                s(&["--hdd", "1", "--hdd-opts", "direct"]),
            ],
        ),
    ),
];

/// The held-out set: other stressors, sizes and limits, recorded after the diagnosis was
/// changed on what the first set taught, and scored once.
const HELD_OUT: &[Situation] = &[
    one("idle a", "none", &[]),
    one("idle b", "none", &[]),
    one(
        "one core at 40 %",
        "none",
        &[s(&["--cpu", "1", "--cpu-load", "40"])],
    ),
    one(
        "two cores at 25 %",
        "none",
        &[s(&["--cpu", "2", "--cpu-load", "25"])],
    ),
    filled(85, one("85 % of memory held", "none", &[])),
    one(
        "a few disk writes",
        "none",
        &[s(&["--hdd", "1", "--hdd-bytes", "4m", "--hdd-ops", "100"])],
    ),
    one("cpu x3", "cpu", &[s(&["--cpu", "3"])]),
    one("matrix x4", "cpu", &[s(&["--matrix", "4"])]),
    one("zlib x3", "cpu", &[s(&["--zlib", "3"])]),
    one("loopback sockets x1", "cpu", &[s(&["--sock", "1"])]),
    one(
        "fork x2 and cpu x1",
        "cpu",
        &[s(&["--fork", "2"]), s(&["--cpu", "1"])],
    ),
    one("crypt x4", "cpu", &[s(&["--crypt", "4"])]),
    one(
        "direct writes x3",
        "io",
        &[s(&["--hdd", "3", "--hdd-opts", "direct"])],
    ),
    one(
        "dsynced writes x1",
        "io",
        &[s(&["--hdd", "1", "--hdd-opts", "dsync"])],
    ),
    one(
        "direct sequential writes x2",
        "io",
        &[s(&["--hdd", "2", "--hdd-opts", "direct,wr-seq"])],
    ),
    one("readahead x1", "io", &[s(&["--readahead", "1"])]),
    one(
        "fsync after each write x1",
        "io",
        &[s(&["--hdd", "1", "--hdd-opts", "fsync"])],
    ),
    one(
        "direct random reads x2",
        "io",
        &[s(&["--hdd", "2", "--hdd-opts", "direct,rd-rnd"])],
    ),
    filled(
        90,
        one(
            "90 % used, 1.2 GB in 640 MB",
            "memory",
            &[limited(640, &["--vm", "1", "--vm-bytes", "1200m"])],
        ),
    ),
    filled(
        88,
        one(
            "88 % used, 2 x 500 MB in 512 MB",
            "memory",
            &[limited(512, &["--vm", "2", "--vm-bytes", "1g"])],
        ),
    ),
    one(
        "900 MB in 384 MB",
        "memory",
        &[limited(384, &["--vm", "1", "--vm-bytes", "900m"])],
    ),
    filled(
        90,
        one(
            "90 % used, growing heap in 768 MB",
            "memory",
            &[limited(768, &["--bigheap", "1"])],
        ),
    ),
    filled(
        91,
        one(
            "91 % used, mmap 800 MB in 256 MB",
            "memory",
            &[limited(256, &["--mmap", "1", "--mmap-bytes", "800m"])],
        ),
    ),
    one(
        "2 x 800 MB in 1 GB",
        "memory",
        &[limited(1024, &["--vm", "2", "--vm-bytes", "1600m"])],
    ),
    either(
        "cpu x3 and direct writes",
        "cpu",
        &["io"],
        &[
            s(&["--cpu", "3"]),
            s(&["--hdd", "1", "--hdd-opts", "direct"]),
        ],
    ),
    filled(
        90,
        either(
            "memory and direct writes",
            "memory",
            &["io"],
            &[
                limited(512, &["--vm", "1", "--vm-bytes", "1g"]),
                s(&["--hdd", "1", "--hdd-opts", "direct"]),
            ],
        ),
    ),
];

/// The situations of a set (`development` or `held-out`) in a fixed shuffled order (a seeded
/// shuffle, so a re-recording keeps it).
pub fn situations(set: &str) -> Option<Vec<&'static Situation>> {
    let source = match set {
        "development" => LIST,
        "held-out" => HELD_OUT,
        _ => return None,
    };
    let mut list: Vec<&Situation> = source.iter().collect();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for i in (1..list.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        list.swap(i, (state % (i as u64 + 1)) as usize);
    }
    Some(list)
}
