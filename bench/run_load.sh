#!/usr/bin/env bash
# Reruns the order API load figures of docs/performance.md: builds with benchmarks, starts
# keepsake serve on a fresh data directory on 127.0.0.1, creates orders, then looks them up.
#   bench/run_load.sh [create_requests] [lookup_requests]
# KEEPSAKE_BIN=path runs another keepsake binary (an older build, to compare) with the same
# driver.
set -euo pipefail
cd "$(dirname "$0")/.."
creates="${1:-20000}"
lookups="${2:-100000}"
scripts/build.sh -DKEEPSAKE_BUILD_BENCHMARKS=ON >/dev/null
bin="${KEEPSAKE_BIN:-./build/keepsake}"
data="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$data"' EXIT
"$bin" serve --data "$data" --listen 127.0.0.1:0 --port-file "$data/port" \
  --job-workers 0 --personal-searches-per-minute 0 2>"$data/server.log" >/dev/null &
server=$!
for _ in $(seq 100); do [ -s "$data/port" ] && break; sleep 0.1; done
port="$(cat "$data/port")"
channel="$("$bin" token create --data "$data" --role channel --name bench-channel)"
cs="$("$bin" token create --data "$data" --role cs --name bench-cs)"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r); $(date -u +%F)"
./build/keepsake_load --port "$port" --token "$channel" --mode create --threads 16 --requests "$creates"
./build/keepsake_load --port "$port" --token "$cs" --mode lookup --threads 16 --requests "$lookups"
