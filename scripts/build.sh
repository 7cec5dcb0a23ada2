#!/usr/bin/env bash
# Configures and builds Keepsake into ./build (Ninja, ccache when present, -j2 by default).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${KEEPSAKE_JOBS:-2}"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
# KEEPSAKE_BUILD_TARGET builds one target (serve.sh builds only the keepsake binary)
cmake --build build -j "$jobs" ${KEEPSAKE_BUILD_TARGET:+--target "$KEEPSAKE_BUILD_TARGET"}
