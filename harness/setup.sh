#!/usr/bin/env bash
# athil quick start, on a fresh Debian 12 machine (as root or through sudo):
#   harness/setup.sh run [ATHIL RUN OPTIONS]   install what is missing, build, run the bundled
#                                             scenarios on rigs/virtual.xml -> reports/junit.xml
#                                             (without options: those tagged smoke or nightly)
#   harness/setup.sh test [--sanitize]        install, build, run the whole test suite (CTest),
#                                             then the kernel lab (ctest -L kernel: QEMU, no KVM);
#                                             --sanitize: ASan+UBSan build in build-sanitize/,
#                                             without the kernel lab
#   harness/setup.sh fuzz [SECONDS]           install clang, fuzz the scenario loader, the AT framer and
#                                             engine, the field-log importers and the line regex, SECONDS
#                                             each (ctest -L fuzz)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# Debian 12 and 13 packages: the build's dependencies, then the tools the tests use as real
# consumers, then the kernel lab's (harness/kernel_lab: it fetches Debian's kernel itself,
# without installing it).
packages=(build-essential cmake pkg-config
          doctest-dev libboost-dev libpugixml-dev libfmt-dev libgpiod-dev libcli11-dev libsigrokcxx-dev libglibmm-2.4-dev libsqlite3-dev
          python3 python3-junitparser python3-pexpect python3-serial libxml2-utils picocom ser2net sigrok-cli
          ca-certificates mosquitto qemu-system-x86 busybox-static kmod cpio xz-utils gpiod)

install_missing() {
  local missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build() {
  local dir=$1
  shift
  local start=$SECONDS
  # Of CMake's report, the line that says which libgpiod the GPIO code is built for.
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" | sed -n 's/^-- athil: /setup: /p'
  cmake --build "$dir" -j"$(nproc)"
  echo "setup: $dir built in $((SECONDS - start)) s"
}

usage() {
  sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

command=${1:-}
[ $# -gt 0 ] && shift
case "$command" in
  run)
    install_missing
    build build
    # Without options: the smoke and nightly scenarios on the virtual rack (all four models).
    [ $# -eq 0 ] && set -- --tag smoke,nightly
    exec build/athil run "$@"
    ;;
  test)
    packages+=(chromium)  # the run's page is checked in a real browser
    install_missing
    dir=build
    flags=()
    skip=()
    if [ "${1:-}" = "--sanitize" ]; then
      dir=build-sanitize
      # A unity build: each compiler run takes several sources, which then parse the headers they
      # share once (560 s against 784 s on 2 cores). The plain build keeps one source a run, so
      # that each file is still checked to include what it uses.
      flags=(-DATHIL_SANITIZE=ON -DCMAKE_UNITY_BUILD=ON)
      # Not the latency racks (8 slots, 150 s each under the sanitizers): they run the code the
      # default run's and the library self-tests' slots run here, those behind 16 ms included;
      # what the racks add is load and timing, which the plain suite checks.
      skip=(-E "the library passes on a rack of 8 slots behind")
    fi
    build "$dir" "${flags[@]}"
    # soak, fuzz and bench tests have their own labels and run on demand: ctest -L soak
    cd "$dir"
    ctest --output-on-failure -j"$(nproc)" -LE 'soak|fuzz|bench|kernel' "${skip[@]}"
    # The kernel lab boots guests under emulation: the plain build's binaries are enough.
    if [ "$dir" = build ]; then ctest --output-on-failure -L kernel; fi
    ;;
  fuzz)
    packages+=(clang libclang-rt-14-dev)
    install_missing
    build build
    cd build && ATHIL_FUZZ_SECONDS=${1:-60} ctest --output-on-failure -L fuzz
    ;;
  *)
    usage
    exit 2
    ;;
esac
