// Orders and their items, and the customer files they are made from.
#include <algorithm>
#include <cctype>
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
#include "keepsake/orders/job_kind.hpp"
#include "keepsake/orders/state_machine.hpp"
#include "keepsake/orders/state_names.hpp"
#include "keepsake/orders/store.hpp"
#include "store_rows.hpp"

namespace keepsake::orders {

using nlohmann::json;

namespace {

Result<void> ValidateNewOrder(const NewOrder& order) {
  if (!ValidText(order.channel_ref, 128)) {
    return Fail(Errc::kInvalidArgument, "channel_ref is required (1-128 characters)",
                "channel_ref");
  }
  if (!ValidText(order.customer.name, 100)) {
    return Fail(Errc::kInvalidArgument, "customer name is required (1-100 bytes)", "customer.name");
  }
  static const std::regex kPhone(R"(^\+?[0-9]{6,20}$)");
  if (!std::regex_match(order.customer.phone, kPhone)) {
    return Fail(Errc::kInvalidArgument,
                "customer phone must be 6-20 digits, optionally starting with +", "customer.phone");
  }
  const Address& a = order.customer.address;
  const std::pair<const std::string*, const char*> required[] = {
      {&a.province, "customer.address.province"},
      {&a.city, "customer.address.city"},
      {&a.detail, "customer.address.detail"},
  };
  for (const auto& [value, field] : required) {
    if (!ValidText(*value, 200)) {
      return Fail(Errc::kInvalidArgument, std::string(field) + " is required (1-200 bytes)", field);
    }
  }
  if (a.district.size() > 200 || a.street.size() > 200) {
    return Fail(Errc::kInvalidArgument, "address fields are at most 200 bytes",
                a.district.size() > 200 ? "customer.address.district" : "customer.address.street");
  }
  if (order.items.empty() || order.items.size() > 50) {
    return Fail(Errc::kInvalidArgument, "an order has 1 to 50 items", "items");
  }
  return {};
}

// The asset kind a product needs: figures are printed from meshes, 2D products from images.
Result<void> CheckAssetFits(const Product& product, const std::string& asset_kind,
                            const std::string& field) {
  const std::string needed = product.kind == ProductKind::kFigure ? "mesh" : "image";
  if (asset_kind != needed) {
    return Fail(Errc::kInvalidArgument,
                "product " + product.id + " needs a " + needed + " asset, not " + asset_kind,
                field);
  }
  return {};
}

// Each item's options resolved against the catalogue (defaults filled in) and its text
// checked, with the field named as the request names it.
Result<std::vector<std::map<std::string, int64_t>>> ResolveItems(const NewOrder& order,
                                                                 const ProductCatalog& catalog) {
  std::vector<std::map<std::string, int64_t>> resolved;
  for (size_t i = 0; i < order.items.size(); ++i) {
    const std::string field = "items[" + std::to_string(i) + "]";
    auto options =
        catalog.ResolveOptions(order.items[i].product, order.items[i].options, field + ".options");
    if (!options) {
      Error e = options.error();
      if (e.code == Errc::kUnknownProduct) e.field = field + ".product";
      return tl::unexpected(e);
    }
    resolved.push_back(std::move(*options));
    if (auto text = catalog.CheckText(order.items[i].product, order.items[i].text, field + ".text");
        !text) {
      return tl::unexpected(text.error());
    }
  }
  return resolved;
}

// The answer stored for an Idempotency-Key: the order it made and the response it sent, or
// nullopt when the key is new. Errors: kIdempotencyMismatch (the key with another body).
Result<std::optional<CreateOrderResult>> Replayed(SQLite::Database& db, const IdempotencyKey& key) {
  SQLite::Statement q(db,
                      "SELECT request_hash, response, order_id FROM idempotency "
                      "WHERE scope = ? AND key = ?");
  q.bind(1, key.scope);
  q.bind(2, key.key);
  if (!q.executeStep()) return std::optional<CreateOrderResult>();
  if (q.getColumn(0).getString() != key.request_hash) {
    return Fail(Errc::kIdempotencyMismatch,
                "this Idempotency-Key was used before with a different request body",
                "Idempotency-Key");
  }
  auto existing = rows::LoadOrder(db, "o.id = ?", std::to_string(q.getColumn(2).getInt64()));
  if (!existing) return Fail(Errc::kNotFound, "the order of this key is gone");
  return CreateOrderResult{*existing, q.getColumn(1).getString(), true};
}

// The order's customer and its row (state placed), with its timeline's first line.
int64_t InsertOrderRow(SQLite::Database& db, const NewOrder& order, const Actor& actor,
                       const std::string& now) {
  const Address& a = order.customer.address;
  SQLite::Statement cust(
      db,
      "INSERT INTO customers(name, phone, province, city, district, street, "
      "detail, phone_index, last4_index) VALUES(ks_encrypt(?1), ks_encrypt(?2), "
      "ks_encrypt(?3), ks_encrypt(?4), ks_encrypt(?5), ks_encrypt(?6), "
      "ks_encrypt(?7), ks_index('phone', ?2), ks_index('last4', substr(?2, -4)))");
  cust.bind(1, order.customer.name);
  cust.bind(2, order.customer.phone);
  cust.bind(3, a.province);
  cust.bind(4, a.city);
  cust.bind(5, a.district);
  cust.bind(6, a.street);
  cust.bind(7, a.detail);
  cust.exec();
  const int64_t customer_id = db.getLastInsertRowid();
  SQLite::Statement ord(db,
                        "INSERT INTO orders(channel_ref, customer_id, state, created_by, "
                        "created_at, updated_at, channel) VALUES(?,?,?,?,?,?,?)");
  ord.bind(1, order.channel_ref);
  ord.bind(2, customer_id);
  ord.bind(3, std::string(order_state::kPlaced));
  ord.bind(4, actor.name);
  ord.bind(5, now);
  ord.bind(6, now);
  ord.bind(7, actor.role == Role::kChannel ? actor.name : std::string());
  ord.exec();
  const int64_t order_id = db.getLastInsertRowid();
  rows::AppendEvent(
      db, Event{0, order_id, std::nullopt, now, actor.name, std::string(RoleName(actor.role)),
                "order.created", "", std::string(order_state::kPlaced), "",
                json{{"items", order.items.size()}}.dump()});
  return order_id;
}

// One item of a new order: waiting for its file, or preparing it (its job queued).
Result<void> InsertItemRow(SQLite::Database& db, int64_t order_id, size_t position,
                           const NewItem& item, const std::map<std::string, int64_t>& options,
                           const ProductCatalog& catalog, const Actor& actor,
                           const std::string& now, int max_attempts) {
  const std::string field = "items[" + std::to_string(position) + "].asset";
  std::string asset_kind;
  if (!item.asset_id.empty()) {
    auto kind = rows::AssetKind(db, item.asset_id, field);
    if (!kind) return tl::unexpected(kind.error());
    auto fits = CheckAssetFits(*catalog.Find(item.product), *kind, field);
    if (!fits) return tl::unexpected(fits.error());
    asset_kind = *kind;
  }
  const std::string state(item.asset_id.empty() ? item_state::kAwaitingAsset
                                                : item_state::kPreparing);
  SQLite::Statement ins(
      db,
      "INSERT INTO items(order_id, position, product, options, asset_id, "
      "state, created_at, updated_at, text) "
      "VALUES(?,?,?,?,NULLIF(?, ''),?,?,?,COALESCE(ks_encrypt(NULLIF(?, '')), ''))");
  ins.bind(1, order_id);
  ins.bind(2, static_cast<int>(position));
  ins.bind(3, item.product);
  ins.bind(4, json(options).dump());
  ins.bind(5, item.asset_id);
  ins.bind(6, state);
  ins.bind(7, now);
  ins.bind(8, now);
  ins.bind(9, item.text);
  ins.exec();
  const int64_t item_id = db.getLastInsertRowid();
  rows::AppendEvent(db,
                    Event{0, order_id, item_id, now, actor.name, std::string(RoleName(actor.role)),
                          "item.created", "", state, "", json{{"product", item.product}}.dump()});
  if (!asset_kind.empty()) rows::EnqueueJob(db, item_id, item.asset_id, asset_kind, max_attempts);
  return {};
}

}  // namespace

Result<CreateOrderResult> OrderRepository::CreateOrder(
    const NewOrder& order, const ProductCatalog& catalog, const Actor& actor,
    const IdempotencyKey& key, const std::function<std::string(const Order&)>& render) {
  if (auto valid = ValidateNewOrder(order); !valid) return tl::unexpected(valid.error());
  auto resolved = ResolveItems(order, catalog);
  if (!resolved) return tl::unexpected(resolved.error());
  const int max_attempts = db_->options.job_max_attempts;
  return db_->Write([&](SQLite::Database& db) -> Result<CreateOrderResult> {
    auto replayed = Replayed(db, key);
    if (!replayed) return tl::unexpected(replayed.error());
    if (*replayed) return std::move(**replayed);
    const std::string now = NowUtcIso();
    const int64_t order_id = InsertOrderRow(db, order, actor, now);
    for (size_t i = 0; i < order.items.size(); ++i) {
      auto item = InsertItemRow(db, order_id, i, order.items[i], (*resolved)[i], catalog, actor,
                                now, max_attempts);
      if (!item) return tl::unexpected(item.error());
    }
    auto created = rows::LoadOrder(db, "o.id = ?", std::to_string(order_id));
    if (!created) return Fail(Errc::kStorage, "the new order could not be read back");
    std::string response = render(*created);
    SQLite::Statement idem(db,
                           "INSERT INTO idempotency(scope, key, request_hash, order_id, response, "
                           "created_ms) VALUES(?,?,?,?,?,?)");
    idem.bind(1, key.scope);
    idem.bind(2, key.key);
    idem.bind(3, key.request_hash);
    idem.bind(4, order_id);
    idem.bind(5, response);
    idem.bind(6, NowUnixMs());
    idem.exec();
    return CreateOrderResult{std::move(*created), std::move(response), false};
  });
}

Result<Order> OrderRepository::GetOrder(int64_t id) {
  return db_->Read([&](SQLite::Database& db) -> Result<Order> {
    auto order = rows::LoadOrder(db, "o.id = ?", std::to_string(id));
    if (!order) return Fail(Errc::kNotFound, "order " + std::to_string(id) + " does not exist");
    return *order;
  });
}

Result<Order> OrderRepository::GetOrderByNumber(const std::string& number) {
  return db_->Read([&](SQLite::Database& db) -> Result<Order> {
    auto order = rows::LoadOrder(db, "o.number = ?", number);
    if (!order) return Fail(Errc::kNotFound, "order " + number + " does not exist");
    return *order;
  });
}

namespace {

// An order number as an agent reads it off a screen or hears it: any letter case, spaces or
// dashes, leading zeros left out ("ks 42" is KS00000042). Anything else is left as typed.
std::string CanonicalOrderNumber(const std::string& typed) {
  std::string compact;
  for (char c : typed) {
    if (c != ' ' && c != '-')
      compact += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (compact.size() < 3 || compact.size() > 10 || compact.compare(0, 2, "KS") != 0 ||
      compact.find_first_not_of("0123456789", 2) != std::string::npos) {
    return typed;
  }
  return OrderNumber(std::stoll(compact.substr(2)));
}

// How a name typed with the last four digits may match a customer's name besides in full:
// a Chinese surname is the name's first one or two characters (欧阳 is two), a Latin one its
// last word. Only letters count: the pattern then holds no LIKE wildcard.
enum class Surname { kNone, kLeading, kTrailing };

Surname SurnameKind(const std::string& name) {
  if (name.empty()) return Surname::kNone;
  const bool ascii_letters = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalpha(static_cast<unsigned char>(c)) != 0;
  });
  if (ascii_letters) return name.size() >= 2 ? Surname::kTrailing : Surname::kNone;
  // CJK: each character three bytes in UTF-8, lead byte 0xE0-0xEF
  if (name.size() != 3 && name.size() != 6) return Surname::kNone;
  for (size_t i = 0; i < name.size(); i += 3) {
    const auto lead = static_cast<unsigned char>(name[i]);
    if (lead < 0xE0 || lead > 0xEF) return Surname::kNone;
  }
  return Surname::kLeading;
}

}  // namespace

