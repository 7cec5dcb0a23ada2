// Parcels, the logistics events on them and the carriers' tracking.
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
#include "keepsake/orders/store.hpp"
#include "store_rows.hpp"

namespace keepsake::orders {

using nlohmann::json;

using nlohmann::json;

namespace {

constexpr const char* kShipmentColumns =
    "s.id, s.order_id, o.number, s.carrier, s.tracking_number, s.state, s.reshipment, "
    "s.weight_g, s.size_mm, s.created_by, s.created_at, s.updated_at, s.version, "
    "COALESCE((SELECT max(t.at) FROM tracking_events t WHERE t.shipment_id = s.id), '') "
    "FROM shipments s JOIN orders o ON o.id = s.order_id";

Shipment ShipmentFromRow(SQLite::Statement& q) {
  Shipment s;
  s.id = q.getColumn(0).getInt64();
  s.order_id = q.getColumn(1).getInt64();
  s.order_number = q.getColumn(2).getString();
  s.carrier = q.getColumn(3).getString();
  s.tracking_number = q.getColumn(4).getString();
  s.state = q.getColumn(5).getString();
  s.reshipment = q.getColumn(6).getInt() != 0;
  s.weight_g = q.getColumn(7).getInt();
  s.size_mm = q.getColumn(8).getString();
  s.created_by = q.getColumn(9).getString();
  s.created_at = q.getColumn(10).getString();
  s.updated_at = q.getColumn(11).getString();
  s.version = q.getColumn(12).getInt64();
  s.last_scan_at = q.getColumn(13).getString();
  return s;
}

std::optional<Shipment> LoadShipment(SQLite::Database& db, int64_t id) {
  SQLite::Statement q(db, std::string("SELECT ") + kShipmentColumns + " WHERE s.id = ?");
  q.bind(1, id);
  if (!q.executeStep()) return std::nullopt;
  return ShipmentFromRow(q);
}

}  // namespace

Result<Shipment> ShipmentRepository::CreateShipment(const NewShipment& shipment,
                                                    const Actor& actor) {
  return db_->Write([&](SQLite::Database& db) -> Result<Shipment> {
    SQLite::Statement order(db, "SELECT reshipment_of FROM orders WHERE id = ?");
    order.bind(1, shipment.order_id);
    if (!order.executeStep()) {
      return Fail(Errc::kNotFound,
                  "order " + std::to_string(shipment.order_id) + " does not exist");
    }
    const bool reshipment = !order.getColumn(0).isNull();
    SQLite::Statement used(db, "SELECT 1 FROM shipments WHERE carrier = ? AND tracking_number = ?");
    used.bind(1, shipment.carrier);
    used.bind(2, shipment.tracking_number);
    if (used.executeStep()) {
      return Fail(Errc::kInvalidArgument,
                  "waybill " + shipment.tracking_number + " of " + shipment.carrier +
                      " is already on another shipment",
                  "tracking_number");
    }
    const std::string now = NowUtcIso();
    SQLite::Statement ins(db,
                          "INSERT INTO shipments(order_id, carrier, tracking_number, state, "
                          "reshipment, weight_g, size_mm, created_by, created_at, updated_at) "
                          "VALUES(?,?,?,'created',?,?,?,?,?,?)");
    ins.bind(1, shipment.order_id);
    ins.bind(2, shipment.carrier);
    ins.bind(3, shipment.tracking_number);
    ins.bind(4, reshipment ? 1 : 0);
    ins.bind(5, shipment.weight_g);
    ins.bind(6, shipment.size_mm);
    ins.bind(7, actor.name);
    ins.bind(8, now);
    ins.bind(9, now);
    ins.exec();
    const int64_t id = db.getLastInsertRowid();
    rows::AppendEvent(
        db, Event{0, shipment.order_id, std::nullopt, now, actor.name,
                  std::string(RoleName(actor.role)), "shipment.created", "", "created", "",
                  json{{"shipment", id},
                       {"carrier", shipment.carrier},
                       {"tracking_number", shipment.tracking_number},
                       {"reshipment", reshipment}}
                      .dump()});
    return *LoadShipment(db, id);
  });
}

Result<std::vector<Shipment>> ShipmentRepository::ShipmentsOfOrder(int64_t order_id) {
  return db_->Read([&](SQLite::Database& db) -> Result<std::vector<Shipment>> {
    SQLite::Statement q(
        db, std::string("SELECT ") + kShipmentColumns + " WHERE s.order_id = ? ORDER BY s.id");
    q.bind(1, order_id);
    std::vector<Shipment> out;
    while (q.executeStep()) out.push_back(ShipmentFromRow(q));
    return out;
  });
}

Result<TrackingOutcome> ShipmentRepository::ApplyTracking(const std::string& carrier,
                                                          const std::string& tracking_number,
                                                          const std::vector<TrackingEvent>& events,
                                                          const TrackingRules& rules) {
  return db_->Write([&](SQLite::Database& db) -> Result<TrackingOutcome> {
    SQLite::Statement find(db, std::string("SELECT ") + kShipmentColumns +
                                   " WHERE s.carrier = ? AND s.tracking_number = ?");
    find.bind(1, carrier);
    find.bind(2, tracking_number);
    if (!find.executeStep()) {
      return Fail(Errc::kNotFound, "no parcel has waybill " + tracking_number + " of " + carrier,
                  "tracking_number");
    }
    const Shipment shipment = ShipmentFromRow(find);
    TrackingOutcome outcome;
    outcome.shipment_id = static_cast<int>(shipment.id);
    const std::string now = NowUtcIso();
    SQLite::Statement ins(db,
                          "INSERT OR IGNORE INTO tracking_events(shipment_id, event_id, at, "
                          "status, carrier_code, description, received_at) "
                          "VALUES(?,?,?,?,?,?,?)");
    for (const TrackingEvent& e : events) {  // one prepared statement for the whole push
      ins.reset();
      ins.bind(1, shipment.id);
      ins.bind(2, e.event_id);
      ins.bind(3, e.at);
      ins.bind(4, e.status);
      ins.bind(5, e.carrier_code);
      ins.bind(6, e.description);
      ins.bind(7, now);
      if (ins.exec() == 1) {
        ++outcome.recorded;
      } else {
        ++outcome.duplicates;
      }
    }
    // every event the parcel ever had, in the order they happened (not the order they came)
    SQLite::Statement all(db,
                          "SELECT event_id, at, status, carrier_code, description FROM "
                          "tracking_events WHERE shipment_id = ? ORDER BY at, id");
    all.bind(1, shipment.id);
    std::vector<TrackingEvent> sorted;
    while (all.executeStep()) {
      sorted.push_back({all.getColumn(0).getString(), all.getColumn(1).getString(),
                        all.getColumn(2).getString(), all.getColumn(3).getString(),
                        all.getColumn(4).getString()});
    }
    const std::string state = rules.replay(sorted);
    outcome.shipment_state = state;
    if (state != shipment.state) {
      SQLite::Statement upd(db,
                            "UPDATE shipments SET state = ?, updated_at = ?, version = version + "
                            "1 WHERE id = ?");
      upd.bind(1, state);
      upd.bind(2, now);
      upd.bind(3, shipment.id);
      upd.exec();
      // the carrier's own words can name people (who signed): the timeline gets the status
      const std::string why = "carrier: " + state;
      rows::AppendEvent(
          db, Event{0, shipment.order_id, std::nullopt, now, "tracking", "system",
                    "shipment.transition", shipment.state, state, why,
                    json{{"shipment", shipment.id}, {"tracking_number", tracking_number}}.dump()});
    }
    // the order follows its parcels (shipped, then delivered; or an exception)
    for (int step = 0; step < 3; ++step) {
      auto order = rows::LoadOrder(db, "o.id = ?", std::to_string(shipment.order_id));
      if (!order) return Fail(Errc::kStorage, "the parcel's order vanished");
      outcome.order_state = order->state;
      SQLite::Statement parcels(db, "SELECT state FROM shipments WHERE order_id = ?");
      parcels.bind(1, shipment.order_id);
      std::vector<std::string> states;
      while (parcels.executeStep()) states.push_back(parcels.getColumn(0).getString());
      const std::string event = rules.order_event(order->state, states);
      if (event.empty()) break;
      auto moved =
          rows::ApplyOrderEvent(db, shipment.order_id, event, Actor{"tracking", Role::kSystem},
                                "carrier: " + state, std::nullopt, db_->options.job_max_attempts);
      if (!moved) return tl::unexpected(moved.error());
      outcome.order_state = moved->state;
    }
    return outcome;
  });
}

Result<Shipment> ShipmentRepository::GetShipment(int64_t shipment_id) {
  return db_->Read([&](SQLite::Database& db) -> Result<Shipment> {
    auto shipment = LoadShipment(db, shipment_id);
    if (!shipment) {
      return Fail(Errc::kNotFound, "shipment " + std::to_string(shipment_id) + " does not exist");
    }
    return *shipment;
  });
}

Result<std::vector<Shipment>> ShipmentRepository::UndeliveredShipments(int limit) {
  return db_->Read([&](SQLite::Database& db) -> Result<std::vector<Shipment>> {
    SQLite::Statement q(db, std::string("SELECT ") + kShipmentColumns +
                                " WHERE s.state != 'delivered' ORDER BY s.updated_at, s.id "
                                "LIMIT ?");
    q.bind(1, limit);
    std::vector<Shipment> out;
    while (q.executeStep()) out.push_back(ShipmentFromRow(q));
    return out;
  });
}

Result<std::vector<PackingQueueEntry>> ShipmentRepository::PackingQueue(int limit) {
  return db_->Read([&](SQLite::Database& db) -> Result<std::vector<PackingQueueEntry>> {
    // when the order last became ready to pack (its last item produced)
    SQLite::Statement q(db,
                        "SELECT o.id, COALESCE((SELECT max(e.at) FROM events e WHERE e.order_id = "
                        "o.id AND e.to_state = 'ready_to_pack'), "
                        "o.updated_at) AS ready FROM orders o WHERE o.state IN ('ready_to_pack', "
                        "'packed') ORDER BY ready, o.id LIMIT ?");
    q.bind(1, limit);
    std::vector<PackingQueueEntry> out;
    while (q.executeStep()) {
      const int64_t id = q.getColumn(0).getInt64();
      auto order = rows::LoadOrder(db, "o.id = ?", std::to_string(id));
      if (!order) continue;
      PackingQueueEntry entry{*order, q.getColumn(1).getString(), {}};
      SQLite::Statement parcels(
          db, std::string("SELECT ") + kShipmentColumns + " WHERE s.order_id = ? ORDER BY s.id");
      parcels.bind(1, id);
      while (parcels.executeStep()) entry.parcels.push_back(ShipmentFromRow(parcels));
      out.push_back(std::move(entry));
    }
    return out;
  });
}

Result<Shipment> ShipmentRepository::TransitionShipment(
    int64_t shipment_id, const std::string& event, const Actor& actor,
    std::optional<int64_t> expected_version,
    const std::function<Result<std::string>(const std::string&, const std::string&, Role)>& decide,
    const std::string& note) {
  return db_->Write([&](SQLite::Database& db) -> Result<Shipment> {
    auto found = LoadShipment(db, shipment_id);
    if (!found) {
      return Fail(Errc::kNotFound, "shipment " + std::to_string(shipment_id) + " does not exist");
    }
    const Shipment shipment = *found;
    if (expected_version && *expected_version != shipment.version) {
      return Fail(Errc::kVersionConflict,
                  "shipment " + std::to_string(shipment_id) + " changed since you read it",
                  "version");
    }
    auto to = decide(shipment.state, event, actor.role);
    if (!to) return tl::unexpected(to.error());
    const std::string now = NowUtcIso();
    SQLite::Statement upd(db,
                          "UPDATE shipments SET state = ?, updated_at = ?, version = version + 1 "
                          "WHERE id = ?");
    upd.bind(1, *to);
    upd.bind(2, now);
    upd.bind(3, shipment_id);
    upd.exec();
    rows::AppendEvent(
        db, Event{0, shipment.order_id, std::nullopt, now, actor.name,
                  std::string(RoleName(actor.role)), "shipment.transition", shipment.state, *to,
                  note, json{{"shipment", shipment_id}, {"event", event}}.dump()});
    return *LoadShipment(db, shipment_id);
  });
}

}  // namespace keepsake::orders
