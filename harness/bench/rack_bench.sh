#!/usr/bin/env bash
# Scale of the runner: the same scenarios on 1 virtual slot and on N (default 64) in one run.
# Prints both wall times, their ratio (goal: at most 1.25) and the harness's peak memory.
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
rig() {
  local n=$1
  echo "<rig name=\"bench$n\" time-scale=\"$scale\">"
  for ((i = 0; i < n; i++)); do
    local m=$((i % 4))
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

run() {
  local n=$1
  rig "$n" >"$tmp/rig$n.xml"
  local start end
  start=$(date +%s.%N)
  (cd "$root" && "$athil" run --rig "$tmp/rig$n.xml" "$tmp/sc" --junit "$tmp/out$n/junit.xml") >"$tmp/log$n" 2>&1 || {
    echo "bench: the $n-slot run failed:"
    tail -20 "$tmp/log$n"
    exit 1
  }
  end=$(date +%s.%N)
  wall[$n]=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
  peak[$n]=$(sed -n 's/^peak memory of the harness: \(.*\) MB$/\1/p' "$tmp/log$n")
}
declare -A wall peak
run 1
run "$slots"
printf 'bench.rack (time-scale %s, 2 scenarios per slot)\n' "$scale"
printf '  %3d slot(s): wall %6.2f s, harness peak memory %6.1f MB\n' 1 "${wall[1]}" "${peak[1]}"
printf '  %3d slot(s): wall %6.2f s, harness peak memory %6.1f MB\n' "$slots" "${wall[$slots]}" "${peak[$slots]}"
printf '  ratio %d slots / 1 slot: %.2f (goal <= 1.25)\n' "$slots" "$(awk -v a="${wall[1]}" -v b="${wall[$slots]}" 'BEGIN { printf "%.3f", b / a }')"
