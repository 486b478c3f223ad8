#!/usr/bin/env bash
# The kernel lab: Debian's own kernel in QEMU (software emulation, no KVM), its root the host's
# file tree shared read-only, so the project's build runs against a real kernel's GPIO, serial
# and USB drivers. Nothing is installed on the machine and its own kernel is never touched.
#
#   lab.sh prepare CACHE             fetch this Debian release's kernel (image, headers, source)
#                                    into CACHE, build gpio-sim as a module, build the initramfs
#   lab.sh boot CACHE OUT [QEMU...]  boot, run OUT/guest.sh as root inside the guest (OUT is
#                                    shared writable at the same path), print its console on a
#                                    failure, exit with guest.sh's status
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() { sed -n '6,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 2 ] || usage
command=$1 cache=$(mkdir -p "$2" && cd "$2" && pwd)
shift 2

suite() { . /etc/os-release && echo "${VERSION_CODENAME:-bookworm}"; }
fetch() { "$here/fetch-debs.sh" "$cache/root" "$(suite)" "$@"; }
depends() { "$here/fetch-debs.sh" "$cache/root" "$(suite)" --depends "$1"; }

# The image, its headers (with their common part and kbuild) and the source of the same series.
fetch_kernel() {
  local image headers
  image=$(depends linux-image-amd64 | grep '^linux-image-' | head -n1)
  headers=$(depends linux-headers-amd64 | grep '^linux-headers-' | head -n1)
  local series=${image#linux-image-}
  series=$(echo "$series" | grep -oE '^[0-9]+\.[0-9]+')
  # shellcheck disable=SC2046
  fetch "$image" "$headers" $(depends "$headers" | grep -E '^linux-(headers|kbuild)-') "linux-source-$series"
  echo "${image#linux-image-}" >"$cache/release"
  # The headers' Makefile includes its common part by absolute path, under /usr/src.
  sed -i "s|^include /usr/src/|include $cache/root/usr/src/|" "$cache/root/usr/src/linux-headers-$(cat "$cache/release")/Makefile"
}

# Debian builds neither CONFIG_GPIO_SIM nor CONFIG_IRQ_SIM: both files of its own source, as one
# module. irq_to_desc() is not exported to modules; generic_handle_irq() does the same here.
build_gpio_sim() {
  local src=$cache/gpio-sim release
  release=$(cat "$cache/release")
  rm -rf "$src" && mkdir -p "$src"
  tar -xJf "$cache"/root/usr/src/linux-source-*.tar.* -C "$src" --strip-components=1 --wildcards \
    '*/drivers/gpio/gpio-sim.c' '*/drivers/gpio/gpiolib.h' '*/kernel/irq/irq_sim.c'
  mv "$src"/drivers/gpio/* "$src"/kernel/irq/* "$src"/
  grep -q 'handle_simple_irq(irq_to_desc(irqnum))' "$src/irq_sim.c" || { echo "lab: irq_sim.c changed: review the patch" >&2; exit 1; }
  sed -i 's/handle_simple_irq(irq_to_desc(irqnum))/generic_handle_irq(irqnum)/' "$src/irq_sim.c"
  printf 'obj-m := gpio_sim_lab.o\ngpio_sim_lab-y := gpio-sim.o irq_sim.o\n' >"$src/Kbuild"
  # No BTF for it: that needs pahole and the kernel's vmlinux, and the lab does not use it.
  make -s -C "$cache/root/usr/src/linux-headers-$release" M="$src" CONFIG_DEBUG_INFO_BTF_MODULES= modules >"$src/build.log" 2>&1 ||
    { cat "$src/build.log" >&2; exit 1; }
  cp "$src/gpio_sim_lab.ko" "$cache/"
}

# The modules the guest needs before the host's files are there, with what they depend on,
# in load order.
module_closure() {
  local dir=$1 name file
  shift
  for name in "$@"; do
    [ -n "${seen[$name]:-}" ] && continue
    seen[$name]=1
    file=$(find "$dir" -name "$name.ko*" -o -name "${name//_/-}.ko*" | head -n1)
    if [ -z "$file" ]; then
      # Built into this kernel (another release's configuration): nothing to load.
      grep -qE "/($name|${name//_/-})\.ko" "$dir/../modules.builtin" && continue
      echo "lab: no module $name in $dir" >&2
      exit 1
    fi
    # shellcheck disable=SC2046
    module_closure "$dir" $(modinfo -F depends "$file" | tr ',' ' ')
    order+=("$file")
  done
}

build_initramfs() {
  local release dir=$cache/initramfs
  release=$(cat "$cache/release")
  rm -rf "$dir" && mkdir -p "$dir"/{bin,lib/modules,proc,sys,dev,host}
  cp /bin/busybox "$dir/bin/busybox"
  declare -gA seen=()
  order=()
  # Debian 12 ships modules in /lib/modules, Debian 13 (merged /usr) in /usr/lib/modules.
  local modules=$cache/root/lib/modules/$release
  [ -d "$modules" ] || modules=$cache/root/usr/lib/modules/$release
  module_closure "$modules/kernel" 9p 9pnet_virtio virtio_pci virtio_console overlay configfs xhci_pci ftdi_sio
  local i=0 m
  for m in "${order[@]}"; do
    i=$((i + 1))
    case "$m" in
      *.xz) xz -dc "$m" >"$dir/lib/modules/$(printf %02d $i).ko" ;;
      *.zst) zstd -qdc "$m" >"$dir/lib/modules/$(printf %02d $i).ko" ;;
      *) cp "$m" "$dir/lib/modules/$(printf %02d $i).ko" ;;
    esac
  done
  cp "$here/guest-init" "$dir/init"
  chmod +x "$dir/init"
  (cd "$dir" && find . | cpio -o -H newc --quiet | gzip -1) >"$cache/initramfs.gz"
}

prepare() {
  [ -f "$cache/initramfs.gz" ] && [ -f "$cache/gpio_sim_lab.ko" ] && [ "$cache/initramfs.gz" -nt "$here/guest-init" ] &&
    [ "$cache/initramfs.gz" -nt "$here/lab.sh" ] && return 0
  [ -f "$cache/release" ] || fetch_kernel
  [ -f "$cache/gpio_sim_lab.ko" ] || build_gpio_sim
  build_initramfs
  # The downloaded packages are unpacked; the source stays, to build the module again.
  rm -f "$cache"/root/.apt/*/archives/*.deb
}

boot() {
  local out
  out=$(realpath -m "$1")
  shift
  local release console=$out/console.log
  release=$(cat "$cache/release")
  [ -x "$out/guest.sh" ] || { echo "lab: $out/guest.sh is missing" >&2; exit 2; }
  rm -f "$out/rc"
  # -no-reboot with panic=-1: a guest that panics ends QEMU instead of looping.
  timeout --kill-after=10 "${ATHIL_LAB_TIMEOUT:-600}" qemu-system-x86_64 -machine q35 -accel tcg -cpu max -smp 2 -m 1024 \
    -nographic -no-reboot -nodefaults -serial "file:$console" \
    -kernel "$cache/root/boot/vmlinuz-$release" -initrd "$cache/initramfs.gz" \
    -append "console=ttyS0 panic=-1 quiet athil.out=$out athil.gpio_sim=$cache/gpio_sim_lab.ko" \
    -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$out,mount_tag=out,security_model=none,multidevs=remap" \
    "$@" </dev/null || true
  if [ ! -f "$out/rc" ]; then
    echo "lab: the guest ended without a result; its console ($console):" >&2
    tail -n 60 "$console" >&2
    exit 1
  fi
  local rc
  rc=$(cat "$out/rc")
  [ "$rc" = 0 ] || { echo "lab: guest.sh exited $rc; its console ($console):" >&2; tail -n 80 "$console" >&2; }
  exit "$rc"
}

case "$command" in
  prepare) prepare ;;
  boot)
    prepare
    boot "$@"
    ;;
  *) usage ;;
esac
