#!/usr/bin/env bash
# Reruns the label figure of docs/performance.md: 500 shipping labels (100 x 150 mm, Code 128,
# QR, embedded subset fonts) in one PDF, then as PNGs at 203 and 300 dpi, timed with GNU time
# (wall seconds, peak resident memory).
#   bench/run_labels.sh [count]
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-500}"
scripts/build.sh -DKEEPSAKE_BUILD_BENCHMARKS=ON >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u +%F)"
/usr/bin/time -f "wall_s=%e peak_KB=%M" ./build/keepsake_labels --count "$count" \
  --out "$work/labels.pdf"
pdfinfo "$work/labels.pdf" | grep -E "Pages|Page size"
for dpi in 203 300; do
  /usr/bin/time -f "wall_s=%e peak_KB=%M" ./build/keepsake_labels --count "$count" --png-dpi "$dpi"
done
