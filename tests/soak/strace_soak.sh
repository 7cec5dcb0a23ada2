#!/usr/bin/env bash
# Proves that a customer's hostile file makes no process open anything outside its place: runs
# the hostile-files test (every file of Abuse.HostileFiles... through the API: lying GLBs, deep
# glTF, glTF and OBJ pointing at /etc/passwd, ZIP bombs, a PNG bomb, ...) with the server under
# `strace -f`, then checks every open, create, rename and removal of the server and of its
# sandboxed workers (tests/soak/check_opens.py): a worker stays in its job folder (reading
# system libraries and fonts aside), the server in its data folder. Needs strace (Debian;
# installed here when run as root).
#   tests/soak/strace_soak.sh [rounds=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-3}"
if ! command -v strace >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q strace >/dev/null
  else
    echo "strace is needed: sudo apt-get install strace" >&2
    exit 2
  fi
fi
scripts/build.sh -DKEEPSAKE_BUILD_TESTS=ON >/dev/null
work="$(mktemp -d /tmp/keepsake-strace-XXXXXX)"
trap 'rm -rf "$work"' EXIT
status=0
for round in $(seq "$rounds"); do
  trace="$work/trace-$round"
  # file calls, process creation and working directories; -qq: no attach/exit noise
  KEEPSAKE_TEST_SERVER_WRAPPER="strace -f -q -y -s 512 -o $trace -e trace=%file,chdir,fchdir,clone,clone3,fork,vfork,execve" \
    ./build/tests/services_tests --gtest_filter='Abuse.HostileFiles*' >"$work/test-$round.log" 2>&1 ||
    { cat "$work/test-$round.log"; exit 1; }
  echo "round $round: $(grep -o '[0-9]* refused at the upload, [0-9]* failed in the worker' "$work/test-$round.log")"
  python3 tests/soak/check_opens.py "$trace" || status=1
done
[ "$status" = 0 ] && echo "PASS"
exit "$status"
