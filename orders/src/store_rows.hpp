// Private: row mapping and in-transaction steps shared by store.cpp and job_queue.cpp.
#pragma once

#include <optional>
#include <string>

#include <SQLiteCpp/SQLiteCpp.h>

#include "keepsake/orders/store.hpp"

namespace keepsake::orders::rows {

void AppendEvent(SQLite::Database& db, const Event& e);
void EnqueueJob(SQLite::Database& db, int64_t item_id, const std::string& asset_id,
                const std::string& asset_kind, int max_attempts);
Item ItemFromRow(SQLite::Statement& q);
Order OrderFromRow(SQLite::Statement& q);
std::optional<Item> LoadItem(SQLite::Database& db, int64_t item_id);
// `where` uses one placeholder bound to `key`, e.g. "o.id = ?".
std::optional<Order> LoadOrder(SQLite::Database& db, const char* where, const std::string& key);
void LoadItems(SQLite::Database& db, Order& order);
Result<Item> ApplyItemChange(SQLite::Database& db, const Item& item, const ItemChange& change,
                             const Actor& actor, int job_max_attempts);

}  // namespace keepsake::orders::rows
