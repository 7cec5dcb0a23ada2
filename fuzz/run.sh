#!/usr/bin/env bash
# Runs one fuzzer for KEEPSAKE_FUZZ_SECONDS (60) from its committed seeds, in a scratch corpus
# so the seeds stay as committed, with a fixed seed (KEEPSAKE_FUZZ_SEED, 1) so that a run is
# repeatable; another seed explores further. A crash, a hang (an input over 25 s), a leak or an
# out-of-memory fails the run; the input is kept in ARTIFACTS to become a regression seed.
#   run.sh FUZZER SEED_DIR ARTIFACTS
set -euo pipefail
fuzzer="$1" seeds="$2" artifacts="$3"
mkdir -p "$artifacts"
work="$(mktemp -d /tmp/keepsake-fuzz-corpus-XXXXXX)"
# the fuzzer's scratch folders go in a TMPDIR of this run's own: removing them cannot touch
# those of a fuzzer running beside it (CTest runs two at a time)
scratch="$(mktemp -d /tmp/keepsake-fuzz-scratch-XXXXXX)"
export TMPDIR="$scratch"
trap 'rm -rf "$work" "$scratch"' EXIT
# full allocation stacks (Debian's libraries have no frame pointers): the leak suppressions
# name functions inside them
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1:fast_unwind_on_malloc=0:${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$(dirname "$0")/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# libFuzzer's progress lines go to a log; a failure shows its end, a pass its statistics
log="$work.log"
if "$fuzzer" -max_total_time="${KEEPSAKE_FUZZ_SECONDS:-60}" -seed="${KEEPSAKE_FUZZ_SEED:-1}" \
  -timeout=25 -rss_limit_mb=4096 -print_final_stats=1 \
  -artifact_prefix="$artifacts/$(basename "$fuzzer")-" "$work" "$seeds" > "$log" 2>&1; then
  grep -E '^(stat::|Done )' "$log"
  echo "corpus: $(ls "$work" | wc -l) inputs"
  rm -f "$log"
else
  code=$?
  tail -n 80 "$log"
  rm -f "$log"
  exit "$code"
fi
