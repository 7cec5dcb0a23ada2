#!/usr/bin/env bash
# Remakes the pictures of docs/print-specs.md and docs/logistics.md from the permissively
# licensed samples in tests/data (see tests/data/SOURCES.md): previews from `keepsake print render`, the PDF's
# pages as poppler draws them. (The spot plates are checked by the tests, not pictured.)
set -euo pipefail
cd "$(dirname "$0")/.."
KEEPSAKE_BUILD_TARGET=keepsake scripts/build.sh >/dev/null
images=tests/data/images
out=docs/images
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
render() {  # NAME PRODUCT IMAGE [options...]
  local name="$1" product="$2" image="$3"
  shift 3
  ./build/keepsake print render --product "$product" --image "$image" --preview-px 360 \
    --out "$work/$name" "$@" >/dev/null
  cp "$work/$name/preview.png" "$out/print-$name.png"
}
render postcard-cn postcard-cn "$images/portrait_photoreal_sd15_1280x1920.png" \
  --text "$(printf '亲爱的外婆：\n祝您新年快乐，身体健康！这张卡片上的照片是我用AI做的。\nHappy New Year!')"
render magnet-rect magnet-rect "$images/portrait_offcentre_face_qwen_1024.png"
render magnet-round-58 magnet-round-58 "$images/portrait_offcentre_face_qwen_1024.png"
render keychain-acrylic keychain-acrylic "$images/cutout_corgi_pixelart_rgba_1024.png" \
  --option sides=2
render magnet-diecut-segmented magnet-diecut tests/data/meshes/triposr_chair/input.png \
  --allow-low-dpi
# print.pdf: both pages of the postcard as poppler renders them (what the press receives)
pdftoppm -r 60 -png "$work/postcard-cn/print.pdf" "$work/page"
cp "$work/page-1.png" "$out/pdf-postcard-cn-front.png"
cp "$work/page-2.png" "$out/pdf-postcard-cn-back.png"
# a shipping label (PNG at 203 dpi, as a thermal printer gets it) and a packing slip, from the
# demo's parcel: the demo server seeds its orders, then stops
./build/keepsake serve --demo --data "$work/var" --listen 127.0.0.1:0 --port-file "$work/port" \
  >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do
  grep -q "event=listening" "$work/serve.log" && break
  sleep 0.2
done
kill "$server" && wait "$server" || true
./build/keepsake label render --data "$work/var" --shipment 1 --format png --dpi 203 \
  --out "$out/label-100x150-203dpi.png" >/dev/null
number="$(sqlite3 "$work/var/keepsake.db" \
  "SELECT o.number FROM shipments s JOIN orders o ON o.id = s.order_id WHERE s.id = 1")"
./build/keepsake packing-slip render --data "$work/var" --order "$number" --out "$work/slip.pdf" \
  >/dev/null
pdftoppm -r 90 -png -singlefile "$work/slip.pdf" "$work/slip"
cp "$work/slip.png" "$out/packing-slip-a5.png"
# the labels of parcels booked with SF Express and with ZTO through Kuaidi100, as the carrier
# tests book them against their loopback carriers (the waybills and routing codes are the
# carriers' answers there)
KEEPSAKE_BUILD_TARGET=services_tests scripts/build.sh -DKEEPSAKE_BUILD_TESTS=ON >/dev/null
KEEPSAKE_DOC_PICTURES="$PWD/$out" ./build/tests/services_tests \
  --gtest_filter='CarrierBooking.SfParcelIsBooked*:CarrierBooking.Kuaidi100*' >/dev/null
echo "pictures written to $out"