Result<OrderPage> OrderRepository::ListOrders(const OrderFilter& filter) {
  if (filter.limit < 1 || filter.limit > 200) {
    return Fail(Errc::kInvalidArgument, "limit must be 1-200", "limit");
  }
  if (filter.phone_last4.has_value() != filter.name.has_value()) {
    return Fail(Errc::kInvalidArgument,
                "phone_last4 and name go together: the last four digits of the phone and the "
                "customer's name or surname",
                filter.name ? "phone_last4" : "name");
  }
  if (filter.phone_last4 &&
      (filter.phone_last4->size() != 4 ||
       filter.phone_last4->find_first_not_of("0123456789") != std::string::npos)) {
    return Fail(Errc::kInvalidArgument, "phone_last4 must be four digits", "phone_last4");
  }
  if (filter.state && !OrderStateMachine().HasState(*filter.state)) {
    std::vector<std::string> states;
    for (auto s : OrderStateMachine().States()) states.emplace_back(s);
    return Fail(Errc::kInvalidArgument, "unknown order state '" + *filter.state + "'", "state",
                states);
  }
  return db_->Read([&](SQLite::Database& db) -> Result<OrderPage> {
    // the page is chosen first, by ids alone; only its rows are then joined with their
    // customers and decrypted (a day's range sorted by id would otherwise decrypt every
    // customer in it before the limit)
    std::string sql = "SELECT o.id FROM orders o WHERE 1 = 1";
    std::vector<std::string> binds;
    if (filter.state) {
      sql += " AND o.state = ?";
      binds.push_back(*filter.state);
    }
    if (filter.channel) {
      sql += " AND o.channel = ?";
      binds.push_back(*filter.channel);
    }
    if (filter.channel_ref) {
      sql += " AND o.channel_ref = ?";
      binds.push_back(*filter.channel_ref);
    }
    if (filter.number) {
      sql += " AND o.number = ?";
      binds.push_back(CanonicalOrderNumber(*filter.number));
    }
    if (filter.tracking_number) {
      sql += " AND o.id IN (SELECT order_id FROM shipments WHERE tracking_number = ?)";
      binds.push_back(*filter.tracking_number);
    }
    // by the customer: through the blind indexes (the phone; its last four digits, then the
    // name of the handful of customers they leave, decrypted)
    if (filter.phone) {
      sql +=
          " AND o.customer_id IN (SELECT id FROM customers WHERE phone_index = "
          "ks_index('phone', ?))";
      binds.push_back(*filter.phone);
    }
    if (filter.phone_last4) {
      // the full name in any letter case, or the surname alone (SQLite's LIKE ignores ASCII
      // case); the four digits have already narrowed it to a handful of customers
      const std::string name = filter.name.value_or("");
      std::string who = "ks_decrypt(name) = ? COLLATE NOCASE";
      binds.push_back(*filter.phone_last4);
      binds.push_back(name);
      switch (SurnameKind(name)) {
        case Surname::kLeading:
          who += " OR ks_decrypt(name) LIKE ?";
          binds.push_back(name + "%");
          break;
        case Surname::kTrailing:
          who += " OR ks_decrypt(name) LIKE ?";
          binds.push_back("% " + name);
          break;
        case Surname::kNone:
          break;
      }
      sql +=
          " AND o.customer_id IN (SELECT id FROM customers WHERE last4_index = "
          "ks_index('last4', ?) AND (" +
          who + "))";
    }
    if (filter.same_customer_as) {
      sql +=
          " AND o.id != ? AND o.customer_id IN (SELECT id FROM customers WHERE phone_index = "
          "(SELECT c.phone_index FROM orders x JOIN customers c ON c.id = x.customer_id WHERE "
          "x.id = ?))";
      binds.push_back(std::to_string(*filter.same_customer_as));
      binds.push_back(std::to_string(*filter.same_customer_as));
    }
    if (filter.created_from) {
      sql += " AND o.created_at >= ?";
      binds.push_back(*filter.created_from);
    }
    if (filter.created_to) {
      sql += " AND o.created_at < ?";
      binds.push_back(*filter.created_to);
    }
    if (filter.before_id) {
      sql += " AND o.id < ?";
      binds.push_back(std::to_string(*filter.before_id));
    }
    sql += " ORDER BY o.id DESC LIMIT " + std::to_string(filter.limit + 1);
    sql =
        "SELECT o.id, o.number, o.channel_ref, o.state, o.held_from, o.version, o.created_at, "
        "o.updated_at, c.id, " +
        std::string(rows::kCustomerColumns) +
        ", o.channel FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE o.id IN (" +
        sql + ") ORDER BY o.id DESC";
    SQLite::Statement q(db, sql);
    for (size_t i = 0; i < binds.size(); ++i) q.bind(static_cast<int>(i + 1), binds[i]);
    OrderPage page;
    while (q.executeStep()) page.orders.push_back(rows::OrderFromRow(q));
    if (static_cast<int>(page.orders.size()) > filter.limit) {
      page.orders.pop_back();
      page.next_cursor = page.orders.back().id;
    }
    for (Order& o : page.orders) rows::LoadItems(db, o);
    return page;
  });
}

