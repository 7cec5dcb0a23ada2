// The purge of customers' personal data (AccessRepository): the customer rows, every free text
// tied to the purged orders, and the list of stored files that only those orders used, in one
// transaction; then the database file is compacted so that nothing deleted lingers in it.
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include "database.hpp"
#include "keepsake/orders/access_repository.hpp"
#include "keepsake/orders/crypto.hpp"
#include "store_rows.hpp"

namespace keepsake::orders {

namespace {

using nlohmann::json;

// What stands in for a redacted text.
constexpr const char* kPurged = "(purged)";

// (order id, sha256) for every stored file the orders in `orders_sql` (a query of order ids)
// refer to: the item's upload, each job's input, and any file id inside a job's parameters or
// result (print files, previews, models), a claim's evidence or an event's detail.
std::string FileRefsSql(const std::string& orders_sql) {
  const std::string items = "SELECT id, order_id FROM items WHERE order_id IN (" + orders_sql + ")";
  const auto tree = [](const std::string& column, const std::string& empty) {
    return "json_tree(CASE WHEN json_valid(" + column + ") THEN " + column + " ELSE '" + empty +
           "' END) t";
  };
  return "SELECT order_id AS o, asset_id AS v FROM items WHERE order_id IN (" + orders_sql +
         ") AND asset_id IS NOT NULL"
         " UNION SELECT i.order_id, j.asset_id FROM jobs j JOIN (" +
         items + ") i ON i.id = j.item_id UNION SELECT i.order_id, t.value FROM jobs j JOIN (" +
         items + ") i ON i.id = j.item_id, " + tree("j.result", "{}") +
         " WHERE t.type = 'text' UNION SELECT i.order_id, t.value FROM jobs j JOIN (" + items +
         ") i ON i.id = j.item_id, " + tree("j.params", "{}") +
         " WHERE t.type = 'text' UNION SELECT c.order_id, t.value FROM claims c, " +
         tree("c.evidence", "[]") + " WHERE c.order_id IN (" + orders_sql +
         ") AND t.type = 'text' UNION SELECT e.order_id, t.value FROM events e, " +
         tree("e.detail", "{}") + " WHERE e.order_id IN (" + orders_sql + ") AND t.type = 'text'";
}

// The orders a scope takes (id, number, customer id or 0). kNotFound for an unknown order.
// By order number it is the customer's: every order with the same phone.
Result<std::vector<std::tuple<int64_t, std::string, int64_t>>> ScopeOrders(
    SQLite::Database& db, const PurgeScope& scope) {
  std::string sql = "SELECT id, number, coalesce(customer_id, 0) FROM orders WHERE ";
  if (!scope.order_number.empty()) {
    // one customer: the order named, and every other order of the same phone number (found
    // by its blind index; a reprint shares its original's customer row)
    sql +=
        "number = ?1 OR customer_id IN (SELECT id FROM customers WHERE phone_index = (SELECT "
        "c.phone_index FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.number = "
        "?1))";
  } else if (scope.everything) {
    sql += "customer_id IS NOT NULL";
  } else {
    sql += "customer_id IS NOT NULL AND state IN ('completed', 'cancelled') AND updated_at < ?";
  }
  SQLite::Statement q(db, sql + " ORDER BY id");
  if (!scope.order_number.empty()) {
    q.bind(1, scope.order_number);
  } else if (!scope.everything) {
    q.bind(1, scope.before_iso);
  }
  std::vector<std::tuple<int64_t, std::string, int64_t>> out;
  while (q.executeStep()) {
    out.emplace_back(q.getColumn(0).getInt64(), q.getColumn(1).getString(),
                     q.getColumn(2).getInt64());
  }
  if (out.empty() && !scope.order_number.empty()) {
    return Fail(Errc::kNotFound, "order " + scope.order_number + " does not exist", "order");
  }
  return out;
}

// Blanks every free text tied to the orders in temp.purge_orders; returns how many texts.
int64_t RedactTexts(SQLite::Database& db) {
  const std::string in = "(SELECT id FROM temp.purge_orders)";
  const std::string items = "(SELECT id FROM items WHERE order_id IN " + in + ")";
  const std::string tickets = "(SELECT id FROM tickets WHERE order_id IN " + in + ")";
  const std::string purged = std::string("'") + kPurged + "'";
  int64_t n = 0;
  // the greeting, and the copy a print job was given
  n += db.exec("UPDATE items SET text = '' WHERE order_id IN " + in + " AND text != ''");
  n += db.exec("UPDATE jobs SET params = json_remove(params, '$.text') WHERE item_id IN " + items +
               " AND json_valid(params) AND json_extract(params, '$.text') IS NOT NULL");
  // what customer service wrote and heard: subjects, messages, notes, state changes' words
  n += db.exec("UPDATE tickets SET subject = " + purged + " WHERE order_id IN " + in +
               " AND subject != " + purged);
  n += db.exec("UPDATE ticket_log SET body = " + purged + " WHERE ticket_id IN " + tickets +
               " AND kind != 'breach' AND body != " + purged);
  // the reasons given for changes ("the customer moved to ..."), and the notifications that
  // carried them to the channel
  n += db.exec("UPDATE events SET reason = " + purged + " WHERE order_id IN " + in +
               " AND reason != '' AND reason != " + purged);
  n += db.exec("UPDATE outbox SET body = json_set(body, '$.data.reason', " + purged +
               ") WHERE json_valid(body) AND json_extract(body, '$.data.order') IN (SELECT number "
               "FROM orders WHERE id IN " +
               in + ") AND coalesce(json_extract(body, '$.data.reason'), '') NOT IN ('', " +
               purged + ")");
  // claims: the customer's description, the decisions' notes
  for (const char* column : {"description", "decision_note", "override_reason"}) {
    n += db.exec(std::string("UPDATE claims SET ") + column + " = " + purged +
                 " WHERE order_id IN " + in + " AND " + column + " != '' AND " + column +
                 " != " + purged);
  }
  // a carrier's scan text can name who signed for the parcel
  n += db.exec(
      "UPDATE tracking_events SET description = '' WHERE description != '' AND shipment_id IN "
      "(SELECT id FROM shipments WHERE order_id IN " +
      in + ")");
  // and the raw pushes that carried those texts (kept for a dispute, not past a purge)
  n += db.exec(
      "UPDATE carrier_pushes SET body = '' WHERE body != '' AND id IN (SELECT push_id FROM "
      "carrier_push_parcels WHERE shipment_id IN (SELECT id FROM shipments WHERE order_id IN " +
      in + "))");
  // the labels carriers drew hold the full address
  n += db.exec(
      "DELETE FROM carrier_label_files WHERE shipment_id IN (SELECT id FROM shipments WHERE "
      "order_id IN " +
      in + ")");
  // the first response of the order's creation holds the customer as the channel sent it
  n += db.exec("DELETE FROM idempotency WHERE order_id IN " + in);
  return n;
}

// A purge's record (everything its certificate says) and back.
json RecordOf(const PurgeResult& r) {
  json files = json::array(), shared = json::array();
  for (const PurgedFile& f : r.files) {
    files.push_back(
        {{"sha256", f.sha256}, {"kind", f.kind}, {"format", f.format}, {"bytes", f.bytes}});
  }
  for (const SharedFile& f : r.shared_files) {
    shared.push_back({{"sha256", f.sha256}, {"kept_orders", f.kept_orders}});
  }
  return {{"at", r.at},         {"orders", r.order_numbers}, {"customers", r.customers},
          {"digest", r.digest}, {"texts", r.texts_redacted}, {"files", files},
          {"shared", shared},   {"actor", r.actor},          {"scope", r.scope}};
}

std::optional<PurgeResult> ResultOf(int64_t id, const std::string& record) {
  const json j = json::parse(record, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  try {
    PurgeResult r;
    r.id = id;
    r.at = j.at("at").get<std::string>();
    r.order_numbers = j.at("orders").get<std::vector<std::string>>();
    r.orders = static_cast<int>(r.order_numbers.size());
    r.customers = j.at("customers").get<int>();
    r.digest = j.at("digest").get<std::string>();
    r.texts_redacted = j.at("texts").get<int64_t>();
    for (const json& f : j.at("files")) {
      r.files.push_back({f.at("sha256").get<std::string>(), f.at("kind").get<std::string>(),
                         f.at("format").get<std::string>(), f.at("bytes").get<int64_t>()});
    }
    for (const json& f : j.at("shared")) {
      r.shared_files.push_back(
          {f.at("sha256").get<std::string>(), f.at("kept_orders").get<int64_t>()});
    }
    r.actor = j.at("actor").get<std::string>();
    r.scope = j.at("scope").get<std::string>();
    return r;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

}  // namespace

Result<PurgeResult> AccessRepository::PurgeCustomers(const PurgeScope& scope, const Actor& actor) {
  const int scopes = (scope.everything ? 1 : 0) + (scope.before_iso.empty() ? 0 : 1) +
                     (scope.order_number.empty() ? 0 : 1);
  if (scopes != 1) {
    return Fail(Errc::kInvalidArgument,
                "say which orders: before a UTC time, one order by its number, or everything",
                "before");
  }
  if (!scope.before_iso.empty() && UnixMsFromIso(scope.before_iso) < 0) {
    return Fail(Errc::kInvalidArgument,
                "before must be a UTC time like 2026-11-01T00:00:00Z (or purge everything)",
                "before");
  }
  auto purged = db_->Write([&](SQLite::Database& db) -> Result<PurgeResult> {
    auto orders = ScopeOrders(db, scope);
    if (!orders) return tl::unexpected(orders.error());
    PurgeResult result;
    result.at = NowUtcIso();
    db.exec("CREATE TEMP TABLE IF NOT EXISTS purge_orders(id INTEGER PRIMARY KEY)");
    db.exec("DELETE FROM temp.purge_orders");
    std::vector<int64_t> customer_ids;
    std::string numbers;
    for (const auto& [id, number, customer] : *orders) {
      SQLite::Statement add(db, "INSERT INTO temp.purge_orders(id) VALUES(?)");
      add.bind(1, id);
      add.exec();
      result.order_numbers.push_back(number);
      numbers += number + "\n";
      if (customer != 0) customer_ids.push_back(customer);
    }

    // the files: those the purged orders used, less those a kept order uses too; and, by date
    // or everything, uploads that no order ever used (a customer's picture all the same)
    std::map<std::string, int64_t> used_by_kept;
    std::vector<std::string> released;
    {
      const std::string purged_refs = FileRefsSql("SELECT id FROM temp.purge_orders");
      const std::string kept_refs = FileRefsSql(
          "SELECT id FROM orders WHERE customer_id IS NOT NULL AND id NOT IN (SELECT id FROM "
          "temp.purge_orders)");
      SQLite::Statement shared(db, "SELECT k.v, count(DISTINCT k.o) FROM (" + kept_refs +
                                       ") k WHERE k.v IN (SELECT id FROM assets) AND k.v IN "
                                       "(SELECT v FROM (" +
                                       purged_refs + ")) GROUP BY k.v");
      while (shared.executeStep()) {
        used_by_kept[shared.getColumn(0).getString()] = shared.getColumn(1).getInt64();
      }
      std::string candidates = "SELECT v FROM (" + purged_refs + ")";
      if (scope.order_number.empty()) {
        const std::string all_refs = FileRefsSql("SELECT id FROM orders");
        candidates += " UNION SELECT id FROM assets WHERE id NOT IN (SELECT v FROM (" + all_refs +
                      "))" + (scope.everything ? std::string() : " AND created_at < ?");
      }
      SQLite::Statement files(db,
                              "SELECT id, kind, format, bytes FROM assets WHERE purged_at = '' "
                              "AND id IN (" +
                                  candidates + ") ORDER BY id");
      if (scope.order_number.empty() && !scope.everything) files.bind(1, scope.before_iso);
      while (files.executeStep()) {
        const std::string sha = files.getColumn(0).getString();
        if (used_by_kept.count(sha) > 0) continue;
        result.files.push_back({sha, files.getColumn(1).getString(), files.getColumn(2).getString(),
                                files.getColumn(3).getInt64()});
        released.push_back(sha);
      }
    }
    for (const auto& [sha, kept] : used_by_kept) result.shared_files.push_back({sha, kept});
    for (const std::string& sha : released) {
      SQLite::Statement mark(db, "UPDATE assets SET purged_at = ? WHERE id = ?");
      mark.bind(1, result.at);
      mark.bind(2, sha);
      mark.exec();
    }

    result.texts_redacted = RedactTexts(db);
    // the customer row goes (orders.customer_id is set to NULL first: the row may be shared)
    db.exec("UPDATE orders SET customer_id = NULL WHERE id IN (SELECT id FROM temp.purge_orders)");
    std::sort(customer_ids.begin(), customer_ids.end());
    customer_ids.erase(std::unique(customer_ids.begin(), customer_ids.end()), customer_ids.end());
    for (int64_t customer : customer_ids) {
      SQLite::Statement still_used(db, "SELECT 1 FROM orders WHERE customer_id = ? LIMIT 1");
      still_used.bind(1, customer);
      if (still_used.executeStep()) continue;
      db.exec("DELETE FROM customers WHERE id = " + std::to_string(customer));
      ++result.customers;
    }
    db.exec("DELETE FROM temp.purge_orders");
    result.orders = static_cast<int>(orders->size());
    result.digest = Sha256Hex(numbers);
    const std::string described = !scope.order_number.empty() ? "order " + scope.order_number
                                  : scope.everything          ? std::string("everything")
                                                              : scope.before_iso;
    result.actor = actor.name;
    result.scope = !scope.order_number.empty() ? "order " + scope.order_number
                   : scope.everything          ? std::string("every order")
                                               : "orders ended before " + scope.before_iso;
    SQLite::Statement rec(db,
                          "INSERT INTO purges(at, actor, completed_before, orders, customers, "
                          "digest, files, files_deleted, result) VALUES(?,?,?,?,?,?,?,?,?)");
    rec.bind(1, result.at);
    rec.bind(2, actor.name);
    rec.bind(3, described);
    rec.bind(4, result.orders);
    rec.bind(5, result.customers);
    rec.bind(6, result.digest);
    rec.bind(7, json(released).dump());
    rec.bind(8, released.empty() ? 1 : 0);
    rec.bind(9, RecordOf(result).dump());
    rec.exec();
    result.id = db.getLastInsertRowid();
    rows::AppendAudit(
        db, {actor.name, std::string(RoleName(actor.role)), "customers.purge", std::nullopt,
             json{{"orders", result.orders},
                  {"customers", result.customers},
                  {"files", released.size()},
                  {"texts", result.texts_redacted},
                  {"digest", result.digest},
                  {"scope", described}}
                 .dump(),
             ""});
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

Result<void> AccessRepository::FilesDeleted(int64_t id, const std::string& certificate) {
  return db_->Write([&](SQLite::Database& db) -> Result<void> {
    SQLite::Statement done(db, "UPDATE purges SET files_deleted = 1, certificate = ? WHERE id = ?");
    done.bind(1, certificate);
    done.bind(2, id);
    if (done.exec() == 0) return Fail(Errc::kNotFound, "purge " + std::to_string(id));
    // an older keepsake's purges whose deletion was not confirmed: their files went with this
    // one's (they kept no record to be certified from)
    db.exec("UPDATE purges SET files_deleted = 1 WHERE files_deleted = 0 AND result = ''");
    return {};
  });
}

Result<std::vector<PurgeResult>> AccessRepository::UnfinishedPurges() {
  return db_->Read([&](SQLite::Database& db) -> Result<std::vector<PurgeResult>> {
    std::vector<PurgeResult> out;
    SQLite::Statement q(
        db, "SELECT id, result FROM purges WHERE certificate = '' AND result != '' ORDER BY id");
    while (q.executeStep()) {
      auto r = ResultOf(q.getColumn(0).getInt64(), q.getColumn(1).getString());
      if (!r) {
        return Fail(Errc::kStorage, "the record of purge " + q.getColumn(0).getString() +
                                        " cannot be read; it cannot be certified");
      }
      out.push_back(std::move(*r));
    }
    return out;
  });
}

Result<std::vector<std::string>> AccessRepository::FilesLeftByPurges() {
  return db_->Read([&](SQLite::Database& db) -> Result<std::vector<std::string>> {
    std::vector<std::string> out;
    SQLite::Statement q(db, "SELECT files FROM purges WHERE files_deleted = 0 AND result = ''");
    while (q.executeStep()) {
      const json files = json::parse(q.getColumn(0).getString(), nullptr, false);
      if (!files.is_array()) continue;
      for (const json& f : files) {
        if (f.is_string()) out.push_back(f.get<std::string>());
      }
    }
    return out;
  });
}

}  // namespace keepsake::orders
