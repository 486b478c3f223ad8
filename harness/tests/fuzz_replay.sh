#!/usr/bin/env bash
# Replays a fuzz target's seeds once each through the main build's replay driver
# (harness/fuzz/replay): fuzz_replay.sh REPLAY_EXE loader|framer|import|regex WORK_DIR
set -eu
exe=$1
target=$2
dir=$3
rm -rf "$dir"
harness/fuzz/seeds.sh "$target" "$dir"
exec "$exe" "$dir"