Result<std::vector<Event>> OrderRepository::OrderEvents(int64_t order_id) {
  return db_->Read([&](SQLite::Database& db) -> Result<std::vector<Event>> {
    SQLite::Statement exists(db, "SELECT 1 FROM orders WHERE id = ?");
    exists.bind(1, order_id);
    if (!exists.executeStep()) {
      return Fail(Errc::kNotFound, "order " + std::to_string(order_id) + " does not exist");
    }
    SQLite::Statement q(db,
                        "SELECT id, order_id, item_id, at, actor, role, kind, from_state, "
                        "to_state, reason, detail FROM events WHERE order_id = ? ORDER BY id");
    q.bind(1, order_id);
    std::vector<Event> events;
    while (q.executeStep()) {
      Event e;
      e.id = q.getColumn(0).getInt64();
      e.order_id = q.getColumn(1).getInt64();
      if (!q.getColumn(2).isNull()) e.item_id = q.getColumn(2).getInt64();
      e.at = q.getColumn(3).getString();
      e.actor = q.getColumn(4).getString();
      e.role = q.getColumn(5).getString();
      e.kind = q.getColumn(6).getString();
      e.from_state = q.getColumn(7).getString();
      e.to_state = q.getColumn(8).getString();
      e.reason = q.getColumn(9).getString();
      e.detail = q.getColumn(10).getString();
      events.push_back(std::move(e));
    }
    return events;
  });
}

