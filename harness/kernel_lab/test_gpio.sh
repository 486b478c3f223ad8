#!/usr/bin/env bash
# test_gpio.sh CACHE OUT ATHIL BRIDGE GPIOSET
# The library's power scenarios through the kernel's GPIO character device: a gpio-sim chip in
# the lab guest, two slots wired to it (one line of each active-low), athil_gpio_bridge playing
# the board between the chip and two virtual modules. Passes when the scenarios pass, the
# preflight sees the lines free (and one busy, naming its holder), and the PWRKEY and RESET
# pulses the kernel carried are the ones the modules measured, and NETLIGHT's edges reach the
# waveform.
set -euo pipefail
[ $# -eq 5 ] || { echo "usage: test_gpio.sh CACHE OUT ATHIL BRIDGE GPIOSET" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=$(realpath -m "$1") out=$(realpath -m "$2") athil=$(realpath "$3") bridge=$(realpath "$4") gpioset=$5
source_dir=$(cd "$here/../.." && pwd)
rm -rf "$out" && mkdir -p "$out"

cat >"$out/rig.xml" <<RIG
<?xml version="1.0" encoding="UTF-8"?>
<rig name="kernel-lab" time-scale="0.2">
  <slot name="s1" model="SIM7080G" firmware="1951B02SIM7080G">
    <serial port="/tmp/lab-s1" baud="115200"/>
    <gpio chip="athil-lab">
      <line role="pwrkey" offset="0" active-low="true"/>
      <line role="supply" offset="1"/>
      <line role="status" offset="2"/>
      <line role="netlight" offset="3"/>
    </gpio>
  </slot>
  <slot name="s2" model="SIM7000G" firmware="1529B08SIM7000G">
    <serial port="/tmp/lab-s2" baud="115200"/>
    <gpio chip="athil-lab">
      <line role="pwrkey" offset="4"/>
      <line role="reset" offset="5" active-low="true"/>
      <line role="status" offset="6"/>
    </gpio>
  </slot>
</rig>
RIG
sed "s/^    //" >"$out/busy-rig.xml" <<RIG
    <rig name="kernel-lab-busy">
      <slot name="b1" model="SIM7080G"><serial port="/tmp/lab-s1"/>
        <gpio chip="athil-lab"><line role="pwrkey" offset="7"/></gpio></slot>
    </rig>
RIG

cat >"$out/guest.sh" <<GUEST
#!/usr/bin/env bash
set -euo pipefail
cd "$out"
. "$here/guest_lib.sh"
sim_dir=\$(make_chip athil-lab 8)
for s in s1 s2; do start_bridge "$bridge" rig.xml \$s "\$sim_dir" "$out"; done

"$athil" rig check rig.xml >check.txt || { cat check.txt; exit 1; }
# A line another program holds: the preflight names the holder and requests nothing.
case "\$("$gpioset" -v | head -n1)" in
  *v1.*) "$gpioset" --mode=signal gpiochip0 7=1 & ;;
  *) "$gpioset" -c gpiochip0 7=1 & ;;
esac
holder=\$!
for i in \$(seq 100); do
  "$athil" rig check busy-rig.xml >busy.txt || true
  grep -q busy busy.txt && break
  sleep 0.1
done
kill \$holder

set +e
(cd "$source_dir" && "$athil" run --rig "$out/rig.xml" --junit "$out/reports/junit.xml" scenarios/power/{pwrkey-on-off,short-press,reset,boot-time}.xml)
echo \$? >run.rc
set -e
stop_bridges "$out"
GUEST
chmod +x "$out/guest.sh"

"$here/lab.sh" boot "$cache" "$out" || { cat "$out/guest.log" >&2; exit 1; }

fail() { echo "FAIL: $*" >&2; cat "$out/guest.log" >&2; exit 1; }
version=$("$athil" rig check "$out/rig.xml" 2>/dev/null | sed -n '1s/.*libgpiod //p' || true)
grep -q "libgpiod $version" "$out/check.txt" || fail "rig check does not say which libgpiod ($version)"
grep -q "line 0 (pwrkey).*present, free" "$out/check.txt" || fail "the preflight did not see line 0 free"
grep -q "line 7 (pwrkey).*busy: held by consumer 'gpioset'" "$out/busy.txt" || fail "the preflight did not name line 7's holder: $(cat "$out/busy.txt")"
[ "$(cat "$out/run.rc")" = 0 ] || fail "athil run exited $(cat "$out/run.rc")"
grep -q 'failures="0" errors="0"' "$out/reports/junit.xml" || fail "the JUnit report has failures"
# NETLIGHT, wired on s1 only, reaches the waveform through the kernel: blinking, several edges.
netlight_edges() {
  awk '$1 == "$var" && $5 == "netlight" { id = $4 }
       id != "" && substr($0, 2) == id && substr($0, 1, 1) ~ /^[01]$/ { n++ } END { print n + 0 }' "$1"
}
n=$(netlight_edges "$out/reports/latest/s1/power-boot-time.vcd")
[ "$n" -ge 4 ] || fail "slot s1's waveform has $n NETLIGHT changes, not a blinking NETLIGHT"
! grep -q ' netlight \$end' "$out/reports/latest/s2/power-boot-time.vcd" || fail "slot s2 wires no NETLIGHT, yet its waveform has one"
# Each low pulse the kernel carried is one the module measured, as long within 25 ms + 2 % (the
# bridge samples every millisecond; under emulation a sample can come late).
for s in s1 s2; do
  "$here/compare_pulses.py" "$out/pulses-$s.txt" || fail "slot $s: the kernel's and the module's pulses differ"
done
echo "kernel lab, GPIO (libgpiod $version): power scenarios passed; pulses:"
cat "$out"/pulses-s*.txt
