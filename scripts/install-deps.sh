#!/usr/bin/env bash
# Installs the Debian 12 packages Keepsake builds and tests with, and the staff console's npm
# packages (console/package-lock.json). Idempotent: packages already present are skipped by
# apt. Needs root (or sudo), Debian's package mirrors and the npm registry.
#   install-deps.sh          what the service needs to build and run
#   install-deps.sh --test   also Chromium and the console's test packages (Playwright)
set -euo pipefail
cd "$(dirname "$0")/.."
testing=false
[ "${1:-}" = "--test" ] && testing=true

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libsqlitecpp-dev libsqlite3-dev sqlite3
  libcpp-httplib-dev libssl-dev zlib1g-dev libbrotli-dev
  nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev libexpected-dev
  libassimp-dev libzip-dev libpng-dev libcgal-dev libcgal-demo libtbb-dev libembree-dev libeigen3-dev lib3mf-dev
  prusa-slicer
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev libopencv-objdetect-dev
  opencv-data liblcms2-dev libqpdf-dev libpotrace-dev libdeflate-dev libjpeg62-turbo-dev libwebp-dev icc-profiles-free argyll libfreetype-dev fonts-wqy-microhei
  libzxing-dev libharfbuzz-dev fonts-droid-fallback fonts-dejavu-core
  qpdf poppler-utils ghostscript
  libgtest-dev libgmock-dev libbenchmark-dev libcoin-dev
  libseccomp-dev libsodium-dev
  curl openssl clang-format
)
command -v npm > /dev/null || packages+=(nodejs npm)
$testing && packages+=(chromium chromium-driver clang-14 libclang-rt-14-dev assimp-testmodels)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The press condition print files are separated for (assets/print_profiles.json, "press"):
# FOGRA39 (ISO 12647-2, coated paper), an ICC output profile built once from Fogra's
# characterisation data in icc-profiles-free by ArgyllCMS's colprof: medium quality, Argyll's
# ramp black generation, total ink 300 %, black 95 %, perceptual table gamut-mapped from sRGB
# (what the customers' pictures are). Takes a minute or two the first time.
press_dir=/usr/local/share/keepsake/icc
if [ ! -s "$press_dir/FOGRA39L_keepsake.icc" ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "install-deps: building the FOGRA39 press profile (ArgyllCMS colprof)"
  work=$(mktemp -d)
  cp /usr/share/color/icc/FOGRA39L.ti3 "$work/FOGRA39L_keepsake.ti3"
  (cd "$work" && colprof -qm -kr -l 300 -L 95 -S /usr/share/color/icc/sRGB.icc -cmt -dpp \
     -D "FOGRA39 coated (ISO 12647-2), TAC 300%, built by ArgyllCMS" \
     -C "Made from Fogra's FOGRA39L characterisation data (icc-profiles-free)" \
     FOGRA39L_keepsake > colprof.log)
  $SUDO mkdir -p "$press_dir"
  $SUDO install -m 0644 "$work/FOGRA39L_keepsake.icc" "$press_dir/FOGRA39L_keepsake.icc"
  rm -rf "$work"
fi

# The console's packages, exactly as locked; served from console/node_modules (no CDN).
if $testing; then
  (cd console && npm ci --no-audit --no-fund --loglevel=error)
else
  (cd console && npm ci --omit=dev --no-audit --no-fund --loglevel=error)
fi
