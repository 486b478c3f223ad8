#!/usr/bin/env bash
# test_uart.sh CACHE OUT ATHIL BRIDGE
# The AT library through the kernel's serial driver: two virtual modules run on the host, QEMU
# connects their ptys to the guest's 16550s ttyS1 and ttyS2 (tty settings the guest makes reach
# the pty) and each control channel to two virtio-serial ports; in the guest, athil drives each
# slot as a rack would (its UART, PWRKEY and STATUS on a gpio-sim chip through
# athil_gpio_bridge). Passes when the AT scenarios pass at 115200 baud (ttyS1, a module at its
# factory rate) and at 57600 (ttyS2, a module saved at that rate), and while a run holds the port a second program is kept out
# by TIOCEXCL, a second athil by the port's lock and a second run of the slot by the slot lock,
# each message naming the holder.
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: test_uart.sh CACHE OUT ATHIL BRIDGE" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=$(realpath -m "$1") out=$(realpath -m "$2") athil=$(realpath "$3") bridge=$(realpath "$4")
source_dir=$(cd "$here/../.." && pwd)
rm -rf "$out" && mkdir -p "$out"
. "$here/host_lib.sh"

# Two modules, each on its own 16550: s1 at its factory 115200, s2 saved at 57600 (AT+IPR).
rig() {  # rig SLOT TTY RATE FIRST_LINE
  cat >"$out/rig-$3.xml" <<RIG
<rig name="kernel-lab-uart" time-scale="0.2">
  <slot name="$1" model="SIM7080G" firmware="1951B02SIM7080G">
    <serial port="$2" baud="$3"/>
    <gpio chip="athil-lab">
      <line role="pwrkey" offset="$4" active-low="true"/>
      <line role="status" offset="$(($4 + 1))"/>
    </gpio>
  </slot>
</rig>
RIG
}
rig s1 /dev/ttyS1 115200 0
rig s2 /dev/ttyS2 57600 2
# Another rig on the same port: its slot lock is another, the port's is the same.
sed 's/name="kernel-lab-uart"/name="kernel-lab-other"/' "$out/rig-115200.xml" >"$out/other-rig.xml"

cat >"$out/guest.sh" <<GUEST
#!/usr/bin/env bash
set -euo pipefail
cd "$out"
. "$here/guest_lib.sh"
sim_dir=\$(make_chip athil-lab 4)
start_bridge "$bridge" rig-115200.xml s1 "\$sim_dir" "$out" "\$(virtio_port s1.pins)" "\$(virtio_port s1.ask)"
start_bridge "$bridge" rig-57600.xml s2 "\$sim_dir" "$out" "\$(virtio_port s2.pins)" "\$(virtio_port s2.ask)"
run() {  # run RATE SCENARIO...
  local rate=\$1
  shift
  (cd "$source_dir" && "$athil" run --rig "$out/rig-\$rate.xml" --junit "$out/reports-\$rate/junit.xml" "\$@")
}

set +e
run 115200 scenarios/at >run-115200.txt 2>&1 &
runner=\$!
# The probes start once the run holds the port (its first scenario has started): a probe before
# that would hold the port itself while the run opens its slot.
for i in \$(seq 300); do
  grep -q " start\$" run-115200.txt 2>/dev/null && break
  kill -0 \$runner 2>/dev/null || break
  sleep 0.1
done
# While the run holds the slot: the port is kept from others, each refusal naming the holder.
for i in \$(seq 300); do
  "$athil" rig check other-rig.xml >held.txt 2>&1
  grep -q "in use" held.txt && break
  kill -0 \$runner 2>/dev/null || break
  sleep 0.1
done
chmod 666 /dev/ttyS1
setpriv --reuid=65534 --regid=65534 --clear-groups python3 -c 'import os; os.open("/dev/ttyS1", os.O_RDWR | os.O_NOCTTY)' >excl.txt 2>&1
echo \$? >excl.rc
run 115200 scenarios/at/echo.xml >second.txt 2>&1
echo \$? >second.rc
wait \$runner
echo \$? >run-115200.rc
run 57600 scenarios/at >run-57600.txt 2>&1
echo \$? >run-57600.rc
set -e
stop_bridges "$out"
GUEST
chmod +x "$out/guest.sh"

start_host_module s1 "$athil" "$out" SIM7080G 1951B02SIM7080G 0.2
start_host_module s2 "$athil" "$out" SIM7080G 1951B02SIM7080G 0.2 --ipr 57600
# shellcheck disable=SC2046
"$here/lab.sh" boot "$cache" "$out" \
  -chardev "serial,id=s1,path=$(readlink -f "$module_dir/s1.tty")" -device isa-serial,chardev=s1,index=1 \
  -chardev "serial,id=s2,path=$(readlink -f "$module_dir/s2.tty")" -device isa-serial,chardev=s2,index=2 \
  -device virtio-serial-pci $(control_ports s1) $(control_ports s2) || { cat "$out/guest.log" >&2; exit 1; }

fail() { echo "FAIL: $*" >&2; cat "$out/guest.log" >&2; exit 1; }
for rate in 115200 57600; do
  [ "$(cat "$out/run-$rate.rc")" = 0 ] || fail "the AT scenarios at $rate baud: $(tail -n 20 "$out/run-$rate.txt")"
  grep -q 'failures="0" errors="0"' "$out/reports-$rate/junit.xml" || fail "the JUnit report at $rate baud has failures"
done
grep -qE "port /dev/ttyS1 .*in use: locked by pid [0-9]+ \(.*athil run" "$out/held.txt" &&
  grep -q "line 0 (pwrkey) .*busy: held by consumer .athil:s1." "$out/held.txt" || fail "a second athil on the port: $(cat "$out/held.txt")"
[ "$(cat "$out/excl.rc")" != 0 ] && grep -q "Device or resource busy" "$out/excl.txt" || fail "another program opened the port: $(cat "$out/excl.txt")"
grep -q "slot s1 of rig kernel-lab-uart is in use by pid" "$out/second.txt" || fail "a second run of the slot: $(cat "$out/second.txt")"
echo "kernel lab, UART: AT scenarios passed at 115200 and 57600 baud through ttyS1 and ttyS2; the port and the slot were kept exclusive"
