#!/usr/bin/env bash
# Command 2 of the README: install what Keepsake needs, build it with its tests, and run the
# whole suite (unit and slow tests) with CTest, after the fuzzers (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
scripts/build.sh -DKEEPSAKE_BUILD_TESTS=ON
# the fuzzers first (their own clang build, 60 s each), then the suite: its summary closes
scripts/fuzz.sh
cd build
ctest --output-on-failure -j "${KEEPSAKE_JOBS:-2}" --timeout 600
