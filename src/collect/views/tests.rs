//! The decision rules on fixture `/proc` and `/sys` trees.

use std::os::unix::fs::symlink;
use std::path::Path;

use super::*;

const KTHREADD: &str = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 24 0\n";
const USER_PID_2: &str = "2 (sh) S 1 2 1 34816 2 4194560 180 0 0 0 0 0 0 0 20 0 1 0 5 0\n";
/// A user process that calls itself kthreadd: without the kernel-thread flag it is not one.
const FAKE_KTHREADD: &str = "2 (kthreadd) S 0 2 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 5 0\n";
const NET_DEV_HEAD: &str = "Inter-|   Receive\n face |bytes    packets\n";
const MOUNTINFO: &str = "45 43 0:21 / /proc rw,relatime - proc proc rw\n";

struct Tree {
    _dir: tempfile::TempDir,
    root: SysRoot,
}

impl Tree {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = SysRoot::fixture(dir.path());
        for d in ["proc/1/ns", "proc/self/ns", "proc/net", "sys/class/net"] {
            std::fs::create_dir_all(root.proc.parent().expect("parent").join(d)).expect("mkdir");
        }
        std::fs::write(root.proc.join("1/stat"), "1 (init) S 0 1 1 0 -1 4194560\n").expect("w");
        std::fs::write(root.proc.join("self/mountinfo"), MOUNTINFO).expect("w");
        Tree { _dir: dir, root }
    }

    fn write(&self, rel: &str, text: &str) -> &Self {
        let path = self.root.proc.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
        self
    }

    fn ns(&self, pid: &str, kind: &str, inode: u64) -> &Self {
        let link = self.root.proc.join(pid).join("ns").join(kind);
        symlink(format!("{kind}:[{inode}]"), link).expect("symlink");
        self
    }

    /// Interfaces in `net/dev`, each with its sysfs link (`None`: virtual).
    fn ifaces(&self, list: &[(&str, Option<&str>)]) -> &Self {
        let mut text = NET_DEV_HEAD.to_string();
        for (name, device) in list {
            text.push_str(&format!("  {name}: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n"));
            let target = match device {
                Some(bus) => format!("../../devices/{bus}/net/{name}"),
                None => format!("../../devices/virtual/net/{name}"),
            };
            symlink(target, self.root.sys.join("class/net").join(name)).expect("symlink");
        }
        self.write("net/dev", &text)
    }

    fn views(&self) -> Views {
        detect(&self.root)
    }
}

fn proc_of(tree: &Tree) -> &Path {
    &tree.root.proc
}

#[test]
fn the_initial_pid_namespace_inode_means_the_host_view() {
    let tree = Tree::new();
    tree.ns("1", "pid", PROC_PID_INIT_INO);
    assert_eq!(process_view(proc_of(&tree)), View::Host);
}

#[test]
fn any_other_pid_namespace_inode_means_a_container_even_if_kthreadd_is_faked() {
    let tree = Tree::new();
    tree.ns("1", "pid", 4_026_532_178).write("2/stat", KTHREADD);
    assert_eq!(process_view(proc_of(&tree)), View::Container);
}

#[test]
fn without_namespace_links_a_visible_kthreadd_means_the_host_view() {
    let tree = Tree::new();
    tree.write("2/stat", KTHREADD);
    assert_eq!(process_view(proc_of(&tree)), View::Host);
}

#[test]
fn a_user_process_in_pid_2_means_a_container() {
    let tree = Tree::new();
    tree.write("2/stat", USER_PID_2);
    assert_eq!(process_view(proc_of(&tree)), View::Container);
    let faked = Tree::new();
    faked.write("2/stat", FAKE_KTHREADD);
    assert_eq!(process_view(proc_of(&faked)), View::Container);
}

#[test]
fn no_pid_2_means_a_container_unless_hidepid_could_hide_it() {
    let tree = Tree::new();
    assert_eq!(process_view(proc_of(&tree)), View::Container);
    tree.write(
        "self/mountinfo",
        "45 43 0:21 / /proc rw,relatime - proc proc rw,hidepid=invisible\n",
    );
    assert_eq!(process_view(proc_of(&tree)), View::Unknown);
    tree.write(
        "self/mountinfo",
        "45 43 0:21 / /proc rw,relatime - proc proc rw,hidepid=0\n",
    );
    assert_eq!(process_view(proc_of(&tree)), View::Container);
}