Result<Order> OrderRepository::TransitionOrder(int64_t order_id, std::string_view event,
                                               const Actor& actor, const std::string& reason,
                                               std::optional<int64_t> expected_version) {
  if ((event == order_event::kHold || event == order_event::kResume ||
       event == order_event::kCancel) &&
      !ValidText(reason, 500)) {
    return Fail(Errc::kInvalidArgument, std::string(event) + " needs a reason (1-500 bytes)",
                "reason");
  }
  if (reason.size() > 500)
    return Fail(Errc::kInvalidArgument, "reason is at most 500 bytes", "reason");
  return db_->Write([&](SQLite::Database& db) -> Result<Order> {
    return rows::ApplyOrderEvent(db, order_id, event, actor, reason, expected_version,
                                 db_->options.job_max_attempts);
  });
}

Result<Item> OrderRepository::TransitionItem(int64_t item_id, const ItemChange& change,
                                             const Actor& actor) {
  if (change.reason.size() > 500) {
    return Fail(Errc::kInvalidArgument, "reason is at most 500 bytes", "reason");
  }
  return db_->Write([&](SQLite::Database& db) -> Result<Item> {
    auto item = rows::LoadItem(db, item_id);
    if (!item) return Fail(Errc::kNotFound, "item " + std::to_string(item_id) + " does not exist");
    if (change.expected_version && *change.expected_version != item->version) {
      return Fail(Errc::kVersionConflict,
                  "item " + std::to_string(item_id) + " changed since you read it (your version " +
                      std::to_string(*change.expected_version) + ", now " +
                      std::to_string(item->version) + "); reload and try again",
                  "version");
    }
    SQLite::Statement q(db, "SELECT state FROM orders WHERE id = ?");
    q.bind(1, item->order_id);
    q.executeStep();
    const std::string state_of_order = q.getColumn(0).getString();
    if (state_of_order == order_state::kOnHold && actor.role != Role::kSystem) {
      return Fail(Errc::kIllegalTransition,
                  "the order is on hold; resume it before changing its items", "event");
    }
    return rows::ApplyItemChange(db, *item, change, actor, db_->options.job_max_attempts);
  });
}

