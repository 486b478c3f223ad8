#!/usr/bin/env bash
# libgpiod.sh DEST
# Unpacks under DEST the libgpiod major this machine does not have, so one machine builds and
# tests both backends: 2.1 from bookworm-backports beside Debian 12's 1.6, 1.6 from bookworm
# beside Debian 13's 2.2. Prints the PKG_CONFIG_PATH that finds it.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: libgpiod.sh DEST" >&2; exit 2; }
dest=$(mkdir -p "$1" && cd "$1" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

system=$(pkg-config --modversion libgpiodcxx 2>/dev/null || echo none)
case "$system" in
  1.*) suite=bookworm-backports packages=(libgpiod-dev libgpiod3 gpiod) ;;
  *) suite=bookworm packages=(libgpiod-dev libgpiod2 gpiod) ;;
esac
pcdir=$(find "$dest" -name libgpiodcxx.pc -path '*pkgconfig*' 2>/dev/null | head -n1 || true)
if [ -z "$pcdir" ]; then
  "$here/fetch-debs.sh" "$dest" "$suite" "${packages[@]}"
  pcdir=$(find "$dest" -name libgpiodcxx.pc -path '*pkgconfig*' | head -n1)
fi
pcdir=$(dirname "$pcdir")
# The packages' .pc files name /usr: point them at DEST.
sed -i "s|^prefix=.*|prefix=$dest/usr|" "$pcdir"/*.pc
echo "$pcdir"
