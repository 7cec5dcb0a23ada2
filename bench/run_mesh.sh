#!/usr/bin/env bash
# Reruns the mesh preparation figures of docs/performance.md: `keepsake mesh prepare` at
# 100 mm on each AI sample, on CGAL's broken meshes and on two samples subdivided past a
# million triangles (bench/subdivide_mesh.cpp), timed with GNU time (wall seconds, peak
# resident memory). Prints one line per mesh, then the seconds per phase from report.json.
# Full colour (--colour) where the sample has colour, so the colour transfer is timed too.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh -DKEEPSAKE_BUILD_BENCHMARKS=ON >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tar -xzf /usr/share/doc/libcgal-dev/data.tar.gz -C "$work" data/meshes
inputs=(tests/data/meshes/triposr_chair/mesh.obj
        "$work/data/meshes/holes.off" "$work/data/meshes/mech-holes-shark.off"
        "$work/data/meshes/man.off" "$work/data/meshes/elephant-with-holes.off"
        "$work/data/meshes/mannequin-devil.off" "$work/armadillo_x16.stl")
./build/keepsake_subdivide "$work/data/meshes/armadillo.off" 2 "$work/armadillo_x16.stl" >/dev/null
# Samples without a licence that lets them into the repository stay outside it; name their
# folder to add them (every .glb, .obj and .stl under it): KEEPSAKE_EXTRA_SAMPLES=DIR.
if [ -n "${KEEPSAKE_EXTRA_SAMPLES:-}" ]; then
  while IFS= read -r -d '' f; do inputs+=("$f"); done < <(
    find "$KEEPSAKE_EXTRA_SAMPLES" -type f \( -name '*.glb' -o -name '*.obj' -o -name '*.stl' \) -print0 | sort -z)
fi
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u +%F)"
printf '%-40s %10s %10s %9s %8s %s\n' mesh tris_in tris_out seconds peak_MB path
for input in "${inputs[@]}"; do
  out="$work/out"
  rm -rf "$out"
  colour=()
  case "$input" in *trellis*|*sf3d*|*triposr*) colour=(--colour) ;; esac
  /usr/bin/time -f "%e %M" -o "$work/time" ./build/keepsake mesh prepare "$input" \
    --height-mm 100 "${colour[@]}" --out "$out" >/dev/null 2>&1 || true
  read -r seconds peak_kb < "$work/time"
  python3 - "$out/report.json" "$input" "$seconds" "$peak_kb" <<'PY'
import json, sys, os
r = json.load(open(sys.argv[1]))
rep = r.get("repair", {})
path = "rebuilt" if rep.get("rebuilt_volumetrically") else ("local" if r.get("printable") else "refused")
name = "/".join(sys.argv[2].split("/")[-2:])
print(f"{name:40s} {rep.get('input_triangles', 0):10d} {rep.get('output_triangles', 0):10d} "
      f"{float(sys.argv[3]):9.2f} {int(sys.argv[4]) / 1024:8.0f} {path}")
phases = r.get("timings_s", {})
if phases:
    print("    " + "  ".join(f"{k} {v:.2f}" for k, v in phases.items()))
PY
done
