//! Which views are in effect: does the `/proc` root show the host's processes or only a
//! container's, and does this process count the host's network traffic or its own namespace's?
//!
//! As a Home Assistant add-on both depend on the user (`host_pid` only takes effect with
//! Protection mode off) and on how the image is run, so the answer is read from the kernel,
//! never assumed from the mode. Pure functions over a [`SysRoot`], tested on fixture trees;
//! the engine detects at start and again every [`RECHECK`] (not per tick).
//!
//! Process view, first signal that answers wins:
//! 1. `<proc>/1/ns/pid` readable (needs root): the initial PID namespace has the fixed inode
//!    `0xEFFFFFFC` (`PROC_PID_INIT_INO`), so that inode means host, any other container.
//! 2. `<proc>/2/stat` readable: in the host's PID namespace PID 2 is always the kernel thread
//!    `kthreadd` (parent 0, `PF_KTHREAD` set); kernel threads are visible in no other PID
//!    namespace. `kthreadd` means host; anything else in PID 2 means container.
//! 3. `<proc>/2` absent while `<proc>/1` exists, and no `proc` mount hides other users'
//!    processes (`hidepid`, per `<proc>/self/mountinfo`): container.
//! 4. Otherwise unknown.
//!
//! Network view (`/proc/net/dev` always counts the reading process's own namespace):
//! 1. The process view is the host's and both `<proc>/1/ns/net` and `<proc>/self/ns/net` are
//!    readable: the same namespace as the host's init means host, another means container.
//! 2. Otherwise by the interfaces in `<proc>/net/dev`: one with a device behind it in
//!    `<sys>/class/net` (not under `devices/virtual`) means host, since a container's own
//!    namespace holds only `lo` and virtual peers; only virtual ones besides `lo` means
//!    container; only `lo`, or nothing readable, is unknown.

use std::path::Path;
use std::time::{Duration, Instant};

use super::network::{IfaceKind, classify, parse_net_dev};
use crate::config::SysRoot;
use crate::model::{View, Views};

/// How often the engine checks again (the user may turn Protection mode off and restart).
pub const RECHECK: Duration = Duration::from_secs(300);

/// Inode of the initial PID namespace, fixed by the kernel (`PROC_PID_INIT_INO`).
const PROC_PID_INIT_INO: u64 = 0xEFFF_FFFC;

/// `PF_KTHREAD` in the flags field of `/proc/PID/stat`.
const PF_KTHREAD: u64 = 0x0020_0000;

/// Both views, read now.
pub fn detect(root: &SysRoot) -> Views {
    let processes = process_view(&root.proc);
    Views {
        processes,
        network: network_view(root, processes),
    }
}

/// Whose processes `<proc>` lists (rules in the module doc).
pub fn process_view(proc: &Path) -> View {
    if let Some(inode) = ns_inode(proc, "1", "pid") {
        return if inode == PROC_PID_INIT_INO {
            View::Host
        } else {
            View::Container
        };
    }
    match std::fs::read_to_string(proc.join("2/stat")) {
        Ok(stat) => {
            if is_kthreadd(&stat) {
                View::Host
            } else {
                View::Container
            }
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            if proc.join("1/stat").exists() && hidepid_off(proc) == Some(true) {
                View::Container
            } else {
                View::Unknown
            }
        }
        Err(_) => View::Unknown,
    }
}

/// Whose traffic `<proc>/net/dev` counts, given the process view (rules in the module doc).
pub fn network_view(root: &SysRoot, processes: View) -> View {
    if processes == View::Host
        && let (Some(init), Some(own)) = (
            ns_inode(&root.proc, "1", "net"),
            ns_inode(&root.proc, "self", "net"),
        )
    {
        return if init == own {
            View::Host
        } else {
            View::Container
        };
    }
    let Ok(text) = std::fs::read_to_string(root.proc.join("net/dev")) else {
        return View::Unknown;
    };
    let kinds: Vec<IfaceKind> = parse_net_dev(&text)
        .into_iter()
        .map(|(name, _)| classify(&root.sys, name))
        .collect();
    if kinds.contains(&IfaceKind::Physical) {
        View::Host
    } else if kinds.contains(&IfaceKind::Virtual) {
        View::Container
    } else {
        View::Unknown
    }
}

/// The inode of `<proc>/<pid>/ns/<kind>` (`pid:[4026531836]`), if the link is readable.
fn ns_inode(proc: &Path, pid: &str, kind: &str) -> Option<u64> {
    let target = std::fs::read_link(proc.join(pid).join("ns").join(kind)).ok()?;
    let target = target.to_str()?;
    target
        .strip_prefix(kind)?
        .strip_prefix(":[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// Whether a `/proc/PID/stat` line is the kernel's `kthreadd`: that name, parent 0, and the
/// kernel-thread flag (which no user process can set).
fn is_kthreadd(stat: &str) -> bool {
    let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
        return false;
    };
    if open >= close || &stat[open + 1..close] != "kthreadd" {
        return false;
    }
    // After the name: state, ppid, pgrp, session, tty_nr, tpgid, flags.
    let fields: Vec<&str> = stat[close + 1..].split_ascii_whitespace().take(7).collect();
    let ppid = fields.get(1).and_then(|v| v.parse::<u64>().ok());
    let flags = fields.get(6).and_then(|v| v.parse::<u64>().ok());
    ppid == Some(0) && flags.is_some_and(|f| f & PF_KTHREAD != 0)
}

/// `Some(true)` when no `proc` mount hides other users' processes, `Some(false)` when one
/// does, `None` when the mount table cannot be read.
fn hidepid_off(proc: &Path) -> Option<bool> {
    let text = std::fs::read_to_string(proc.join("self/mountinfo")).ok()?;
    let hides = text.lines().any(|line| {
        let Some((_, after)) = line.split_once(" - ") else {
            return false;
        };
        let mut fields = after.split_ascii_whitespace();
        let fstype = fields.next();
        let super_options = fields.nth(1).unwrap_or("");
        fstype == Some("proc")
            && super_options.split(',').any(|o| {
                o.strip_prefix("hidepid=")
                    .is_some_and(|v| v != "0" && v != "off")
            })
    });
    Some(!hides)
}

/// The views, detected at start and again at most every [`RECHECK`].
pub struct ViewDetector {
    root: SysRoot,
    views: Views,
    checked: Option<Instant>,
}

impl ViewDetector {
    /// A detector over `root`; nothing is read until [`ViewDetector::current`].
    pub fn new(root: &SysRoot) -> Self {
        ViewDetector {
            root: root.clone(),
            views: Views::default(),
            checked: None,
        }
    }

    /// The views at `now`: detected again if the last check is [`RECHECK`] old. Logs changes.
    pub fn current(&mut self, now: Instant) -> Views {
        let due = self
            .checked
            .is_none_or(|at| now.saturating_duration_since(at) >= RECHECK);
        if due {
            let views = detect(&self.root);
            if self.checked.is_none() || views != self.views {
                tracing::info!(
                    processes = views.processes.as_str(),
                    network = views.network.as_str(),
                    "views in effect"
                );
            }
            self.views = views;
            self.checked = Some(now);
        }
        self.views
    }
}

#[cfg(test)]
mod tests;
