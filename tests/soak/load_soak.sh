#!/usr/bin/env bash
# Mixed load for ten minutes (issue 8's load check): wrk on loopback sends 90 % order lookups
# (customer service) and 10 % order creations (the channel) while figure orders with real AI
# meshes keep both sandboxed workers busy. Passes when no request failed and the server's
# resident memory drifted less than 5 % (highest sample of the second tenth of the run against
# the highest of the last).
# Prints requests/s, wrk's latency over all requests, and each route's p50/p99 as the server
# timed them (from its request log). Needs wrk (Debian: apt-get install wrk; installed here
# when run as root).
#   tests/soak/load_soak.sh [seconds=600] [connections=8]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-600}"
connections="${2:-8}"
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null
  else
    echo "wrk is needed: sudo apt-get install wrk" >&2
    exit 2
  fi
fi
scripts/build.sh >/dev/null
data="$(mktemp -d /tmp/keepsake-soak-XXXXXX)"
server="" mesher="" sampler=""
cleanup() {
  for pid in $sampler $mesher $server; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT
./build/keepsake serve --data "$data/var" --listen 127.0.0.1:0 --port-file "$data/port" \
  --personal-searches-per-minute 0 2>"$data/server.log" >/dev/null &
server=$!
for _ in $(seq 100); do [ -s "$data/port" ] && break; sleep 0.1; done
port="$(cat "$data/port")"
base="http://127.0.0.1:$port"
channel="$(./build/keepsake token create --data "$data/var" --role channel --name soak-channel)"
cs="$(./build/keepsake token create --data "$data/var" --role cs --name soak-cs)"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r); $(date -u +%F)"

# orders to look up, made the same way the load makes them
seed=2000
wrk -t1 -c4 -d600s -s tests/soak/mixed.lua "$base" -- "$cs" "$channel" 1 seed >/dev/null &
seeder=$!
for _ in $(seq 600); do
  n="$(curl -s -H "Authorization: Bearer $cs" "$base/api/v1/orders/$seed" -o /dev/null \
    -w '%{http_code}')"
  [ "$n" = 200 ] && break
  sleep 0.2
done
kill "$seeder"; wait "$seeder" 2>/dev/null || true

# figure orders with real meshes, one every 10 s, for the two workers
upload() {
  curl -s -X POST -H "Authorization: Bearer $channel" --data-binary "@$1" "$base/api/v1/assets" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'
}
tar -xzf /usr/share/doc/libcgal-dev/data.tar.gz -C "$data" data/meshes/armadillo.off
meshes=("$(upload tests/data/meshes/triposr_chair/mesh.obj)"
        "$(upload "$data/data/meshes/armadillo.off")")
(
  i=0
  while true; do
    asset="${meshes[$((i % 2))]}"
    curl -s -o /dev/null -X POST -H "Authorization: Bearer $channel" \
      -H "Idempotency-Key: soak-mesh-$i" -H "Content-Type: application/json" \
      --data "{\"channel_ref\":\"soak-mesh-$i\",\"customer\":{\"name\":\"压测用户\",\"phone\":\"13800138000\",\"address\":{\"province\":\"浙江省\",\"city\":\"杭州市\",\"district\":\"西湖区\",\"street\":\"文三路\",\"detail\":\"1\"}},\"items\":[{\"product\":\"figure-white\",\"asset\":\"$asset\",\"options\":{\"height_mm\":80}}]}" \
      "$base/api/v1/orders"
    i=$((i + 1))
    sleep 10
  done
) &
mesher=$!

# the server's resident memory every 5 s: all of it, its heap and stacks (anonymous), and its
# files mapped (the executable and libraries)
(while true; do
  echo "$(date +%s) $(awk '/^(VmRSS|RssAnon|RssFile):/{printf "%s ", $2}' "/proc/$server/status")" \
    >>"$data/rss"
  sleep 5
done) &
sampler=$!

