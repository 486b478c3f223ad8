#!/usr/bin/env bash
# Scale of the runner: the same scenarios on N virtual slots (default 64, the four models in
# turn) in one run, against one slot alone. The models boot and power down at different
# speeds, so the one-slot baseline is the slowest of the four single-model runs. Prints the wall
# times, their ratio (goal: at most 1.25) and the harness's peak memory.
# Usage: rack_bench.sh ATHIL [SLOTS] [TIME_SCALE]
set -euo pipefail
athil=$1
slots=${2:-64}
scale=${3:-0.2}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

models=(SIM7080G SIM7000G SIM7070G SIM7090G)
firmware=(1951B02SIM7080G 1529B08SIM7000G 1951B05SIM7070 2110B01SIM7090)
# rig N [FIRST]: N slots, models in turn from FIRST (0..3).
rig() {
  local n=$1 first=${2:-0}
  echo "<rig name=\"bench$n\" time-scale=\"$scale\">"
  for ((i = 0; i < n; i++)); do
    local m=$(((i + first) % 4))
    local extra=""
    [ "$m" -eq 1 ] && extra=' ipr="115200"'
    echo "  <slot name=\"s$i\" model=\"${models[$m]}\" firmware=\"${firmware[$m]}\"><virtual$extra/></slot>"
  done
  echo "</rig>"
}
mkdir -p "$tmp/sc"
for name in answers registration; do
  cat >"$tmp/sc/$name.xml" <<XML
<scenario name="$name" models="SIM7000G SIM7070G SIM7080G SIM7090G">
  <setup><use fixture="power-on"/></setup>
  <step name="talk"><command send="AT+CGMR"/><command send="AT+CSQ"/><command send="AT+CEREG?"/></step>
  <teardown><use fixture="power-off"/></teardown>
</scenario>
XML
done

# run NAME SLOTS [FIRST]: wall time and peak memory of one run, under NAME.
run() {
  local name=$1 n=$2 first=${3:-0}
  rig "$n" "$first" >"$tmp/rig-$name.xml"
  local start end
  start=$(date +%s.%N)
  (cd "$root" && "$athil" run --rig "$tmp/rig-$name.xml" "$tmp/sc" --junit "$tmp/out-$name/junit.xml") >"$tmp/log-$name" 2>&1 || {
    echo "bench: the run '$name' failed:"
    tail -20 "$tmp/log-$name"
    exit 1
  }
  end=$(date +%s.%N)
  wall[$name]=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
  peak[$name]=$(sed -n 's/^peak memory of the harness: \([0-9.]*\) MB.*/\1/p' "$tmp/log-$name")
}
declare -A wall peak
printf 'bench.rack (time-scale %s, 2 scenarios per slot)\n' "$scale"
baseline=0
for m in 0 1 2 3; do
  run "${models[$m]}" 1 "$m"
  printf '  1 slot  %-9s wall %6.2f s, harness peak memory %6.1f MB\n' "${models[$m]}" "${wall[${models[$m]}]}" "${peak[${models[$m]}]}"
  baseline=$(awk -v a="$baseline" -v b="${wall[${models[$m]}]}" 'BEGIN { print (b > a ? b : a) }')
done
run rack "$slots"
printf '  %d slots, four models: wall %6.2f s, harness peak memory %6.1f MB\n' "$slots" "${wall[rack]}" "${peak[rack]}"
printf '  ratio %d slots / slowest single slot: %.2f (goal <= 1.25)\n' "$slots" "$(awk -v a="$baseline" -v b="${wall[rack]}" 'BEGIN { printf "%.3f", b / a }')"
