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
  // Removes the personal data of the orders in `scope`: customer rows, and every free text
  // tied to the orders (greetings, ticket subjects and messages, event reasons, claim
  // descriptions and notes, notification payloads' reasons, carriers' scan texts, stored
  // first responses); keeps the anonymous order history. Lists the stored files that only
  // purged orders used (and, purging by date or everything, uploads no order used, from before
  // that time) and marks them purged; the caller deletes them (they stay listed in the purge's
  // row until FilesDeleted). Records the purge. Then makes the deletion physical in the
  // database: secure_delete was on, the WAL is checkpointed and truncated, the file
  // vacuumed. Errors: kInvalidArgument (scope), kNotFound (order), kStorage.
  Result<PurgeResult> PurgeCustomers(const PurgeScope& scope, const Actor& actor);
  // The signed certificate of purge `id`, kept with its row; the files it listed are gone.
  Result<void> FilesDeleted(int64_t id, const std::string& certificate);
  // The purges recorded without a certificate yet, oldest first, as PurgeCustomers answered
  // them: the one just made, and any that a crash or a file that could not be deleted cut
  // short after the database step. The caller deletes their files and certifies each.
  Result<std::vector<PurgeResult>> UnfinishedPurges();
  // The sha256 of files that purges of an older keepsake (which kept no record to certify
  // from) listed and whose deletion was not confirmed: deleted again by the next purge.
  Result<std::vector<std::string>> FilesLeftByPurges();

 private:
  Database* db_;
};

}  // namespace keepsake::orders
