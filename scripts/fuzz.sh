#!/usr/bin/env bash
# Builds the libFuzzer targets with Debian's clang-14 (ASan, UBSan) into ./build-fuzz and runs
# each for KEEPSAKE_FUZZ_SECONDS (60) from the seeds in fuzz/corpus. Part of the test command.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${KEEPSAKE_JOBS:-2}"
# -O1 with line tables only: a third of the compile time of -O2 -g, and stack traces still
# name the line
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Fuzz \
  -DCMAKE_CXX_FLAGS_FUZZ="-O1 -gline-tables-only" \
  -DCMAKE_CXX_COMPILER=clang++-14 -DKEEPSAKE_FUZZ=ON -DKEEPSAKE_BUILD_TESTS=OFF >/dev/null
cmake --build build-fuzz -j "$jobs" --target fuzz_mesh fuzz_image fuzz_api fuzz_tracking_push
cd build-fuzz
# -V: each fuzzer's statistics (runs, corpus) are in the log
ctest -V -j "$jobs" -L fuzz "$@"