lines_before="$(wc -l <"$data/server.log")"
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s tests/soak/mixed.lua "$base" \
  -- "$cs" "$channel" "$seed" "soak-$$" | tee "$data/wrk.txt"
kill "$mesher" "$sampler"; wait "$mesher" "$sampler" 2>/dev/null || true

# the figures
requests_per_s="$(awk '/Requests\/sec/{print $2}' "$data/wrk.txt")"
errors="$(grep -E 'Non-2xx|Socket errors' "$data/wrk.txt" || true)"
failed="$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' "$data/wrk.txt")"
echo "--- server-side times of the load's routes (from the request log)"
tail -n +"$((lines_before + 1))" "$data/server.log" | python3 -c '
import re, sys
times, bad = {}, {}
for line in sys.stdin:
    m = re.search(r"method=(\S+) route=(\S+) status=(\d+) ms=([\d.]+)", line)
    if not m:
        continue
    key = m.group(1) + " " + m.group(2)
    times.setdefault(key, []).append(float(m.group(4)))
    if not m.group(3).startswith("2"):
        bad[key] = bad.get(key, 0) + 1
for key, t in sorted(times.items(), key=lambda kv: -len(kv[1])):
    t.sort()
    pick = lambda q: t[min(len(t) - 1, int(q * len(t)))]
    print(f"{key}: {len(t)} requests, p50 {pick(0.5):.2f} ms, p99 {pick(0.99):.2f} ms, "
          f"max {t[-1]:.2f} ms, not 2xx: {bad.get(key, 0)}")
'
done_jobs="$(grep -c 'event=job_end.*outcome=succeeded' "$data/server.log" || true)"
failed_jobs="$(grep -c 'event=job_end.*outcome=failed' "$data/server.log" || true)"
echo "mesh jobs: $done_jobs succeeded, $failed_jobs failed"
python3 - "$data/rss" "$seconds" <<'PY'
import sys
samples = [tuple(map(int, line.split())) for line in open(sys.argv[1]) if len(line.split()) == 4]
start, seconds = samples[0][0], int(sys.argv[2])
# The server's memory swings by about 12 MB over minutes under this load (not traced: the
# allocator keeping or returning freed memory, or a finished job's files passing through), so
# one sample is up or down by that much: each tenth of the run is summed up by its lowest and
# highest sample, and the drift compares the highest of the second tenth (caches warm) with
# the highest of the last.
tenths = [[s for s in samples if seconds * (k - 1) / 10 <= s[0] - start < seconds * k / 10]
          for k in range(1, 11)]
tenths = [t for t in tenths if t]
print("resident memory (MB) by tenth of the run: all (lowest-highest), anonymous (lowest-highest)")
for k, t in enumerate(tenths, 1):
    print(f"  {k * 10:3d} %: {min(s[1] for s in t) / 1024:6.1f}-{max(s[1] for s in t) / 1024:6.1f}"
          f"  {min(s[2] for s in t) / 1024:6.1f}-{max(s[2] for s in t) / 1024:6.1f}")
first, last = max(s[1] for s in tenths[1]), max(s[1] for s in tenths[-1])
drift = (last - first) / first * 100
print(f"resident memory: highest {first / 1024:.1f} MB in the second tenth, {last / 1024:.1f} MB "
      f"in the last: drift {drift:+.1f} %")
open(sys.argv[1] + ".drift", "w").write(f"{drift}")
PY
drift="$(cat "$data/rss.drift")"
echo "requests/s: $requests_per_s"
status=0
if [ -n "$errors" ] || [ "${failed:-1}" != 0 ]; then
  echo "FAIL: requests failed: ${errors:-} failed=${failed:-?}"
  status=1
fi
if python3 -c "import sys; sys.exit(0 if abs($drift) < 5 else 1)"; then :; else
  echo "FAIL: memory drifted ${drift} %"
  status=1
fi
[ "$status" = 0 ] && echo "PASS"
exit "$status"
