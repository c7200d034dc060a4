# Read-only inspection of a ZFS pool and of the disks meant for it. POSIX sh (dash).
# Used as-is by lib/modules/disks/probe.ts (the zfsPool step's probe) and by test/fixtures/disks/record.sh, so the
# recorded fixtures are the output of exactly what the step runs. Changes nothing: lsblk, wipefs -n, zpool status,
# zpool import without a pool name (which only lists).
#
# Prints sections "@@msh-disk <what> [args]" each followed by the raw output of one command. Safe under `set -e`: a
# failing command is reported (rc=N), never fatal.

# msh_pool_probe POOL MOUNTPOINT DISK...
msh_pool_probe() {
  msh_pool=$1
  msh_mnt=$2
  shift 2
  if command -v zpool >/dev/null 2>&1; then
    echo "@@msh-disk zpool present"
    msh_rc=0
    msh_out=$(zpool status -P -L 2>&1) || msh_rc=$?
    echo "@@msh-disk zpool-status rc=$msh_rc"
    printf '%s\n' "$msh_out"
    if zpool list -H -o name "$msh_pool" >/dev/null 2>&1; then
      echo "@@msh-disk pool imported"
    else
      # Lists pools that could be imported (scans the devices); without a pool name it imports nothing.
      msh_rc=0
      msh_out=$(zpool import 2>&1) || msh_rc=$?
      echo "@@msh-disk zpool-import rc=$msh_rc"
      printf '%s\n' "$msh_out"
    fi
  else
    echo "@@msh-disk zpool absent"
  fi
  if [ -d "$msh_mnt" ]; then
    if [ -n "$(ls -A "$msh_mnt" 2>/dev/null | head -n 1)" ]; then echo "@@msh-disk mountpoint nonempty"; else echo "@@msh-disk mountpoint empty"; fi
  elif [ -e "$msh_mnt" ]; then
    echo "@@msh-disk mountpoint notdir"
  else
    echo "@@msh-disk mountpoint absent"
  fi
  for msh_disk in "$@"; do
    msh_disk_probe "$msh_disk"
  done
}

# msh_disk_probe PATH: the device behind PATH, its tree (partitions, holders, mount points) and the signatures on it
# and on each of its partitions. wipefs -n reads the device itself: it does not depend on udev as lsblk's FSTYPE does.
msh_disk_probe() {
  echo "@@msh-disk disk $1"
  if [ ! -e "$1" ]; then
    echo "@@msh-disk missing"
    ls -1 "$(dirname "$1")" 2>/dev/null
    return 0
  fi
  msh_dev=$(readlink -f "$1")
  echo "@@msh-disk device $msh_dev"
  if [ ! -b "$msh_dev" ]; then
    echo "@@msh-disk notblock"
    return 0
  fi
  msh_rc=0
  msh_out=$(lsblk -J -b -o NAME,PATH,TYPE,SIZE,FSTYPE,LABEL,PTTYPE,MOUNTPOINTS "$msh_dev" 2>&1) || msh_rc=$?
  echo "@@msh-disk lsblk rc=$msh_rc"
  printf '%s\n' "$msh_out"
  for msh_part in "$msh_dev" $(lsblk -ln -o PATH,TYPE "$msh_dev" 2>/dev/null | awk '$2 == "part" { print $1 }'); do
    msh_rc=0
    msh_out=$(wipefs -J -n "$msh_part" 2>&1) || msh_rc=$?
    echo "@@msh-disk wipefs $msh_part rc=$msh_rc"
    printf '%s\n' "$msh_out"
  done
}
