#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs one for a bounded time (default 60 s,
# ATHIL_FUZZ_SECONDS to change), seeded with what it reads in real use (harness/fuzz/seeds.sh):
#   fuzz_target.sh BUILD loader|framer|import|regex
# Findings exit 1 (libFuzzer would say 77, which CTest reads as skipped). Exit 77 (skipped)
# when clang or its fuzzer runtime is missing: harness/setup.sh fuzz installs them.
set -u
build=$1
target=$2
seconds=${ATHIL_FUZZ_SECONDS:-60}
command -v clang++ >/dev/null || { echo "SKIP: clang++ is not installed (harness/setup.sh fuzz installs it)"; exit 77; }
echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' >"$build/probe.cpp"
clang++ -fsanitize=fuzzer "$build/probe.cpp" -o "$build/probe" 2>/dev/null ||
  { echo "SKIP: clang's libFuzzer runtime is missing (libclang-rt-14-dev; harness/setup.sh fuzz installs it)"; exit 77; }
# Both targets share one build; a lock keeps two CTest jobs from building it at once.
(
  flock 9
  cmake -S harness/fuzz -B "$build/fuzz" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
    cmake --build "$build/fuzz" -j"$(nproc)" >/dev/null
) 9>"$build/fuzz.lock" || exit 1
corpus="$build/fuzz/corpus-$target"
mkdir -p "$corpus"
harness/fuzz/seeds.sh "$target" "$corpus" || exit 2
# Findings (crash-*, timeout-*, leak-*) land in $build/fuzz, beside the binary.
cd "$build/fuzz" && "./${target}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -error_exitcode=1 -timeout_exitcode=1 "corpus-$target"
