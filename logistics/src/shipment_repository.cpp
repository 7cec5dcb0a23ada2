// Parcels, the logistics events on them and the carriers' tracking, in the store's
// transactions (orders/transaction.hpp).
#include "keepsake/logistics/shipment_repository.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "keepsake/logistics/shipment_state_machine.hpp"
#include "keepsake/logistics/tracking.hpp"
#include "keepsake/orders/sla.hpp"
#include "keepsake/orders/transaction.hpp"

namespace keepsake::logistics {

using nlohmann::json;
using orders::Fail;
using orders::Result;
using orders::Statement;
using orders::Transaction;

namespace {

constexpr const char* kShipmentColumns =
    "s.id, s.order_id, o.number, s.carrier, s.tracking_number, s.state, s.reshipment, "
    "s.weight_g, s.size_mm, s.created_by, s.created_at, s.updated_at, s.version, "
    "COALESCE((SELECT max(t.at) FROM tracking_events t WHERE t.shipment_id = s.id), ''), "
    "s.carrier_order_id, s.routing_code, s.sorting_code, s.carrier_label, "
    "COALESCE(s.replaces, 0), COALESCE((SELECT group_concat(si.item_id) FROM shipment_items si "
    "WHERE si.shipment_id = s.id), ''), COALESCE(s.claim_id, 0), COALESCE(s.pickup_at, ''), "
    "COALESCE((SELECT size FROM carrier_label_files f WHERE f.shipment_id = s.id), '') FROM "
    "shipments s JOIN orders o ON o.id = s.order_id";

// A parcel that counts for the items it carries (alias s): not cancelled, not replaced by a
// reship (its replacement carries them), not a return (that brings a claimed piece back).
constexpr const char* kCountingParcel =
    "s.state != 'cancelled' AND s.claim_id IS NULL AND s.id NOT IN (SELECT replaces FROM "
    "shipments WHERE replaces IS NOT NULL)";
// An item (alias i) in no parcel that counts.
const std::string kUnparcelled =
    std::string(
        "NOT EXISTS (SELECT 1 FROM shipment_items si JOIN shipments s ON s.id = "
        "si.shipment_id WHERE si.item_id = i.id AND ") +
    kCountingParcel + ")";

Shipment ShipmentFromRow(const Statement& q) {
  Shipment s;
  s.id = q.Int(0);
  s.order_id = q.Int(1);
  s.order_number = q.Text(2);
  s.carrier = q.Text(3);
  s.tracking_number = q.Text(4);
  s.state = q.Text(5);
  s.reshipment = q.Int(6) != 0;
  s.weight_g = static_cast<int>(q.Int(7));
  s.size_mm = q.Text(8);
  s.created_by = q.Text(9);
  s.created_at = q.Text(10);
  s.updated_at = q.Text(11);
  s.version = q.Int(12);
  s.last_scan_at = q.Text(13);
  s.carrier_order_id = q.Text(14);
  s.routing_code = q.Text(15);
  s.sorting_code = q.Text(16);
  s.carrier_label = q.Text(17);
  s.replaces = q.Int(18);
  const std::string items = q.Text(19);
  for (size_t at = 0; at < items.size();) {
    const size_t comma = std::min(items.find(',', at), items.size());
    s.items.push_back(std::stoll(items.substr(at, comma - at)));
    at = comma + 1;
  }
  std::sort(s.items.begin(), s.items.end());
  s.claim_id = q.Int(20);
  s.pickup_at = q.Text(21);
  s.carrier_label_size = q.Text(22);
  return s;
}

// The parcels matching `where` (one placeholder, bound to `key`), in id order.
std::vector<Shipment> LoadShipments(Transaction& tx, const std::string& where, int64_t key) {
  Statement q =
      tx.Prepare(std::string("SELECT ") + kShipmentColumns + " WHERE " + where + " ORDER BY s.id");
  q.Bind(1, key);
  std::vector<Shipment> out;
  while (q.Step()) out.push_back(ShipmentFromRow(q));
  return out;
}

// Moves the order along with its parcels (shipped when they have all left or one moves,
// delivered when all arrived, an exception), as far as they take it; returns its state.
Result<std::string> FollowParcels(Transaction& tx, int64_t order_id, const orders::Actor& actor,
                                  const std::string& reason) {
  std::string state;
  for (int step = 0; step < 3; ++step) {
    auto order = tx.LoadOrder(order_id);
    if (!order) return Fail(orders::Errc::kStorage, "the parcel's order vanished");
    state = order->state;
    // a parcel sent again in its place no longer counts for the order, nor does a return
    Statement parcels = tx.Prepare(
        "SELECT state FROM shipments WHERE order_id = ? AND claim_id IS NULL AND id NOT IN "
        "(SELECT replaces FROM shipments WHERE order_id = ? AND replaces IS NOT NULL)");
    parcels.Bind(1, order_id).Bind(2, order_id);
    std::vector<std::string> states;
    while (parcels.Step()) states.push_back(parcels.Text(0));
    const std::string event = OrderEventForParcels(order->state, states);
    if (event.empty()) break;
    auto moved = tx.ApplyOrderEvent(order_id, event, actor, reason);
    if (!moved) return tl::unexpected(moved.error());
    state = moved->state;
  }
  return state;
}

Result<Shipment> LoadShipment(Transaction& tx, int64_t id) {
  auto found = LoadShipments(tx, "s.id = ?", id);
  if (found.empty()) {
    return Fail(orders::Errc::kNotFound, "shipment " + std::to_string(id) + " does not exist");
  }
  return found.front();
}

void SetState(Transaction& tx, int64_t shipment_id, const std::string& state,
              const std::string& now) {
  tx.Prepare("UPDATE shipments SET state = ?, updated_at = ?, version = version + 1 WHERE id = ?")
      .Bind(1, state)
      .Bind(2, now)
      .Bind(3, shipment_id)
      .Exec();
}

// Only a parcel of this order that its courier lost, returned or gave up on is sent again, and
// only once.
Result<void> CheckReplaceable(Transaction& tx, int64_t order_id, int64_t shipment_id) {
  Statement failed = tx.Prepare(
      "SELECT order_id, state, (SELECT count(*) FROM shipments r WHERE r.replaces = s.id) "
      "FROM shipments s WHERE id = ?");
  failed.Bind(1, shipment_id);
  const std::string which = "parcel " + std::to_string(shipment_id);
  if (!failed.Step() || failed.Int(0) != order_id) {
    return Fail(orders::Errc::kInvalidArgument, which + " is not a parcel of this order",
                "replaces");
  }
  const std::string state = failed.Text(1);
  if (state != shipment_state::kException && state != shipment_state::kReturned &&
      state != shipment_state::kExpired) {
    return Fail(orders::Errc::kInvalidArgument,
                which + " is " + state +
                    ": only a parcel its courier lost, returned or gave up on (exception, "
                    "returned, expired) is sent again",
                "replaces");
  }
  if (failed.Int(2) > 0) {
    return Fail(orders::Errc::kInvalidArgument, which + " has been sent again already", "replaces");
  }
  return {};
}

// The items a new parcel carries: a reship those of the parcel it replaces; the lead's list
// (each an item of the order, produced, and in no other parcel that still counts); or, without
// a list, every item of the order not cancelled and not in such a parcel.
Result<std::vector<int64_t>> ItemsForParcel(Transaction& tx, const NewShipment& shipment) {
  std::vector<int64_t> out;
  if (shipment.claim_id != 0) {  // a return brings back the claim's item
    Statement claim = tx.Prepare("SELECT item_id FROM claims WHERE id = ? AND order_id = ?");
    claim.Bind(1, shipment.claim_id).Bind(2, shipment.order_id);
    if (!claim.Step()) {
      return Fail(orders::Errc::kNotFound,
                  "claim " + std::to_string(shipment.claim_id) + " is not a claim on this order");
    }
    out.push_back(claim.Int(0));
    return out;
  }
  if (shipment.replaces != 0) {
    Statement same = tx.Prepare("SELECT item_id FROM shipment_items WHERE shipment_id = ?");
    same.Bind(1, shipment.replaces);
    while (same.Step()) out.push_back(same.Int(0));
    return out;
  }
  // in a parcel that counts: not cancelled, not replaced by another
  std::map<int64_t, int64_t> parcelled;
  Statement in = tx.Prepare(
      std::string("SELECT si.item_id, s.id FROM shipment_items si JOIN shipments s ON s.id = "
                  "si.shipment_id WHERE s.order_id = ? AND ") +
      kCountingParcel);
  in.Bind(1, shipment.order_id);
  while (in.Step()) parcelled[in.Int(0)] = in.Int(1);
  std::map<int64_t, std::string> states;
  Statement items = tx.Prepare("SELECT id, state FROM items WHERE order_id = ? ORDER BY position");
  items.Bind(1, shipment.order_id);
  while (items.Step()) states[items.Int(0)] = items.Text(1);
  if (shipment.items.empty()) {
    for (const auto& [id, state] : states) {
      if (state != "cancelled" && !parcelled.count(id)) out.push_back(id);
    }
    return out;
  }
  for (int64_t id : shipment.items) {
    const std::string which = "item " + std::to_string(id);
    const auto state = states.find(id);
    if (state == states.end()) {
      return Fail(orders::Errc::kInvalidArgument, which + " is not an item of this order", "items");
    }
    if (state->second != "produced") {
      return Fail(orders::Errc::kInvalidArgument,
                  which + " is " + state->second + ": only a produced item goes in a parcel",
                  "items");
    }
    if (const auto in_parcel = parcelled.find(id); in_parcel != parcelled.end()) {
      return Fail(orders::Errc::kInvalidArgument,
                  which + " is in parcel " + std::to_string(in_parcel->second) + " already",
                  "items");
    }
    if (std::find(out.begin(), out.end(), id) != out.end()) {
      return Fail(orders::Errc::kInvalidArgument, which + " is listed twice", "items");
    }
    out.push_back(id);
  }
  return out;
}

}  // namespace

Result<Shipment> ShipmentRepository::CreateShipment(const NewShipment& shipment,
                                                    const orders::Actor& actor) {
  return store_->Write([&](Transaction& tx) -> Result<Shipment> {
    Statement order = tx.Prepare("SELECT reshipment_of FROM orders WHERE id = ?");
    order.Bind(1, shipment.order_id);
    if (!order.Step()) {
      return Fail(orders::Errc::kNotFound,
                  "order " + std::to_string(shipment.order_id) + " does not exist");
    }
    const bool reshipment = !order.IsNull(0);
    if (shipment.replaces != 0) {
      if (auto ok = CheckReplaceable(tx, shipment.order_id, shipment.replaces); !ok)
        return tl::unexpected(ok.error());
    }
    auto items = ItemsForParcel(tx, shipment);
    if (!items) return tl::unexpected(items.error());
    Statement used =
        tx.Prepare("SELECT 1 FROM shipments WHERE carrier = ? AND tracking_number = ?");
    used.Bind(1, shipment.carrier).Bind(2, shipment.tracking_number);
    if (used.Step()) {
      return Fail(orders::Errc::kInvalidArgument,
                  "waybill " + shipment.tracking_number + " of " + shipment.carrier +
                      " is already on another shipment",
                  "tracking_number");
    }
    const std::string now = orders::NowUtcIso();
    // a return is in its courier's hands from the start: the courier collects it from the
    // customer, and its scans move it from there
    const std::string state(shipment.claim_id != 0 ? shipment_state::kHandedOver
                                                   : shipment_state::kCreated);
    Statement insert = tx.Prepare(
        "INSERT INTO shipments(order_id, carrier, tracking_number, state, reshipment, "
        "weight_g, size_mm, created_by, created_at, updated_at, carrier_order_id, "
        "routing_code, sorting_code, carrier_label, replaces, claim_id, pickup_at) "
        "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,NULLIF(?, ''))");
    insert.Bind(1, shipment.order_id)
        .Bind(2, shipment.carrier)
        .Bind(3, shipment.tracking_number)
        .Bind(4, state)
        .Bind(5, reshipment ? 1 : 0)
        .Bind(6, shipment.weight_g)
        .Bind(7, shipment.size_mm)
        .Bind(8, actor.name)
        .Bind(9, now)
        .Bind(10, now)
        .Bind(11, shipment.carrier_order_id)
        .Bind(12, shipment.routing_code)
        .Bind(13, shipment.sorting_code)
        .Bind(14, shipment.carrier_label);
    if (shipment.replaces != 0) {
      insert.Bind(15, shipment.replaces);
    } else {
      insert.BindNull(15);
    }
    if (shipment.claim_id != 0) {
      insert.Bind(16, shipment.claim_id);
    } else {
      insert.BindNull(16);
    }
    insert.Bind(17, shipment.pickup_at);
    insert.Exec();
    const int64_t id = tx.LastInsertId();
    if (!shipment.carrier_label_pdf.empty()) {
      // the carrier's label holds the full address: encrypted as the customer's fields are
      tx.Prepare(
            "INSERT INTO carrier_label_files(shipment_id, size, pdf, created_at) "
            "VALUES(?, ?, ks_encrypt(?), ?)")
          .Bind(1, id)
          .Bind(2, shipment.carrier_label_size)
          .Bind(3, shipment.carrier_label_pdf)
          .Bind(4, now)
          .Exec();
    }
    Statement carries = tx.Prepare("INSERT INTO shipment_items(shipment_id, item_id) VALUES(?, ?)");
    for (int64_t item : *items) {
      carries.Reset();
      carries.Bind(1, id).Bind(2, item).Exec();
    }
    if (shipment.booking_id != 0) {  // the carrier's booking ends in this parcel
      tx.Prepare(
            "UPDATE carrier_bookings SET state = 'booked', shipment_id = ?, reason = '', "
            "carrier_code = '', updated_at = ? WHERE id = ?")
          .Bind(1, id)
          .Bind(2, now)
          .Bind(3, shipment.booking_id)
          .Exec();
    }
    tx.AppendEvent(orders::Event{0, shipment.order_id, std::nullopt, now, actor.name,
                                 std::string(orders::RoleName(actor.role)), "shipment.created", "",
                                 state, shipment.reason,
                                 json{{"shipment", id},
                                      {"carrier", shipment.carrier},
                                      {"tracking_number", shipment.tracking_number},
                                      {"carrier_order_id", shipment.carrier_order_id},
                                      {"reshipment", reshipment},
                                      {"replaces", shipment.replaces},
                                      {"items", *items},
                                      {"claim", shipment.claim_id}}
                                     .dump()});
    return LoadShipment(tx, id);
  });
}

Result<void> ShipmentRepository::CanReplace(int64_t order_id, int64_t shipment_id) {
  return store_->Read(
      [&](Transaction& tx) -> Result<void> { return CheckReplaceable(tx, order_id, shipment_id); });
}

Result<std::vector<Shipment>> ShipmentRepository::ShipmentsOfOrder(int64_t order_id) {
  return store_->Read([&](Transaction& tx) -> Result<std::vector<Shipment>> {
    return LoadShipments(tx, "s.order_id = ?", order_id);
  });
}

Result<TrackingOutcome> ShipmentRepository::ApplyTracking(
    const std::string& carrier, const std::string& tracking_number,
    const std::vector<TrackingEvent>& events) {
  return store_->Write([&](Transaction& tx) -> Result<TrackingOutcome> {
    Statement find = tx.Prepare(std::string("SELECT ") + kShipmentColumns +
                                " WHERE s.carrier = ? AND s.tracking_number = ?");
    find.Bind(1, carrier).Bind(2, tracking_number);
    if (!find.Step()) {
      return Fail(orders::Errc::kNotFound,
                  "no parcel has waybill " + tracking_number + " of " + carrier, "tracking_number");
    }
    const Shipment shipment = ShipmentFromRow(find);
    TrackingOutcome outcome;
    outcome.shipment_id = static_cast<int>(shipment.id);
    const std::string now = orders::NowUtcIso();
    Statement insert = tx.Prepare(
        "INSERT OR IGNORE INTO tracking_events(shipment_id, event_id, at, status, carrier_code, "
        "description, received_at) VALUES(?,?,?,?,?,?,?)");
    for (const TrackingEvent& e : events) {  // one prepared statement for the whole push
      insert.Reset();
      insert.Bind(1, shipment.id)
          .Bind(2, e.event_id)
          .Bind(3, e.at)
          .Bind(4, e.status)
          .Bind(5, e.carrier_code)
          .Bind(6, e.description)
          .Bind(7, now);
      if (insert.Exec() == 1) {
        ++outcome.recorded;
      } else {
        ++outcome.duplicates;
      }
    }
    // every event the parcel ever had, in the order they happened (not the order they came)
    Statement all = tx.Prepare(
        "SELECT event_id, at, status, carrier_code, description FROM tracking_events WHERE "
        "shipment_id = ? ORDER BY at, id");
    all.Bind(1, shipment.id);
    std::vector<TrackingEvent> sorted;
    while (all.Step()) {
      sorted.push_back({all.Text(0), all.Text(1), all.Text(2), all.Text(3), all.Text(4)});
    }
    const std::string state = ReplayTracking(sorted);
    outcome.shipment_state = state;
    if (state != shipment.state) {
      SetState(tx, shipment.id, state, now);
      // the carrier's own words can name people (who signed): the timeline gets the status
      tx.AppendEvent(orders::Event{
          0, shipment.order_id, std::nullopt, now, "tracking", "system", "shipment.transition",
          shipment.state, state, "carrier: " + state,
          json{{"shipment", shipment.id}, {"tracking_number", tracking_number}}.dump()});
    }
    // the order follows its parcels (shipped, then delivered; or an exception)
    auto order_state =
        FollowParcels(tx, shipment.order_id, orders::Actor{"tracking", orders::Role::kSystem},
                      "carrier: " + state);
    if (!order_state) return tl::unexpected(order_state.error());
    outcome.order_state = *order_state;
    return outcome;
  });
}

Result<Shipment> ShipmentRepository::GetShipment(int64_t shipment_id) {
  return store_->Read(
      [&](Transaction& tx) -> Result<Shipment> { return LoadShipment(tx, shipment_id); });
}

Result<std::string> ShipmentRepository::CarrierLabelPdf(int64_t shipment_id) {
  return store_->Read([&](Transaction& tx) -> Result<std::string> {
    Statement q =
        tx.Prepare("SELECT ks_decrypt(pdf) FROM carrier_label_files WHERE shipment_id = ?");
    q.Bind(1, shipment_id);
    return q.Step() ? q.Text(0) : std::string();
  });
}

Result<std::vector<Shipment>> ShipmentRepository::QuietShipments(
    const std::vector<std::string>& carriers, int64_t now_ms, int64_t quiet_ms, int limit) {
  if (carriers.empty()) return std::vector<Shipment>{};
  return store_->Read([&](Transaction& tx) -> Result<std::vector<Shipment>> {
    std::string names;
    for (size_t i = 0; i < carriers.size(); ++i) names += i == 0 ? "?" : ", ?";
    // the last word of any kind: a scan received, a change of state, a poll (ISO times in UTC
    // compare as text)
    const std::string heard =
        "max(s.updated_at, COALESCE(s.polled_at, ''), COALESCE((SELECT max(t.received_at) FROM "
        "tracking_events t WHERE t.shipment_id = s.id), ''))";
    Statement q = tx.Prepare(std::string("SELECT ") + kShipmentColumns +
                             " WHERE s.state IN (?, ?, ?, ?, ?, ?) AND s.carrier IN (" + names +
                             ") AND " + heard +
                             " < ? AND s.id NOT IN (SELECT replaces FROM shipments WHERE "
                             "replaces IS NOT NULL) ORDER BY " +
                             heard + ", s.id LIMIT ?");
    int at = 1;
    for (std::string_view state :
         {shipment_state::kHandedOver, shipment_state::kInTransit, shipment_state::kOutForDelivery,
          shipment_state::kAvailableForPickup, shipment_state::kAttemptFailed,
          shipment_state::kException}) {
      q.Bind(at++, std::string(state));
    }
    for (const std::string& c : carriers) q.Bind(at++, c);
    q.Bind(at, orders::IsoFromUnixMs(now_ms - quiet_ms));
    q.Bind(at + 1, limit);
    std::vector<Shipment> out;
    while (q.Step()) out.push_back(ShipmentFromRow(q));
    return out;
  });
}

Result<void> ShipmentRepository::MarkPolled(int64_t shipment_id) {
  return store_->Write([&](Transaction& tx) -> Result<void> {
    tx.Prepare("UPDATE shipments SET polled_at = ? WHERE id = ?")
        .Bind(1, orders::NowUtcIso())
        .Bind(2, shipment_id)
        .Exec();
    return {};
  });
}

Result<std::vector<Shipment>> ShipmentRepository::UndeliveredShipments(int limit) {
  return store_->Read([&](Transaction& tx) -> Result<std::vector<Shipment>> {
    Statement q = tx.Prepare(std::string("SELECT ") + kShipmentColumns +
                             " WHERE s.state NOT IN (?, ?) AND s.id NOT IN (SELECT replaces "
                             "FROM shipments WHERE replaces IS NOT NULL) ORDER BY s.updated_at, "
                             "s.id LIMIT ?");
    q.Bind(1, std::string(shipment_state::kDelivered))
        .Bind(2, std::string(shipment_state::kCancelled))
        .Bind(3, limit);
    std::vector<Shipment> out;
    while (q.Step()) out.push_back(ShipmentFromRow(q));
    return out;
  });
}

Result<std::vector<PackingQueueEntry>> ShipmentRepository::PackingQueue(int limit) {
  return store_->Read([&](Transaction& tx) -> Result<std::vector<PackingQueueEntry>> {
    // when the order last became ready to pack (its last item produced)
    Statement q = tx.Prepare(
        "SELECT o.id, COALESCE((SELECT max(e.at) FROM events e WHERE e.order_id = o.id AND "
        "e.to_state = 'ready_to_pack'), o.updated_at) AS ready FROM orders o WHERE o.state IN "
        "('ready_to_pack', 'packed') OR (o.state IN ('delivery_exception', 'in_production') AND "
        "EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id AND s.claim_id IS NULL AND "
        "s.state IN ('created', 'label_printed'))) OR (o.state = 'in_production' AND EXISTS "
        "(SELECT 1 FROM items i WHERE i.order_id = o.id AND i.state = 'produced' AND " +
        kUnparcelled + ")) ORDER BY ready, o.id LIMIT ?");
    q.Bind(1, limit);
    std::vector<PackingQueueEntry> out;
    while (q.Step()) {
      const int64_t id = q.Int(0);
      auto order = tx.LoadOrder(id);
      if (!order) continue;
      PackingQueueEntry entry{
          *order, q.Text(1), LoadShipments(tx, "s.order_id = ? AND s.claim_id IS NULL", id), {}};
      Statement rest = tx.Prepare(
          "SELECT i.id FROM items i WHERE i.order_id = ? AND i.state != 'cancelled' AND " +
          kUnparcelled + " ORDER BY i.position");
      rest.Bind(1, id);
      while (rest.Step()) entry.unparcelled.push_back(rest.Int(0));
      out.push_back(std::move(entry));
    }
    return out;
  });
}

Result<Shipment> ShipmentRepository::TransitionShipment(int64_t shipment_id,
                                                        const std::string& event,
                                                        const orders::Actor& actor,
                                                        std::optional<int64_t> expected_version,
                                                        const std::string& note) {
  return store_->Write([&](Transaction& tx) -> Result<Shipment> {
    auto shipment = LoadShipment(tx, shipment_id);
    if (!shipment) return shipment;
    if (expected_version && *expected_version != shipment->version) {
      return Fail(orders::Errc::kVersionConflict,
                  "shipment " + std::to_string(shipment_id) + " changed since you read it",
                  "version");
    }
    auto row = ShipmentStateMachine().Find(shipment->state, event, actor.role);
    if (!row) return tl::unexpected(row.error());
    const std::string to((*row)->to);
    const std::string now = orders::NowUtcIso();
    SetState(tx, shipment_id, to, now);
    tx.AppendEvent(orders::Event{0, shipment->order_id, std::nullopt, now, actor.name,
                                 std::string(orders::RoleName(actor.role)), "shipment.transition",
                                 shipment->state, to, note,
                                 json{{"shipment", shipment_id}, {"event", event}}.dump()});
    // the last parcel of a packed order handed over: the order is shipped, in the same
    // transaction (the packing list empties)
    auto order_state = FollowParcels(tx, shipment->order_id, actor, event);
    if (!order_state) return tl::unexpected(order_state.error());
    return LoadShipment(tx, shipment_id);
  });
}

Result<void> ShipmentRepository::KeepPush(const std::string& carrier, const std::string& body,
                                          const std::vector<int64_t>& shipment_ids,
                                          const std::string& outcome) {
  return store_->Write([&](Transaction& tx) -> Result<void> {
    tx.Prepare("INSERT INTO carrier_pushes(carrier, received_at, body, outcome) VALUES(?,?,?,?)")
        .Bind(1, carrier)
        .Bind(2, orders::NowUtcIso())
        .Bind(3, body)
        .Bind(4, outcome.substr(0, 500))
        .Exec();
    const int64_t push = tx.LastInsertId();
    Statement link =
        tx.Prepare("INSERT OR IGNORE INTO carrier_push_parcels(push_id, shipment_id) VALUES(?, ?)");
    for (int64_t id : shipment_ids) {
      link.Reset();
      link.Bind(1, push).Bind(2, id).Exec();
    }
    return {};
  });
}

}  // namespace keepsake::logistics
