#!/bin/bash
# The field-failure round trip on every real log in ../shared/transcripts that has commands:
# import it, scaffold a scenario, replay the log as a module on a pseudo-terminal, run the
# scenario against the replay: it must pass with no divergence. Exit 77 without ../shared.
set -u
athil=$1
transcripts=$2/transcripts
[ -d "$transcripts" ] || { echo "SKIP: $transcripts is absent (../shared is not in a user's clone)"; exit 77; }
tmp=$(mktemp -d)
replay_pid=
cleanup() { [ -n "$replay_pid" ] && kill "$replay_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

tried=0
for log in "$transcripts"/*; do
  name=$(basename "$log" .txt)
  dir=$tmp/$name
  mkdir -p "$dir"
  if ! "$athil" import "$log" -o "$dir/transcript.log" 2>"$dir/import.err"; then
    echo "FAIL: $name: import failed"; cat "$dir/import.err"; exit 1
  fi
  if grep -q "no command sent to the module" "$dir/import.err"; then
    echo "$name: no commands in the log, nothing to replay"
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
  kill "$replay_pid"; wait "$replay_pid"; replay_rc=$?; replay_pid=
  if [ "$rc" -ne 0 ]; then echo "FAIL: $name: the scaffolded scenario failed against the replay (exit $rc)"; cat "$dir/run.out"; cat "$dir/field.xml"; exit 1; fi
  if grep -q "^divergence" "$dir/divergences.log" 2>/dev/null; then echo "FAIL: $name: the replay diverged"; cat "$dir/divergences.log"; exit 1; fi
  echo "$name: $(grep -c '<send' "$dir/field.xml") sends round-tripped ($(tail -1 "$dir/replay.err"))"
  tried=$((tried + 1))
done
[ "$tried" -ge 5 ] || { echo "FAIL: only $tried logs round-tripped; did the transcripts change?"; exit 1; }
echo "round trip passed on $tried logs"
