// Warranty claims: opened with photo evidence within the window, decided (a reprint is a new order
// with the frozen print file, in the same transaction).
// One of the store's repositories (store.hpp): every method is one transaction over the
// store's database; all may be called from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keepsake/orders/error.hpp"
#include "keepsake/orders/role.hpp"
#include "keepsake/orders/types.hpp"

namespace keepsake::orders {

struct Database;

class ClaimRepository {
 public:
  explicit ClaimRepository(Database& db) : db_(&db) {}

  // Opens a claim on a delivered item within `window_days` of delivery; outside the window (or
  // before delivery) only an admin with an override reason may. Evidence must be image assets.
  // Errors: kNotFound, kInvalidArgument (reason, window, evidence), kForbiddenTransition.
  Result<Claim> OpenClaim(const NewClaim& claim, const Actor& actor, int window_days);
  Result<Claim> GetClaim(int64_t id);
  // Newest first; by order (0: any) and state (empty: any).
  Result<std::vector<Claim>> ListClaims(int64_t order_id, const std::string& state, int limit);
  // Takes a decision from the claim table. approve_reprint creates the reshipment: a new order
  // for the same customer, marked as the reshipment of the original, whose item is approved
  // with the original's frozen print file (same sha256) and goes straight to production.
  Result<Claim> DecideClaim(int64_t id, const ClaimDecision& decision, const Actor& actor);

 private:
  Database* db_;
};

}  // namespace keepsake::orders
