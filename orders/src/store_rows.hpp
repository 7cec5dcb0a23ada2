// Private: row mapping and in-transaction steps shared by the repositories (rows.cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <SQLiteCpp/SQLiteCpp.h>

#include "keepsake/orders/store.hpp"

namespace keepsake::orders {

// A required text of at most `max_len` bytes.
inline bool ValidText(const std::string& s, size_t max_len) {
  return !s.empty() && s.size() <= max_len;
}

}  // namespace keepsake::orders

namespace keepsake::orders::rows {

std::optional<Asset> LoadAsset(SQLite::Database& db, const std::string& id);
// The kind (mesh, image) of an uploaded asset; kNotFound naming `field` when it was not.
Result<std::string> AssetKind(SQLite::Database& db, const std::string& asset_id,
                              const std::string& field);
void AppendEvent(SQLite::Database& db, const Event& e);
// One audit row, now, inside the caller's transaction.
void AppendAudit(SQLite::Database& db, const AuditRecord& record);
void EnqueueJob(SQLite::Database& db, int64_t item_id, const std::string& asset_id,
                const std::string& asset_kind, int max_attempts);
// An item's columns in ItemFromRow's order; the greeting decrypted ('' stays '').
inline constexpr const char* kItemColumns =
    "id, order_id, position, product, options, COALESCE(asset_id, ''), state, version, "
    "created_at, updated_at, COALESCE(print_file, ''), tuning, "
    "COALESCE(ks_decrypt(NULLIF(text, '')), '')";
Item ItemFromRow(SQLite::Statement& q);
// The customer's seven columns of `customers c`, decrypted, in OrderFromRow's order (after
// c.id): name, phone, province, city, district, street, detail.
inline constexpr const char* kCustomerColumns =
    "ks_decrypt(c.name), ks_decrypt(c.phone), ks_decrypt(c.province), ks_decrypt(c.city), "
    "ks_decrypt(c.district), ks_decrypt(c.street), ks_decrypt(c.detail)";
Order OrderFromRow(SQLite::Statement& q);
std::optional<Item> LoadItem(SQLite::Database& db, int64_t item_id);
// `where` uses one placeholder bound to `key`, e.g. "o.id = ?".
std::optional<Order> LoadOrder(SQLite::Database& db, const char* where, const std::string& key);
void LoadItems(SQLite::Database& db, Order& order);
// Takes an order event inside the caller's transaction (state table, hold/resume, cancel
// cascade, delivery-exception ticket, timeline).
Result<Order> ApplyOrderEvent(SQLite::Database& db, int64_t order_id, std::string_view event,
                              const Actor& actor, const std::string& reason,
                              std::optional<int64_t> expected_version, int job_max_attempts);
// Inserts an open ticket (and its ticket.opened event when it is about an order) in the
// caller's transaction; the subject is cut at 200 bytes on a character boundary. Returns its id.
// The tickets Keepsake opens itself (a failed job, a courier's exception) come through here.
int64_t InsertTicket(SQLite::Database& db, const NewTicket& ticket, const Actor& actor,
                     std::optional<int64_t> item_id = std::nullopt);
Result<Item> ApplyItemChange(SQLite::Database& db, const Item& item, const ItemChange& change,
                             const Actor& actor, int job_max_attempts);

}  // namespace keepsake::orders::rows
