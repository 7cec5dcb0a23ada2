#!/usr/bin/env bash
# Reruns the 2D print figures of docs/performance.md: `keepsake print render` for each product,
# timed with GNU time (wall seconds, peak resident memory). The rectangular and round products
# use a 2150 x 1547 px picture (made here: the 7-inch print of a 1280 x 1920 AI portrait), the
# die-cut ones a 1024 px RGBA cut-out (the largest transparent sample there is).
set -euo pipefail
cd "$(dirname "$0")/.."
KEEPSAKE_BUILD_TARGET=keepsake scripts/build.sh >/dev/null
work="$(mktemp -d)"
# as the service's workers run (services/src/jobs/job_runner.cpp, WorkerEnvironment): malloc on
# 2 MB pages
export GLIBC_TUNABLES=glibc.malloc.hugetlb=1
trap 'rm -rf "$work"' EXIT
images=tests/data/images
./build/keepsake print render --product photo-print-7in \
  --image "$images/portrait_photoreal_sd15_1280x1920.png" --out "$work/source" >/dev/null
large="$work/source/print.png"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u +%F)"
printf '%-18s %-12s %8s %8s %s\n' product picture seconds peak_MB result
for product in photo-print-5in photo-print-6in photo-print-7in postcard-cn postcard-a6 \
               magnet-rect magnet-round-58 badge-magnet-58 magnet-diecut keychain-acrylic; do
  image="$large"; name="2150x1547"
  case "$product" in *diecut*|keychain*) image="$images/cutout_corgi_pixelart_rgba_1024.png"; name="1024 RGBA" ;; esac
  rm -rf "$work/out"
  /usr/bin/time -f "%e %M" -o "$work/time" ./build/keepsake print render --product "$product" \
    --image "$image" --out "$work/out" >/dev/null 2>&1 || true
  read -r seconds peak_kb < "$work/time"
  result=$(python3 -c "import json,sys; r=json.load(open('$work/out/report.json')); print('ok' if r.get('printable') else r.get('reason'))")
  printf '%-18s %-12s %8.2f %8.0f %s\n' "$product" "$name" "$seconds" "$((peak_kb / 1024))" "$result"
done
