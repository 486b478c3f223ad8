#!/usr/bin/env bash
# build_other.sh CACHE SOURCE_DIR
# Builds athil and the bridge in CACHE/build-other against the libgpiod major this machine does
# not have (libgpiod.sh), so the lab runs both backends; CACHE/build-other/gpioset is that
# libgpiod's own gpioset.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: build_other.sh CACHE SOURCE_DIR" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=$(mkdir -p "$1" && cd "$1" && pwd) src=$2
pcdir=$("$here/libgpiod.sh" "$cache/libgpiod-other")
prefix=$cache/libgpiod-other/usr
# Unoptimised, without debug information and as a unity build (several sources a compiler run,
# parsing shared headers once): athil and the bridge compile in about 100 s on 2 cores instead
# of 240, and the lab measures behaviour, not speed.
PKG_CONFIG_PATH=$pcdir cmake -S "$src" -B "$cache/build-other" -DCMAKE_BUILD_TYPE=None -DCMAKE_UNITY_BUILD=ON | grep 'athil: libgpiod'
cmake --build "$cache/build-other" -j"$(nproc)" --target athil athil_gpio_bridge >"$cache/build-other.log" 2>&1 ||
  { tail -n 40 "$cache/build-other.log" >&2; exit 1; }
cat >"$cache/build-other/gpioset" <<WRAP
#!/bin/sh
LD_LIBRARY_PATH="$(dirname "$pcdir")" exec "$prefix/bin/gpioset" "\$@"
WRAP
chmod +x "$cache/build-other/gpioset"
