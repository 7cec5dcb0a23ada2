#!/usr/bin/env bash
# Soak: the server is killed with SIGKILL 50 times (KEEPSAKE_SOAK_ROUNDS) at random moments
# while a client creates orders; after each restart every acknowledged order is there exactly
# once and the database passes PRAGMA integrity_check. Needs a test build (./scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
KEEPSAKE_SOAK_ROUNDS="${KEEPSAKE_SOAK_ROUNDS:-50}" ./build/tests/durability_tests \
  --gtest_filter=Durability.SigkillDuringOrderCreationLosesNothingAcknowledged
