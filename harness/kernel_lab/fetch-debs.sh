#!/usr/bin/env bash
# fetch-debs.sh DEST SUITE PACKAGE...
# fetch-debs.sh DEST SUITE --depends PACKAGE   (prints what PACKAGE depends on in SUITE, one per line)
# Downloads Debian packages of SUITE (bookworm, bookworm-backports, trixie...) and unpacks them
# under DEST without installing them: the machine's own package state, sources and kernel are
# left alone. The mirror is the one this machine's apt uses (ATHIL_DEBIAN_MIRROR overrides it).
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: fetch-debs.sh DEST SUITE PACKAGE..." >&2; exit 2; }
dest=$1 suite=$2
shift 2

mirror=${ATHIL_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(grep -rhoE '(https?://[^ ]+/debian)/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null |
           grep -v security | head -n1 | tr -d ' ' || true)
  mirror=${mirror%/}
fi
mirror=${mirror:-http://deb.debian.org/debian}

work=$dest/.apt/$suite
mkdir -p "$work/lists/partial" "$work/archives/partial"
: >"$work/status"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" >"$work/sources.list"
apt=(apt-get -q -o Dir::Etc::SourceList="$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o Dir::State::Lists="$work/lists" -o Dir::State::status="$work/status"
     -o Dir::Cache::Archives="$work/archives" -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
if [ -z "$(ls "$work/lists" | grep -v partial || true)" ]; then
  "${apt[@]}" update >"$work/update.log" 2>&1 || { cat "$work/update.log" >&2; exit 1; }
fi
if [ "$1" = --depends ]; then
  apt_cache=(apt-cache "${apt[@]:2}")
  "${apt_cache[@]}" depends "$2/$suite" 2>/dev/null | sed -n 's/^  Depends: \([^ <]*\).*/\1/p'
  exit 0
fi
cd "$work/archives"
names=()
for p in "$@"; do names+=("$p/$suite"); done
"${apt[@]}" download "${names[@]}" >"$work/download.log" 2>&1 || { cat "$work/download.log" >&2; exit 1; }
for p in "$@"; do
  deb=$(ls "${p}"_*.deb | head -n1)
  dpkg-deb -x "$deb" "$dest"
  echo "fetch-debs: $deb" >&2
done