Result<Item> OrderRepository::GetItem(int64_t item_id) {
  return db_->Read([&](SQLite::Database& db) -> Result<Item> {
    auto item = rows::LoadItem(db, item_id);
    if (!item) return Fail(Errc::kNotFound, "item " + std::to_string(item_id) + " does not exist");
    return *item;
  });
}

Result<std::vector<std::pair<Item, std::string>>> OrderRepository::ReviewQueue(int limit) {
  if (limit < 1 || limit > 200) return Fail(Errc::kInvalidArgument, "limit must be 1-200", "limit");
  return db_->Read([&](SQLite::Database& db) -> Result<std::vector<std::pair<Item, std::string>>> {
    SQLite::Statement q(db,
                        "SELECT i.id, o.number FROM items i JOIN orders o ON o.id = i.order_id "
                        "WHERE i.state = 'needs_review' AND o.state != 'on_hold' "
                        "ORDER BY i.updated_at, i.id LIMIT ?");
    q.bind(1, limit);
    std::vector<std::pair<Item, std::string>> out;
    while (q.executeStep()) {
      auto item = rows::LoadItem(db, q.getColumn(0).getInt64());
      if (item) out.emplace_back(std::move(*item), q.getColumn(1).getString());
    }
    return out;
  });
}

Result<std::vector<WaitingItem>> OrderRepository::ItemsWaitingOnAPerson(int limit) {
  if (limit < 1 || limit > 500) return Fail(Errc::kInvalidArgument, "limit must be 1-500", "limit");
  return db_->Read([&](SQLite::Database& db) -> Result<std::vector<WaitingItem>> {
    // the newest event of the item, through the events' (order_id, id) index
    SQLite::Statement q(
        db,
        "SELECT i.id, o.number, COALESCE((SELECT e.reason FROM events e WHERE e.order_id = "
        "i.order_id AND e.item_id = i.id ORDER BY e.id DESC LIMIT 1), '') FROM items i JOIN "
        "orders o ON o.id = i.order_id WHERE i.state IN ('rework', 'failed', "
        "'awaiting_customer', 'awaiting_asset') AND o.state NOT IN ('on_hold', 'cancelled') "
        "ORDER BY i.updated_at, i.id LIMIT ?");
    q.bind(1, limit);
    std::vector<WaitingItem> out;
    while (q.executeStep()) {
      auto item = rows::LoadItem(db, q.getColumn(0).getInt64());
      if (!item) continue;
      out.push_back({std::move(*item), q.getColumn(1).getString(), q.getColumn(2).getString()});
    }
    return out;
  });
}

