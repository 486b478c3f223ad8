#!/usr/bin/env bash
# Puts a fuzz target's seeds in DIR: what the target reads in real use. Run from the source root.
#   seeds.sh loader DIR   the shipped scenarios and fixtures, and the malformed corpus
#   seeds.sh framer DIR   real modules' byte streams (harness/fuzz/framer_seeds, and
#                         ../shared/transcripts when present)
#   seeds.sh import DIR   real field logs (harness/tests/field_logs, and ../shared/transcripts
#                         when present), and logs of shapes that found bugs (harness/fuzz/import_seeds)
#   seeds.sh regex DIR    the regexes scenarios hold, with lines they match (harness/fuzz/regex_seeds)
# Used by harness/tests/fuzz_target.sh (libFuzzer) and harness/tests/fuzz_replay.sh (the main build).
set -eu
target=$1
dir=$2
mkdir -p "$dir"
case "$target" in
  loader) cp scenarios/*/*.xml fixtures/*.xml harness/tests/malformed/*.xml "$dir/" ;;
  framer)
    cp harness/fuzz/framer_seeds/* "$dir/"
    # A transcript is many exchanges: seeded in pieces the fuzzer can work on.
    if [ -d ../shared/transcripts ]; then
      for t in ../shared/transcripts/*.txt; do split -b 2048 -d "$t" "$dir/$(basename "$t" .txt)-"; done
    fi
    ;;
  import)
    cp harness/tests/field_logs/*.log harness/fuzz/import_seeds/*.log "$dir/"
    if [ -d ../shared/transcripts ]; then cp ../shared/transcripts/* "$dir/"; fi
    ;;
  regex) cp harness/fuzz/regex_seeds/* "$dir/" ;;
  *)
    echo "unknown fuzz target '$target' (loader, framer, import, regex)" >&2
    exit 2
    ;;
esac
