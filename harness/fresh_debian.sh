#!/usr/bin/env bash
# fresh_debian.sh SUITE [DIR]
# The quick start on a fresh Debian: debootstraps a minimal SUITE (bookworm, trixie) with git,
# sudo and certificates into DIR (default /var/tmp/athil-fresh-SUITE), clones this checkout into
# it, and runs the README's two commands there as a new user would, without ../shared:
#   harness/setup.sh run && harness/setup.sh test
# Needs root (debootstrap, chroot, mounts) and the Debian mirror this machine's apt uses; takes
# 20-40 minutes. Not part of CI: run it before changing what setup.sh installs or how it builds.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
suite=$1
dir=${2:-/var/tmp/athil-fresh-$suite}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mirror=${ATHIL_DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ ! -x "$dir/usr/bin/git" ]; then
  command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap
  rm -rf "$dir"
  debootstrap --variant=minbase --include=git,sudo,ca-certificates "$suite" "$dir" "$mirror" >"$dir.debootstrap.log" 2>&1 ||
    { tail -n 30 "$dir.debootstrap.log" >&2; exit 1; }
fi
# Packages install in the chroot without starting their daemons (ser2net, mosquitto) on this machine.
printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
chmod +x "$dir/usr/sbin/policy-rc.d"

mounts=()
cleanup() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
mount_in() { mount "$@" && mounts+=("${!#}"); }
mount_in -t proc proc "$dir/proc"
mount_in -t sysfs sys "$dir/sys"
mount_in --bind /dev "$dir/dev"
mount_in --bind /dev/pts "$dir/dev/pts"
mount_in -t tmpfs tmp "$dir/tmp"

rm -rf "$dir/root/athil"
git clone -q "$root" "$dir/root/athil"
start=$SECONDS
set +e
chroot "$dir" /usr/bin/env -i HOME=/root TERM=dumb PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  bash -c 'cd /root/athil && harness/setup.sh run && harness/setup.sh test' 2>&1 | tee "$dir.log" | grep -E '^(run |[0-9]+ passed|[0-9]+% tests|setup:|The following tests FAILED|.*Failed)'
rc=${PIPESTATUS[0]}
set -e
echo "fresh $suite: the quick start exited $rc after $((SECONDS - start)) s (log: $dir.log)"
exit "$rc"
