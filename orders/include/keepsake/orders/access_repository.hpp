// Who may reach the store and what they did: API tokens, the audit log, and the purge of customers'
// personal data.
// One of the store's repositories (store.hpp): every method is one transaction over the
// store's database; all may be called from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keepsake/orders/error.hpp"
#include "keepsake/orders/role.hpp"
#include "keepsake/orders/types.hpp"

namespace keepsake::orders {

struct Database;

class AccessRepository {
 public:
  explicit AccessRepository(Database& db) : db_(&db) {}

  // `expires_at` (UTC ISO time) ends the token by itself; `demo` marks the demo's own tokens.
  // Audited as token.create.
  Result<int64_t> CreateToken(const std::string& token_hash, Role role, const std::string& name,
                              std::optional<std::string> expires_at = std::nullopt,
                              bool demo = false);
  // A live token: not revoked, not expired. kNotFound otherwise.
  Result<TokenInfo> FindToken(const std::string& token_hash);
  Result<std::vector<TokenRecord>> ListTokens();
  // Revokes the live token `id`, or every live token named `name`; audited as token.revoke
  // with `actor`. Returns how many; kNotFound when none was live.
  Result<int> RevokeToken(std::optional<int64_t> id, std::optional<std::string> name,
                          const std::string& actor);
  // Revokes the live tokens the demo made; returns how many.
  Result<int> RevokeDemoTokens();
  Result<void> AppendAudit(const AuditRecord& record);
  // The audit log, newest first.
  Result<std::vector<AuditEntry>> ListAudit(std::optional<int64_t> before_id, int limit);
  // Removes the personal data of orders that ended (completed or cancelled) before
  // `before_iso` (every order, ended or not, when `everything`): customer rows, greetings,
  // ticket messages, stored first responses; keeps the anonymous order history; records the
  // purge. Then makes the deletion physical: secure_delete was on, the WAL is checkpointed and
  // truncated, the file vacuumed. Errors: kInvalidArgument (date), kStorage.
  Result<PurgeResult> PurgeCustomers(const std::string& before_iso, bool everything,
                                     const Actor& actor);

 private:
  Database* db_;
};

}  // namespace keepsake::orders
