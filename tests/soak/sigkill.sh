#!/usr/bin/env bash
# Soak: the server is killed with SIGKILL 50 times (KEEPSAKE_SOAK_ROUNDS) at random moments,
# first while a client creates orders, then while five clients work at once (orders, uploads,
# orders whose jobs run in the sandbox, an engineer's approvals, parcels and their labels).
# After each run every acknowledged write is there exactly once, every job finished once, the
# database passes PRAGMA integrity_check and no temporary file or job folder is left.
# Needs a test build (./scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
KEEPSAKE_SOAK_ROUNDS="${KEEPSAKE_SOAK_ROUNDS:-50}" ./build/tests/durability_tests \
  --gtest_filter='Durability.SigkillDuringOrderCreationLosesNothingAcknowledged:Durability.SigkillDuringMixedLoadLosesNothingAcknowledged'
