#!/usr/bin/env bash
# Command 1 of the README: install what Keepsake needs, build it, and serve the demo on
# 127.0.0.1:8080 with its data under ./var (SQLite file, uploads, job folders).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
KEEPSAKE_BUILD_TARGET=keepsake scripts/build.sh
exec ./build/keepsake serve --data ./var --listen "${KEEPSAKE_LISTEN:-127.0.0.1:8080}" --demo
