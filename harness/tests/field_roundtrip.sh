#!/bin/bash
# The field-failure round trip on real logs: those of the project's corpus
# (harness/tests/field_logs, public logs with their sources) and, where present, those in
# ../shared/transcripts. Each is imported (a corpus log must place commands); each that has
# commands is scaffolded into a scenario, replayed as a module on a pseudo-terminal, and the
# scenario run against the replay: it must pass with no divergence. A corpus log whose header
# says "# round-trip: no (why)" is imported only.
set -u
athil=$1
corpus=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/field_logs
transcripts=$2/transcripts
tmp=$(mktemp -d)
replay_pid=
cleanup() { [ -n "$replay_pid" ] && kill "$replay_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

logs=("$corpus"/*.log)
if [ -d "$transcripts" ]; then logs+=("$transcripts"/*); else echo "note: $transcripts is absent (../shared is not in a user's clone): the corpus alone"; fi

tried=0
for log in "${logs[@]}"; do
  name=$(basename "$log"); name=${name%.*}
  dir=$tmp/$name
  mkdir -p "$dir"
  if ! "$athil" import "$log" -o "$dir/transcript.log" 2>"$dir/import.err"; then
    echo "FAIL: $name: import failed"; cat "$dir/import.err"; exit 1
  fi
  if grep -q "no command sent to the module" "$dir/import.err"; then
    case $log in "$corpus"/*) echo "FAIL: $name: a corpus log placed no command"; cat "$dir/import.err"; exit 1 ;; esac
    echo "$name: no commands in the log, nothing to replay"
    continue
  fi
  if grep -q "^# round-trip: no" "$log"; then
    echo "$name: imported ($(head -1 "$dir/import.err" | sed 's/^[^:]*: //')); not replayed: $(sed -n 's/^# round-trip: no //p' "$log")"
    continue
  fi
  "$athil" scaffold "$log" -o "$dir/field.xml" --name "field-$name" 2>"$dir/scaffold.err" || { echo "FAIL: $name: scaffold"; cat "$dir/scaffold.err"; exit 1; }
  # A slot of the model the scenario names (the family's G variant).
  family=$(sed -n 's/.* models="\(SIM70[0-9]0\)[^"]*".*/\1/p' "$dir/field.xml" | head -1)
  model=${family:-SIM7000}G
  "$athil" replay "$log" --link "$dir/tty" --time-scale 0.05 --report "$dir/divergences.log" >"$dir/replay.out" 2>"$dir/replay.err" &
  replay_pid=$!
  for _ in $(seq 100); do [ -e "$dir/tty" ] && break; sleep 0.05; done
  [ -e "$dir/tty" ] || { echo "FAIL: $name: the replay offered no port"; cat "$dir/replay.err"; exit 1; }
  printf '<rig name="replay" time-scale="1">\n  <slot name="r1" model="%s"><serial port="%s" baud="115200"/></slot>\n</rig>\n' "$model" "$dir/tty" >"$dir/rig.xml"
  "$athil" run --rig "$dir/rig.xml" --junit "$dir/out/junit.xml" "$dir/field.xml" >"$dir/run.out" 2>&1
  rc=$?
  kill "$replay_pid"; wait "$replay_pid"; replay_pid=
  if [ "$rc" -ne 0 ]; then echo "FAIL: $name: the scaffolded scenario failed against the replay (exit $rc)"; cat "$dir/run.out"; cat "$dir/field.xml"; exit 1; fi
  if grep -q "^divergence" "$dir/divergences.log" 2>/dev/null; then echo "FAIL: $name: the replay diverged"; cat "$dir/divergences.log"; exit 1; fi
  echo "$name: $(grep -c '<send' "$dir/field.xml") sends round-tripped ($(tail -1 "$dir/replay.err"))"
  tried=$((tried + 1))
done
[ "$tried" -ge 20 ] || { echo "FAIL: only $tried logs round-tripped; did the corpus change?"; exit 1; }
echo "round trip passed on $tried logs"
