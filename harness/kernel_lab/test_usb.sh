#!/usr/bin/env bash
# test_usb.sh CACHE OUT ATHIL BRIDGE
# A USB port that the kernel removes and creates again: a virtual module on the host behaves as
# on USB (no port while off, a new one after each boot); usb_replug.py unplugs QEMU's usb-serial
# device (an FTDI adapter: ttyUSB0 through the guest's ftdi_sio) when the module's port goes and
# plugs it in on the new pty when it returns. In the guest a slot with usb="true" runs a FOTA
# upgrade through the file system and the restart commands across those re-enumerations.
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: test_usb.sh CACHE OUT ATHIL BRIDGE" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=$(realpath -m "$1") out=$(realpath -m "$2") athil=$(realpath "$3") bridge=$(realpath "$4")
source_dir=$(cd "$here/../.." && pwd)
rm -rf "$out" && mkdir -p "$out"
. "$here/host_lib.sh"

cat >"$out/rig.xml" <<RIG
<rig name="kernel-lab-usb" time-scale="0.2">
  <slot name="s1" model="SIM7080G" firmware="1951B02SIM7080G" fota-target="1951B03SIM7080G">
    <serial port="/dev/ttyUSB0" baud="115200" usb="true" reattach="60s"/>
    <gpio chip="athil-lab">
      <line role="pwrkey" offset="0" active-low="true"/>
      <line role="status" offset="1"/>
    </gpio>
  </slot>
</rig>
RIG

cat >"$out/guest.sh" <<GUEST
#!/usr/bin/env bash
set -euo pipefail
cd "$out"
. "$here/guest_lib.sh"
sim_dir=\$(make_chip athil-lab 4)
start_bridge "$bridge" rig.xml s1 "\$sim_dir" "$out" "\$(virtio_port s1.pins)" "\$(virtio_port s1.ask)"
set +e
(cd "$source_dir" && "$athil" run --rig "$out/rig.xml" --junit "$out/reports/junit.xml" scenarios/fota/fs-upgrade.xml scenarios/power/restart-commands.xml) >run.txt 2>&1
echo \$? >run.rc
set -e
dmesg | grep -E 'ttyUSB0|FTDI' >usb-kernel.txt || true
stop_bridges "$out"
GUEST
chmod +x "$out/guest.sh"

start_host_module s1 "$athil" "$out" SIM7080G 1951B02SIM7080G 0.2 --usb
qmp=$module_dir/qmp.sock
python3 "$here/usb_replug.py" "$qmp" "$module_dir/s1.tty" "$out/replug.log" 2>"$out/replug.err" &
module_pids+=($!)
# shellcheck disable=SC2046
"$here/lab.sh" boot "$cache" "$out" -qmp "unix:$qmp,server=on,wait=off" -device qemu-xhci,id=xhci \
  -device virtio-serial-pci $(control_ports s1) || { cat "$out/guest.log" "$out/replug.err" >&2; exit 1; }

fail() { echo "FAIL: $*" >&2; cat "$out/guest.log" "$out/replug.err" >&2; exit 1; }
[ "$(cat "$out/run.rc")" = 0 ] || fail "the scenarios across re-enumeration: $(tail -n 20 "$out/run.txt")"
grep -q 'failures="0" errors="0"' "$out/reports/junit.xml" || fail "the JUnit report has failures"
plugs=$(grep -c ' plugged ' "$out/replug.log" || true)
unplugs=$(grep -c ' unplugged ' "$out/replug.log" || true)
# Power on, the FOTA restart, two restart commands, then power-offs: the port went and came back each time.
[ "$plugs" -ge 4 ] && [ "$unplugs" -ge 3 ] || fail "the port was plugged $plugs and unplugged $unplugs times"
grep -q 'disconnected from ttyUSB0' "$out/usb-kernel.txt" || fail "the guest's kernel never removed ttyUSB0"
echo "kernel lab, USB: FOTA and restarts passed across $plugs plug-ins and $unplugs removals of ttyUSB0"