#[test]
fn an_unreadable_tree_is_unknown_for_both_views() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = SysRoot::fixture(&dir.path().join("missing"));
    assert_eq!(
        detect(&root),
        Views {
            processes: View::Unknown,
            network: View::Unknown
        }
    );
    // /proc/1 there but no mount table: hidepid cannot be ruled out.
    let tree = Tree::new();
    std::fs::remove_file(tree.root.proc.join("self/mountinfo")).expect("rm");
    assert_eq!(process_view(proc_of(&tree)), View::Unknown);
}

#[test]
fn host_like_tree_sees_the_host_and_its_network() {
    let tree = Tree::new();
    tree.write("2/stat", KTHREADD)
        .ns("1", "net", 4_026_531_833)
        .ns("self", "net", 4_026_531_833)
        .ifaces(&[("lo", None), ("veth1", None)]);
    // The namespace comparison decides, whatever the interfaces look like.
    assert_eq!(
        tree.views(),
        Views {
            processes: View::Host,
            network: View::Host
        }
    );
}

#[test]
fn host_pids_with_an_own_network_namespace_is_the_containers_network() {
    let tree = Tree::new();
    tree.write("2/stat", KTHREADD)
        .ns("1", "net", 4_026_531_833)
        .ns("self", "net", 4_026_532_400)
        .ifaces(&[("lo", None), ("eth0", Some("pci0000:00/0000:00:03.0"))]);
    assert_eq!(tree.views().network, View::Container);
}

#[test]
fn container_like_tree_with_only_a_veth_peer_is_the_containers_view() {
    let tree = Tree::new();
    tree.ns("1", "pid", 4_026_532_178)
        .ns("1", "net", 4_026_532_401)
        .ns("self", "net", 4_026_532_401)
        .ifaces(&[("lo", None), ("eth0", None)]);
    assert_eq!(
        tree.views(),
        Views {
            processes: View::Container,
            network: View::Container
        }
    );
}

#[test]
fn own_pid_namespace_on_the_host_network_sees_physical_interfaces() {
    // `unshare --pid --fork --mount-proc`, or an add-on with host_network and Protection mode on.
    let tree = Tree::new();
    tree.ns("1", "pid", 4_026_532_178).ifaces(&[
        ("lo", None),
        ("eth0", Some("pci0000:00/0000:00:03.0/virtio2")),
    ]);
    assert_eq!(
        tree.views(),
        Views {
            processes: View::Container,
            network: View::Host
        }
    );
}

#[test]
fn only_loopback_or_no_net_dev_is_an_unknown_network() {
    let tree = Tree::new();
    assert_eq!(network_view(&tree.root, View::Container), View::Unknown);
    tree.ifaces(&[("lo", None)]);
    assert_eq!(network_view(&tree.root, View::Container), View::Unknown);
}

#[test]
fn namespace_links_parse_only_their_own_kind() {
    let tree = Tree::new();
    tree.ns("1", "pid", 7);
    assert_eq!(ns_inode(proc_of(&tree), "1", "pid"), Some(7));
    symlink("net:[9]", tree.root.proc.join("self/ns/pid")).expect("symlink");
    assert_eq!(ns_inode(proc_of(&tree), "self", "pid"), None);
}

#[test]
fn the_detector_reads_once_then_again_only_after_the_recheck_interval() {
    let tree = Tree::new();
    tree.write("2/stat", KTHREADD);
    let mut detector = ViewDetector::new(&tree.root);
    let t0 = Instant::now();
    assert_eq!(detector.current(t0).processes, View::Host);
    tree.write("2/stat", USER_PID_2);
    assert_eq!(
        detector.current(t0 + Duration::from_secs(60)).processes,
        View::Host
    );
    assert_eq!(detector.current(t0 + RECHECK).processes, View::Container);
}
