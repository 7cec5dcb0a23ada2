#!/usr/bin/env bash
# Builds everything with AddressSanitizer and UBSan into ./build-asan and runs the suite there.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKEEPSAKE_SANITIZE=ON >/dev/null
cmake --build build-asan -j "${KEEPSAKE_JOBS:-2}"
cd build-asan
# handle_segv=0: a worker that crashes on purpose must die of SIGSEGV, as in a normal build
ASAN_OPTIONS=detect_leaks=1:handle_segv=0 ctest --output-on-failure -j "${KEEPSAKE_JOBS:-2}" "$@"
