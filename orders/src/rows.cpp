// Row mapping and the in-transaction steps that more than one repository takes (the timeline,
// an order event with its cascades, an item change with its job).
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
#include "keepsake/orders/job_kind.hpp"
#include "keepsake/orders/state_machine.hpp"
#include "keepsake/orders/state_names.hpp"
#include "keepsake/orders/store.hpp"
#include "store_rows.hpp"

namespace keepsake::orders {

using nlohmann::json;

namespace {

std::string JobKindFor(const std::string& asset_kind) {
  // 2D artwork is rendered to print files (inspect_image: jobs queued before 2D rendering)
  return std::string(
      JobKindName(asset_kind == "mesh" ? JobKind::kPrepareMesh : JobKind::kRenderPrint));
}

}  // namespace

// --- row helpers shared by the repositories ---------------------------------------------

namespace rows {

std::optional<Asset> LoadAsset(SQLite::Database& db, const std::string& id) {
  SQLite::Statement q(
      db, "SELECT id, kind, format, bytes, created_at, purged_at FROM assets WHERE id = ?");
  q.bind(1, id);
  if (!q.executeStep()) return std::nullopt;
  return Asset{q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(),
               q.getColumn(3).getInt64(),  q.getColumn(4).getString(), q.getColumn(5).getString()};
}

Result<std::string> AssetKind(SQLite::Database& db, const std::string& asset_id,
                              const std::string& field) {
  auto asset = LoadAsset(db, asset_id);
  if (!asset) return Fail(Errc::kNotFound, "asset " + asset_id + " was not uploaded", field);
  if (!asset->purged_at.empty()) {
    return Fail(Errc::kNotFound,
                "asset " + asset_id + " was deleted by a purge on " + asset->purged_at +
                    "; upload the file again",
                field);
  }
  return asset->kind;
}

void AppendAudit(SQLite::Database& db, const AuditRecord& record) {
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
}

void AppendEvent(SQLite::Database& db, const Event& e) {
  SQLite::Statement ins(db,
                        "INSERT INTO events(order_id, item_id, at, actor, role, kind, from_state, "
                        "to_state, reason, detail) VALUES(?,?,?,?,?,?,?,?,?,?)");
  ins.bind(1, e.order_id);
  if (e.item_id) {
    ins.bind(2, *e.item_id);
  } else {
    ins.bind(2);
  }
  ins.bind(3, e.at.empty() ? NowUtcIso() : e.at);
  ins.bind(4, e.actor);
  ins.bind(5, e.role);
  ins.bind(6, e.kind);
  ins.bind(7, e.from_state);
  ins.bind(8, e.to_state);
  ins.bind(9, e.reason);
  ins.bind(10, e.detail.empty() ? std::string("{}") : e.detail);
  ins.exec();
  // the channel hears of state changes (and claim decisions) through the outbox, in this
  // transaction: the event's id is the notification's id, so a receiver can de-duplicate
  static const std::set<std::string> notified = {"order.created", "order.transition",
                                                 "item.transition", "claim.decided",
                                                 "shipment.transition"};
  if (notified.count(e.kind) == 0) return;
  const int64_t event_id = db.getLastInsertRowid();
  const std::string number = OrderNumber(e.order_id);
  const std::string at = e.at.empty() ? NowUtcIso() : e.at;
  SQLite::Statement of(db, "SELECT channel FROM orders WHERE id = ?");
  of.bind(1, e.order_id);
  const std::string channel = of.executeStep() ? of.getColumn(0).getString() : std::string();
  json data = {{"order", number}, {"from", e.from_state}, {"to", e.to_state}};
  if (!channel.empty()) data["channel"] = channel;
  if (e.item_id) data["item"] = *e.item_id;
  if (!e.reason.empty()) data["reason"] = e.reason;
  const json body = {{"id", "evt_" + std::to_string(event_id)},
                     {"type", e.kind},
                     {"created_at", at},
                     {"data", data}};
  SQLite::Statement out(db,
                        "INSERT INTO outbox(event_id, kind, at, body, next_attempt_ms, channel) "
                        "VALUES(?,?,?,?,?,?)");
  out.bind(1, "evt_" + std::to_string(event_id));
  out.bind(2, e.kind);
  out.bind(3, at);
  out.bind(4, body.dump());
  out.bind(5, NowUnixMs());
  out.bind(6, channel);
  out.exec();
}

void EnqueueJob(SQLite::Database& db, int64_t item_id, const std::string& asset_id,
                const std::string& asset_kind, int max_attempts) {
  const std::string now = NowUtcIso();
  // the job keeps the item's product, options and fine-tuning as they were when it was queued
  SQLite::Statement options(db, "SELECT product, options, tuning, text FROM items WHERE id = ?");
  options.bind(1, item_id);
  json job_params = json::object();
  if (options.executeStep()) {
    job_params = json::parse(options.getColumn(1).getString(), nullptr, false);
    if (!job_params.is_object()) job_params = json::object();
    job_params["product"] = options.getColumn(0).getString();
    const json tuning = json::parse(options.getColumn(2).getString(), nullptr, false);
    if (tuning.is_object() && !tuning.empty()) job_params["tuning"] = tuning;
    const std::string text = options.getColumn(3).getString();
    if (!text.empty()) job_params["text"] = text;  // as stored: encrypted (kJobColumns)
  }
  const std::string params = job_params.dump();
  SQLite::Statement ins(db,
                        "INSERT INTO jobs(kind, item_id, asset_id, state, max_attempts, "
                        "run_after_ms, created_at, updated_at, params) "
                        "VALUES(?,?,?,'queued',?,?,?,?,?)");
  ins.bind(1, JobKindFor(asset_kind));
  ins.bind(2, item_id);
  ins.bind(3, asset_id);
  ins.bind(4, max_attempts);
  ins.bind(5, NowUnixMs());
  ins.bind(6, now);
  ins.bind(7, now);
  ins.bind(8, params);
  ins.exec();
}

std::optional<Item> LoadItem(SQLite::Database& db, int64_t item_id) {
  SQLite::Statement q(db, std::string("SELECT ") + kItemColumns + " FROM items WHERE id = ?");
  q.bind(1, item_id);
  if (!q.executeStep()) return std::nullopt;
  return ItemFromRow(q);
}

Item ItemFromRow(SQLite::Statement& q) {
  Item item;
  item.id = q.getColumn(0).getInt64();
  item.order_id = q.getColumn(1).getInt64();
  item.position = q.getColumn(2).getInt();
  item.product = q.getColumn(3).getString();
  json options = json::parse(q.getColumn(4).getString(), nullptr, false);
  if (options.is_object()) {
    for (const auto& [k, v] : options.items()) {
      if (v.is_number_integer()) item.options[k] = v.get<int64_t>();
    }
  }
  item.asset_id = q.getColumn(5).getString();
  item.state = q.getColumn(6).getString();
  item.version = q.getColumn(7).getInt64();
  item.created_at = q.getColumn(8).getString();
  item.updated_at = q.getColumn(9).getString();
  item.print_file = q.getColumn(10).getString();
  item.tuning = q.getColumn(11).getString();
  item.text = q.getColumn(12).getString();
  return item;
}

std::optional<Order> LoadOrder(SQLite::Database& db, const char* where, const std::string& key) {
  const std::string sql =
      "SELECT o.id, o.number, o.channel_ref, o.state, o.held_from, o.version, o.created_at, "
      "o.updated_at, c.id, " +
      std::string(kCustomerColumns) +
      ", o.channel FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE " +
      std::string(where);
  SQLite::Statement q(db, sql);
  q.bind(1, key);
  if (!q.executeStep()) return std::nullopt;
  Order order = OrderFromRow(q);
  LoadItems(db, order);
  return order;
}

Order OrderFromRow(SQLite::Statement& q) {
  Order order;
  order.id = q.getColumn(0).getInt64();
  order.number = q.getColumn(1).getString();
  order.channel_ref = q.getColumn(2).getString();
  order.state = q.getColumn(3).getString();
  order.held_from = q.getColumn(4).getString();
  order.version = q.getColumn(5).getInt64();
  order.created_at = q.getColumn(6).getString();
  order.updated_at = q.getColumn(7).getString();
  order.channel = q.getColumn(16).getString();
  if (!q.getColumn(8).isNull()) {
    Customer c;
    c.name = q.getColumn(9).getString();
    c.phone = q.getColumn(10).getString();
    c.address = Address{q.getColumn(11).getString(), q.getColumn(12).getString(),
                        q.getColumn(13).getString(), q.getColumn(14).getString(),
                        q.getColumn(15).getString()};
    order.customer = std::move(c);
  }
  return order;
}

void LoadItems(SQLite::Database& db, Order& order) {
  SQLite::Statement q(db, std::string("SELECT ") + kItemColumns +
                              " FROM items WHERE order_id = ? ORDER BY position");
  q.bind(1, order.id);
  while (q.executeStep()) order.items.push_back(ItemFromRow(q));
}

// Moves the order along when its items say so (DESIGN: the order follows its items).
Result<void> FollowItems(SQLite::Database& db, int64_t order_id, const std::string& actor) {
  auto order = LoadOrder(db, "o.id = ?", std::to_string(order_id));
  if (!order) return Fail(Errc::kNotFound, "order not found");
  std::string event;
  if (order->state == order_state::kPlaced &&
      std::any_of(order->items.begin(), order->items.end(),
                  [](const Item& i) { return i.state == item_state::kInProduction; })) {
    event = "start_production";
  } else if (order->state == order_state::kInProduction) {
    bool any_live = false;
    bool all_produced = true;
    for (const Item& i : order->items) {
      if (i.state == item_state::kCancelled) continue;
      any_live = true;
      all_produced = all_produced && i.state == item_state::kProduced;
    }
    if (any_live && all_produced) event = "all_produced";
  }
  if (event.empty()) return {};
  auto row = OrderStateMachine().Find(order->state, event, Role::kSystem);
  if (!row) return tl::unexpected(row.error());
  SQLite::Statement upd(db,
                        "UPDATE orders SET state = ?, version = version + 1, updated_at = ? "
                        "WHERE id = ?");
  upd.bind(1, std::string((*row)->to));
  upd.bind(2, NowUtcIso());
  upd.bind(3, order_id);
  upd.exec();
  AppendEvent(
      db, Event{0, order_id, std::nullopt, "", actor, "system", "order.transition", order->state,
                std::string((*row)->to), "follows its items", json{{"event", event}}.dump()});
  return {};
}

// The print file of the item's newest succeeded job, or empty.
std::string LatestPrintFile(SQLite::Database& db, int64_t item_id) {
  SQLite::Statement q(db,
                      "SELECT COALESCE(print_file, '') FROM jobs WHERE item_id = ? AND "
                      "state = 'succeeded' ORDER BY id DESC LIMIT 1");
  q.bind(1, item_id);
  return q.executeStep() ? q.getColumn(0).getString() : std::string();
}

// Takes an item transition inside the caller's transaction; shared by the API path and the
// job queue so that every item change goes through the same table and cascades.
Result<Item> ApplyItemChange(SQLite::Database& db, const Item& item, const ItemChange& change,
                             const Actor& actor, int job_max_attempts) {
  auto row = ItemStateMachine().Find(item.state, change.event, actor.role);
  if (!row) return tl::unexpected(row.error());
  const std::string to((*row)->to);
  std::string asset_id = item.asset_id;
  std::string asset_kind;
  if (change.event == item_event::kAttachAsset) {
    if (change.asset_id.empty()) {
      return Fail(Errc::kInvalidArgument, "attach_asset needs an asset id", "asset");
    }
    auto kind = AssetKind(db, change.asset_id, "asset");
    if (!kind) return tl::unexpected(kind.error());
    asset_id = change.asset_id;
    asset_kind = *kind;
  }
  if (to == item_state::kPreparing) {
    if (asset_id.empty()) {
      return Fail(Errc::kInvalidArgument, "the item has no asset to prepare", "asset");
    }
    if (asset_kind.empty()) {
      auto kind = AssetKind(db, asset_id, "asset");
      if (!kind) return tl::unexpected(kind.error());
      asset_kind = *kind;
    }
  }
  // Approval freezes the print file of the item's latest successful preparation; it stays with
  // the item through production (and cancellation, as a record) until `reopen` unfreezes it.
  std::string print_file = item.print_file;
  if (change.event == item_event::kApprove || change.event == item_event::kPassedChecks) {
    print_file = LatestPrintFile(db, item.id);
    if (print_file.empty() && AssetKind(db, item.asset_id, "asset").value_or("") == "mesh") {
      return Fail(Errc::kIllegalTransition,
                  "item " + std::to_string(item.id) + " has no prepared print file to approve",
                  "event", ItemStateMachine().AllEvents(item.state));
    }
  }
  if (change.event == item_event::kReopen) print_file.clear();
  // fine-tuning applies to the file it was made for: a new file starts without it
  std::string tuning = item.tuning;
  if (change.event == item_event::kAttachAsset) tuning = "{}";
  if (change.event == item_event::kReprepare && !change.tuning.empty()) {
    if (!json::parse(change.tuning, nullptr, false).is_object()) {
      return Fail(Errc::kInvalidArgument, "tuning must be a JSON object", "tuning");
    }
    tuning = change.tuning;
  }
  const std::string now = NowUtcIso();
  SQLite::Statement upd(db,
                        "UPDATE items SET state = ?, asset_id = NULLIF(?, ''), "
                        "print_file = NULLIF(?, ''), tuning = ?, version = version + 1, "
                        "updated_at = ? WHERE id = ?");
  upd.bind(1, to);
  upd.bind(2, asset_id);
  upd.bind(3, print_file);
  upd.bind(4, tuning);
  upd.bind(5, now);
  upd.bind(6, item.id);
  upd.exec();
  SQLite::Statement bump(db,
                         "UPDATE orders SET version = version + 1, updated_at = ? WHERE id = ?");
  bump.bind(1, now);
  bump.bind(2, item.order_id);
  bump.exec();
  json detail{{"event", change.event}};
  if (change.event == item_event::kAttachAsset) detail["asset"] = asset_id;
  if ((change.event == item_event::kApprove || change.event == item_event::kPassedChecks) &&
      !print_file.empty()) {
    detail["print_file"] = print_file;
  }
  if (change.event == item_event::kReprepare && !change.tuning.empty()) {
    detail["tuning"] = json::parse(change.tuning, nullptr, false);
  }
  AppendEvent(db,
              Event{0, item.order_id, item.id, now, actor.name, std::string(RoleName(actor.role)),
                    "item.transition", item.state, to, change.reason, detail.dump()});
  if (to == item_state::kPreparing) EnqueueJob(db, item.id, asset_id, asset_kind, job_max_attempts);
  if (to == item_state::kCancelled) {
    SQLite::Statement cancel(db,
                             "UPDATE jobs SET state = 'cancelled', updated_at = ? "
                             "WHERE item_id = ? AND state IN ('queued', 'leased')");
    cancel.bind(1, now);
    cancel.bind(2, item.id);
    cancel.exec();
  }
  if (to == item_state::kInProduction || to == item_state::kProduced) {
    auto followed = FollowItems(db, item.order_id, "keepsake");
    if (!followed) return tl::unexpected(followed.error());
  }
  auto updated = LoadItem(db, item.id);
  if (!updated) return Fail(Errc::kNotFound, "item vanished");
  return *updated;
}

}  // namespace rows

namespace rows {

Result<Order> ApplyOrderEvent(SQLite::Database& db, int64_t order_id, std::string_view event,
                              const Actor& actor, const std::string& reason,
                              std::optional<int64_t> expected_version, int job_max_attempts) {
  auto order = rows::LoadOrder(db, "o.id = ?", std::to_string(order_id));
  if (!order) {
    return Fail(Errc::kNotFound, "order " + std::to_string(order_id) + " does not exist");
  }
  if (expected_version && *expected_version != order->version) {
    return Fail(Errc::kVersionConflict,
                "order " + order->number + " changed since you read it (your version " +
                    std::to_string(*expected_version) + ", now " + std::to_string(order->version) +
                    "); reload and try again",
                "version");
  }
  auto row = OrderStateMachine().Find(order->state, event, actor.role);
  if (!row) return tl::unexpected(row.error());
  if (order->state == order_state::kOnHold && event == order_event::kCancel &&
      order->held_from != order_state::kPlaced) {
    return Fail(Errc::kIllegalTransition,
                "order " + order->number + " was held in " + order->held_from +
                    "; cancel is possible only before production",
                "event", OrderStateMachine().AllEvents(order->state));
  }
  std::string to((*row)->to);
  std::string held_from = order->held_from;
  if (to == kReturnToPrevious) {
    to = order->held_from;
    held_from.clear();
  }
  if (event == order_event::kHold) held_from = order->state;
  const std::string now = NowUtcIso();
  SQLite::Statement upd(db,
                        "UPDATE orders SET state = ?, held_from = ?, version = version + 1, "
                        "updated_at = ? WHERE id = ?");
  upd.bind(1, to);
  upd.bind(2, held_from);
  upd.bind(3, now);
  upd.bind(4, order_id);
  upd.exec();
  rows::AppendEvent(db, Event{0, order_id, std::nullopt, now, actor.name,
                              std::string(RoleName(actor.role)), "order.transition", order->state,
                              to, reason, json{{"event", std::string(event)}}.dump()});
  if (to == order_state::kCancelled) {
    const Actor system{"keepsake", Role::kSystem};
    for (const Item& item : order->items) {
      auto cancel = ItemStateMachine().Find(item.state, item_event::kCancel, Role::kSystem);
      if (!cancel) continue;  // produced or in production: nothing to cancel
      auto done = rows::ApplyItemChange(
          db, item, ItemChange{std::string(item_event::kCancel), "order cancelled", "", {}, ""},
          system, job_max_attempts);
      if (!done) return tl::unexpected(done.error());
    }
  }
  if (to == order_state::kDeliveryException) {
    // the courier reports a problem: customer service hears of it at once, with a ticket
    InsertTicket(db,
                 NewTicket{order_id, "fault", "system", 2,
                           "courier exception: " +
                               (reason.empty() ? std::string("no reason given") : reason)},
                 Actor{"keepsake", Role::kSystem});
  }
  auto updated = rows::LoadOrder(db, "o.id = ?", std::to_string(order_id));
  if (!updated) return Fail(Errc::kStorage, "order vanished");
  return *updated;
}

}  // namespace rows

}  // namespace keepsake::orders
