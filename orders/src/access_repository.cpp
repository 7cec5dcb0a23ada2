// API tokens, the audit log and the purge of customers' personal data.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include "database.hpp"
#include "keepsake/orders/crypto.hpp"
#include "keepsake/orders/job_kind.hpp"
#include "keepsake/orders/state_machine.hpp"
#include "keepsake/orders/store.hpp"
#include "store_rows.hpp"

namespace keepsake::orders {

using nlohmann::json;

Result<int64_t> AccessRepository::CreateToken(const std::string& token_hash, Role role,
                                              const std::string& name,
                                              std::optional<std::string> expires_at, bool demo) {
  if (!ValidText(name, 100))
    return Fail(Errc::kInvalidArgument, "token name is 1-100 bytes", "name");
  return db_->Write([&](SQLite::Database& db) -> Result<int64_t> {
    SQLite::Statement ins(db,
                          "INSERT INTO api_tokens(token_hash, role, name, created_at, expires_at, "
                          "demo) VALUES(?,?,?,?,?,?)");
    ins.bind(1, token_hash);
    ins.bind(2, std::string(RoleName(role)));
    ins.bind(3, name);
    ins.bind(4, NowUtcIso());
    if (expires_at) {
      ins.bind(5, *expires_at);
    } else {
      ins.bind(5);
    }
    ins.bind(6, demo ? 1 : 0);
    ins.exec();
    const int64_t id = db.getLastInsertRowid();
    SQLite::Statement audit(db,
                            "INSERT INTO audit(at, actor, role, action, detail) "
                            "VALUES(?, 'keepsake', 'admin', 'token.create', ?)");
    audit.bind(1, NowUtcIso());
    json detail = {{"token_id", id}, {"role", RoleName(role)}, {"name", name}, {"demo", demo}};
    if (expires_at) detail["expires_at"] = *expires_at;
    audit.bind(2, detail.dump());
    audit.exec();
    return id;
  });
}

Result<TokenInfo> AccessRepository::FindToken(const std::string& token_hash) {
  return db_->Read([&](SQLite::Database& db) -> Result<TokenInfo> {
    // ISO times in UTC compare as text
    SQLite::Statement q(db,
                        "SELECT id, name, role FROM api_tokens WHERE token_hash = ? "
                        "AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)");
    q.bind(1, token_hash);
    q.bind(2, NowUtcIso());
    if (!q.executeStep()) return Fail(Errc::kNotFound, "unknown, revoked or expired token");
    auto role = ParseTokenRole(q.getColumn(2).getString());
    if (!role) return Fail(Errc::kStorage, "token has an unknown role");
    return TokenInfo{q.getColumn(0).getInt64(), q.getColumn(1).getString(), *role};
  });
}

Result<std::vector<TokenRecord>> AccessRepository::ListTokens() {
  return db_->Read([&](SQLite::Database& db) -> Result<std::vector<TokenRecord>> {
    SQLite::Statement q(db,
                        "SELECT id, name, role, created_at, expires_at, revoked_at, demo "
                        "FROM api_tokens ORDER BY id");
    std::vector<TokenRecord> out;
    while (q.executeStep()) {
      TokenRecord t;
      t.id = q.getColumn(0).getInt64();
      t.name = q.getColumn(1).getString();
      auto role = ParseTokenRole(q.getColumn(2).getString());
      if (!role)
        return Fail(Errc::kStorage, "token " + std::to_string(t.id) + " has an unknown role");
      t.role = *role;
      t.created_at = q.getColumn(3).getString();
      if (!q.getColumn(4).isNull()) t.expires_at = q.getColumn(4).getString();
      if (!q.getColumn(5).isNull()) t.revoked_at = q.getColumn(5).getString();
      t.demo = q.getColumn(6).getInt() != 0;
      out.push_back(std::move(t));
    }
    return out;
  });
}

Result<int> AccessRepository::RevokeToken(std::optional<int64_t> id,
                                          std::optional<std::string> name,
                                          const std::string& actor) {
  if (!id && !name) return Fail(Errc::kInvalidArgument, "say which token: its id or its name");
  return db_->Write([&](SQLite::Database& db) -> Result<int> {
    const std::string now = NowUtcIso();
    SQLite::Statement upd(db, id ? "UPDATE api_tokens SET revoked_at = ? WHERE revoked_at IS NULL "
                                   "AND id = ?"
                                 : "UPDATE api_tokens SET revoked_at = ? WHERE revoked_at IS NULL "
                                   "AND name = ?");
    upd.bind(1, now);
    if (id) {
      upd.bind(2, *id);
    } else {
      upd.bind(2, *name);
    }
    const int revoked = upd.exec();
    if (revoked == 0) {
      return Fail(Errc::kNotFound, id ? "no live token has id " + std::to_string(*id)
                                      : "no live token is named " + *name);
    }
    SQLite::Statement audit(db,
                            "INSERT INTO audit(at, actor, role, action, detail) "
                            "VALUES(?, ?, 'admin', 'token.revoke', ?)");
    audit.bind(1, now);
    audit.bind(2, actor);
    json detail = {{"revoked", revoked}};
    if (id) detail["token_id"] = *id;
    if (name) detail["name"] = *name;
    audit.bind(3, detail.dump());
    audit.exec();
    return revoked;
  });
}

Result<int> AccessRepository::RevokeDemoTokens() {
  return db_->Write([&](SQLite::Database& db) -> Result<int> {
    SQLite::Statement upd(
        db, "UPDATE api_tokens SET revoked_at = ? WHERE revoked_at IS NULL AND demo = 1");
    upd.bind(1, NowUtcIso());
    return upd.exec();
  });
}

Result<void> AccessRepository::AppendAudit(const AuditRecord& record) {
  return db_->Write([&](SQLite::Database& db) -> Result<void> {
    rows::AppendAudit(db, record);
    return {};
  });
}

Result<std::vector<AuditEntry>> AccessRepository::ListAudit(std::optional<int64_t> before_id,
                                                            int limit) {
  if (limit < 1 || limit > 1000)
    return Fail(Errc::kInvalidArgument, "limit must be 1-1000", "limit");
  return db_->Read([&](SQLite::Database& db) -> Result<std::vector<AuditEntry>> {
    SQLite::Statement q(db,
                        "SELECT id, at, actor, role, action, order_id, detail, peer FROM audit "
                        "WHERE id < ? ORDER BY id DESC LIMIT ?");
    q.bind(1, before_id.value_or(INT64_MAX));
    q.bind(2, limit);
    std::vector<AuditEntry> out;
    while (q.executeStep()) {
      AuditEntry e;
      e.id = q.getColumn(0).getInt64();
      e.at = q.getColumn(1).getString();
      e.actor = q.getColumn(2).getString();
      e.role = q.getColumn(3).getString();
      e.action = q.getColumn(4).getString();
      if (!q.getColumn(5).isNull()) e.order_id = q.getColumn(5).getInt64();
      e.detail = q.getColumn(6).getString();
      e.peer = q.getColumn(7).getString();
      out.push_back(std::move(e));
    }
    return out;
  });
}

}  // namespace keepsake::orders
