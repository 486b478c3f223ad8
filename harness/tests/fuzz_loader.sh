#!/usr/bin/env bash
# Builds the loader's libFuzzer target with clang and runs it for a bounded time (default
# 60 s, ATHIL_FUZZ_SECONDS to change), seeded with the shipped scenarios and the malformed
# corpus. Findings exit 1 (libFuzzer would say 77, which CTest reads as skipped). Exit 77 (skipped) when clang or its fuzzer runtime is missing: harness/setup.sh fuzz
# installs them.
set -u
build=$1
seconds=${ATHIL_FUZZ_SECONDS:-60}
command -v clang++ >/dev/null || { echo "SKIP: clang++ is not installed (harness/setup.sh fuzz installs it)"; exit 77; }
echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' >"$build/probe.cpp"
clang++ -fsanitize=fuzzer "$build/probe.cpp" -o "$build/probe" 2>/dev/null ||
  { echo "SKIP: clang's libFuzzer runtime is missing (libclang-rt-14-dev; harness/setup.sh fuzz installs it)"; exit 77; }
cmake -S harness/fuzz -B "$build/fuzz" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 1
cmake --build "$build/fuzz" -j"$(nproc)" >/dev/null || exit 1
corpus="$build/fuzz/corpus"
mkdir -p "$corpus"
cp scenarios/*/*.xml fixtures/*.xml harness/tests/malformed/*.xml "$corpus/"
# Findings (crash-*, timeout-*, leak-*) land in $build/fuzz, beside the binary.
cd "$build/fuzz" && ./loader_fuzz -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -error_exitcode=1 -timeout_exitcode=1 corpus
