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
    SQLite::Statement ins(db,
                          "INSERT INTO audit(at, actor, role, action, order_id, detail, peer) "
                          "VALUES(?,?,?,?,?,?,?)");
    ins.bind(1, NowUtcIso());
    ins.bind(2, record.actor);
    ins.bind(3, record.role);
    ins.bind(4, record.action);
    if (record.order_id) {
      ins.bind(5, *record.order_id);
    } else {
      ins.bind(5);
    }
    ins.bind(6, record.detail);
    ins.bind(7, record.peer);
    ins.exec();
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

Result<PurgeResult> AccessRepository::PurgeCustomers(const std::string& before_iso, bool everything,
                                                     const Actor& actor) {
  if (!everything && UnixMsFromIso(before_iso) < 0) {
    return Fail(Errc::kInvalidArgument,
                "before must be a UTC time like 2026-11-01T00:00:00Z (or purge everything)",
                "before");
  }
  auto purged = db_->Write([&](SQLite::Database& db) -> Result<PurgeResult> {
    std::string sql =
        "SELECT o.id, o.number, o.customer_id FROM orders o WHERE o.customer_id IS NOT NULL";
    if (!everything) sql += " AND o.state IN ('completed', 'cancelled') AND o.updated_at < ?";
    sql += " ORDER BY o.id";
    SQLite::Statement q(db, sql);
    if (!everything) q.bind(1, before_iso);
    std::vector<int64_t> order_ids, customer_ids;
    std::string numbers;
    while (q.executeStep()) {
      order_ids.push_back(q.getColumn(0).getInt64());
      numbers += q.getColumn(1).getString() + "\n";
      customer_ids.push_back(q.getColumn(2).getInt64());
    }
    PurgeResult result;
    result.at = NowUtcIso();
    for (int64_t order_id : order_ids) {
      const std::string id = std::to_string(order_id);
      // the customer row goes (orders.customer_id is set to NULL by the foreign key); then the
      // customer's own words, and the first response of the order's creation, which holds
      // the customer as the channel sent it
      db.exec("UPDATE orders SET customer_id = NULL WHERE id = " + id);
      db.exec("UPDATE items SET text = '' WHERE order_id = " + id + " AND text != ''");
      db.exec(
          "UPDATE jobs SET params = json_remove(params, '$.text') WHERE item_id IN "
          "(SELECT id FROM items WHERE order_id = " +
          id + ") AND json_extract(params, '$.text') IS NOT NULL");
      db.exec(
          "UPDATE ticket_log SET body = '(purged)' WHERE kind IN ('message', 'note') AND "
          "ticket_id IN (SELECT id FROM tickets WHERE order_id = " +
          id + ")");
      db.exec("DELETE FROM idempotency WHERE order_id = " + id);
      // a carrier's scan text can name who signed for the parcel
      db.exec(
          "UPDATE tracking_events SET description = '' WHERE shipment_id IN (SELECT id FROM "
          "shipments WHERE order_id = " +
          id + ")");
    }
    std::sort(customer_ids.begin(), customer_ids.end());
    customer_ids.erase(std::unique(customer_ids.begin(), customer_ids.end()), customer_ids.end());
    for (int64_t customer : customer_ids) {
      SQLite::Statement still_used(db, "SELECT 1 FROM orders WHERE customer_id = ? LIMIT 1");
      still_used.bind(1, customer);
      if (still_used.executeStep()) continue;
      db.exec("DELETE FROM customers WHERE id = " + std::to_string(customer));
      ++result.customers;
    }
    result.orders = static_cast<int>(order_ids.size());
    result.digest = Sha256Hex(numbers);
    SQLite::Statement rec(db,
                          "INSERT INTO purges(at, actor, completed_before, orders, customers, "
                          "digest) VALUES(?,?,?,?,?,?)");
    rec.bind(1, result.at);
    rec.bind(2, actor.name);
    rec.bind(3, everything ? std::string("everything") : before_iso);
    rec.bind(4, result.orders);
    rec.bind(5, result.customers);
    rec.bind(6, result.digest);
    rec.exec();
    SQLite::Statement audit(db,
                            "INSERT INTO audit(at, actor, role, action, detail) "
                            "VALUES(?,?,?,'customers.purge',?)");
    audit.bind(1, result.at);
    audit.bind(2, actor.name);
    audit.bind(3, std::string(RoleName(actor.role)));
    audit.bind(4, json{{"orders", result.orders},
                       {"customers", result.customers},
                       {"digest", result.digest},
                       {"before", everything ? "everything" : before_iso}}
                      .dump());
    audit.exec();
    return result;
  });
  if (!purged) return purged;
  // the deleted cells were zeroed (secure_delete); now the copies in the WAL and in free
  // pages go: checkpoint and truncate the WAL, rebuild the file, truncate again
  try {
    std::lock_guard<std::mutex> lock(db_->write_mutex);
    db_->writer->exec("PRAGMA wal_checkpoint(TRUNCATE)");
    db_->writer->exec("VACUUM");
    db_->writer->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  } catch (const SQLite::Exception& e) {
    return Fail(
        Errc::kStorage,
        std::string("the data was deleted but the file could not be compacted: ") + e.what());
  }
  return purged;
}

}  // namespace keepsake::orders