Result<Asset> OrderRepository::RecordAsset(const Asset& asset) {
  return db_->Write([&](SQLite::Database& db) -> Result<Asset> {
    // the same bytes are one asset; bytes a purge deleted and someone uploads anew live again
    SQLite::Statement ins(db,
                          "INSERT INTO assets(id, kind, format, bytes, created_at) "
                          "VALUES(?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET purged_at = '', "
                          "created_at = excluded.created_at WHERE purged_at != ''");
    ins.bind(1, asset.id);
    ins.bind(2, asset.kind);
    ins.bind(3, asset.format);
    ins.bind(4, asset.bytes);
    ins.bind(5, NowUtcIso());
    ins.exec();
    auto stored = rows::LoadAsset(db, asset.id);
    if (!stored) return Fail(Errc::kStorage, "the asset could not be read back");
    return *stored;
  });
}

Result<Asset> OrderRepository::GetAsset(const std::string& id) {
  return db_->Read([&](SQLite::Database& db) -> Result<Asset> {
    auto asset = rows::LoadAsset(db, id);
    if (!asset) return Fail(Errc::kNotFound, "asset " + id + " does not exist");
    return *asset;
  });
}

Result<Order> OrderRepository::ChangeAddress(int64_t order_id, const Address& address,
                                             const std::string& reason, const Actor& actor) {
  for (const auto& [value, field, required] :
       {std::tuple<const std::string*, const char*, bool>{&address.province, "province", true},
        {&address.city, "city", true},
        {&address.district, "district", false},
        {&address.street, "street", false},
        {&address.detail, "detail", true}}) {
    if ((required && value->empty()) || value->size() > 200) {
      return Fail(Errc::kInvalidArgument,
                  std::string("address.") + field +
                      (required ? " is required (1-200 bytes)" : " is at most 200 bytes"),
                  std::string("address.") + field);
    }
  }
  if (reason.empty() || reason.size() > 500) {
    return Fail(Errc::kInvalidArgument, "say why the address changes (1-500 bytes)", "reason");
  }
  return db_->Write([&](SQLite::Database& db) -> Result<Order> {
    auto order = rows::LoadOrder(db, "o.id = ?", std::to_string(order_id));
    if (!order)
      return Fail(Errc::kNotFound, "order " + std::to_string(order_id) + " does not exist");
    if (!AddressChangeable(*order)) {
      return Fail(Errc::kIllegalTransition,
                  "order " + order->number + " is " + order->state +
                      ": the address can change only before packing (a parcel on its way is "
                      "redirected with the carrier)",
                  "state");
    }
    SQLite::Statement customer(db, "SELECT customer_id FROM orders WHERE id = ?");
    customer.bind(1, order_id);
    if (!customer.executeStep() || customer.getColumn(0).isNull()) {
      return Fail(Errc::kIllegalTransition, "the customer's data of this order was purged", "");
    }
    SQLite::Statement upd(
        db,
        "UPDATE customers SET province = ks_encrypt(?), city = ks_encrypt(?), "
        "district = ks_encrypt(?), street = ks_encrypt(?), detail = ks_encrypt(?) "
        "WHERE id = ?");
    upd.bind(1, address.province);
    upd.bind(2, address.city);
    upd.bind(3, address.district);
    upd.bind(4, address.street);
    upd.bind(5, address.detail);
    upd.bind(6, customer.getColumn(0).getInt64());
    upd.exec();
    const std::string now = NowUtcIso();
    SQLite::Statement bump(db,
                           "UPDATE orders SET version = version + 1, updated_at = ? WHERE id = ?");
    bump.bind(1, now);
    bump.bind(2, order_id);
    bump.exec();
    rows::AppendEvent(
        db, Event{0, order_id, std::nullopt, now, actor.name, std::string(RoleName(actor.role)),
                  "order.address_changed", "", "", reason, "{}"});
    return *rows::LoadOrder(db, "o.id = ?", std::to_string(order_id));
  });
}

