#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy) on the project's sources with the build's compile commands.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/compile_commands.json ] || scripts/build.sh
git ls-files '*/src/*.cpp' | xargs -n 4 -P "${KEEPSAKE_JOBS:-2}" clang-tidy -p build --quiet
