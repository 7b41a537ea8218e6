#!/usr/bin/env bash
# container.sh - what Docker does inside a new add-on container before the entrypoint runs,
# for the add-on rehearsal (scripts/addon-rehearsal.sh). Runs as root in the add-on's own mount
# namespace (private propagation, as `unshare --mount` leaves it: nothing here reaches the host).
#
#   container.sh start HOSTS DATA_DIR HA_CONFIG CPUINFO PROFILE BINARY
#       the Supervisor's mounts, the emulated board's /proc/cpuinfo, Docker's read-only sysfs,
#       masked and read-only paths, then exec BINARY (as PID 1) with Docker's capabilities
#       (narrowed to apparmor.txt's where its profile cannot be loaded)
#   container.sh exec PROFILE COMMAND...
#       COMMAND with the container's capabilities and profile, as `docker exec` runs it
#
# PROFILE is the loaded AppArmor profile, or - where none could be loaded.
set -euo pipefail

# moby oci/defaults.go DefaultLinuxSpec: MaskedPaths and ReadonlyPaths.
MASKED=(/proc/asound /proc/acpi /proc/interrupts /proc/kcore /proc/keys /proc/latency_stats
  /proc/timer_list /proc/timer_stats /proc/sched_debug /proc/scsi /sys/firmware
  /sys/devices/virtual/powercap)
READONLY=(/proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger)
# moby oci/caps/defaults.go DefaultCapabilities; config.yaml lists no `privileged:` to add.
CAPS=chown,dac_override,fsetid,fowner,mknod,net_raw,setgid,setuid,setfcap,setpcap
CAPS+=,net_bind_service,sys_chroot,kill,audit_write

# runc libcontainer/rootfs_linux.go maskPath: /dev/null bound over a file, an empty read-only
# tmpfs over a directory; a path this kernel does not have is left alone, as runc does.
mask() {
  if [ -d "$1" ]; then
    mount -t tmpfs -o ro tmpfs "$1"
  elif [ -e "$1" ]; then
    mount --bind /dev/null "$1"
  fi
}

# runc readonlyPath: bound onto itself, then remounted read-only.
read_only() {
  [ -e "$1" ] || return 0
  mount --rbind "$1" "$1"
  mount -o remount,bind,ro "$1"
}

# Docker's default spec mounts sysfs read-only. With the container's own network namespace
# `ip netns exec` has already mounted that namespace's own sysfs here (iproute2 netns_switch);
# on the host's network a fresh sysfs would be the host's (one per network namespace), so
# this mount, remounted read-only, is the same view.
sysfs() {
  mount -o remount,bind,ro,nosuid,nodev,noexec /sys
}

# The capabilities apparmor.txt grants: its `capability x y,` rules (a bare `capability,`
# grants all), one name a line.
profile_caps() {
  local profile_file
  profile_file="$(dirname "$0")/../../apparmor.txt"
  if grep -Eq '^[[:space:]]*capability[[:space:]]*,' "$profile_file"; then
    tr ',' '\n' <<< "$CAPS"
    return
  fi
  sed -nE 's/^[[:space:]]*capability[[:space:]]+([a-z_ ]+),.*/\1/p' "$profile_file" | tr ' ' '\n' |
    grep -v '^$' || true
}

# Docker's default set, bounding and inheritable alike: root gets exactly these after exec.
# Where the profile cannot be loaded, what it does to capabilities is repeated: AppArmor lets
# a confined process use only the capabilities its profile lists, so Docker's set is narrowed
# to those (apparmor.txt lists none: the add-on must work with no capability at all).
confined() {
  local profile=$1 caps=$CAPS granted cap kept=()
  shift
  if [ "$profile" = - ]; then
    granted=$(profile_caps)
    for cap in ${CAPS//,/ }; do
      grep -qx "$cap" <<< "$granted" && kept+=("$cap")
    done
    caps=$(IFS=,; echo "${kept[*]}")
  fi
  local bounding=-all
  [ -n "$caps" ] && bounding+=",+${caps//,/,+}"
  local run=(setpriv --inh-caps=-all --bounding-set="$bounding")
  [ "$profile" = - ] || run+=(--apparmor-profile="$profile")
  exec "${run[@]}" -- "$@"
}

start() {
  local hosts=$1 data=$2 ha_config=$3 cpuinfo=$4 profile=$5 binary=$6 path
  # The Supervisor's mounts (supervisor/docker/app.py DockerApp.mounts): /data read-write,
  # config.yaml's `map: homeassistant_config:ro` at /homeassistant; /etc/hosts names the
  # Supervisor (Docker writes it from the extra hosts the Supervisor passes).
  mount --bind "$hosts" /etc/hosts
  mount --bind "$data" /data
  mount --bind -o ro "$ha_config" /homeassistant
  # The emulated board: a Raspberry Pi 4's /proc/cpuinfo, as its kernel prints it.
  mount --bind -o ro "$cpuinfo" /proc/cpuinfo
  sysfs
  for path in "${MASKED[@]}"; do mask "$path"; done
  for path in "${READONLY[@]}"; do read_only "$path"; done
  hostname resource-manager
  confined "$profile" "$binary"
}

case ${1:-} in
  start) shift; start "$@" ;;
  exec) shift; confined "$@" ;;
  *)
    echo "usage: $0 start HOSTS DATA HA_CONFIG CPUINFO PROFILE BINARY | exec PROFILE COMMAND..." >&2
    exit 2 ;;
esac