Result<Event> OrderRepository::AddOrderNote(int64_t order_id, const std::string& note,
                                            const Actor& actor) {
  if (note.empty() || note.size() > 2000) {
    return Fail(Errc::kInvalidArgument, "note is required (1-2000 bytes)", "note");
  }
  return db_->Write([&](SQLite::Database& db) -> Result<Event> {
    SQLite::Statement exists(db, "SELECT 1 FROM orders WHERE id = ?");
    exists.bind(1, order_id);
    if (!exists.executeStep()) {
      return Fail(Errc::kNotFound, "order " + std::to_string(order_id) + " does not exist");
    }
    Event e{0,
            order_id,
            std::nullopt,
            NowUtcIso(),
            actor.name,
            std::string(RoleName(actor.role)),
            "order.note",
            "",
            "",
            note,
            "{}"};
    rows::AppendEvent(db, e);
    e.id = db.getLastInsertRowid();
    return e;
  });
}

Result<int> OrderRepository::CompleteDeliveredOrders(int days, int64_t now_ms) {
  const std::string before = IsoFromUnixMs(now_ms - int64_t{days} * 86'400'000);
  return db_->Write([&](SQLite::Database& db) -> Result<int> {
    SQLite::Statement q(db,
                        "SELECT o.id FROM orders o WHERE o.state = 'delivered' AND (SELECT max(at) "
                        "FROM events e WHERE e.order_id = o.id AND e.kind = 'order.transition' "
                        "AND e.to_state = 'delivered') < ?");
    q.bind(1, before);
    std::vector<int64_t> ids;
    while (q.executeStep()) ids.push_back(q.getColumn(0).getInt64());
    for (int64_t id : ids) {
      auto done = rows::ApplyOrderEvent(db, id, "complete", Actor{"keepsake", Role::kSystem},
                                        std::to_string(days) + " days after delivery", std::nullopt,
                                        db_->options.job_max_attempts);
      if (!done) return tl::unexpected(done.error());
    }
    return static_cast<int>(ids.size());
  });
}

}  // namespace keepsake::orders
