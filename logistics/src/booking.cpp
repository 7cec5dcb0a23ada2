#include "keepsake/logistics/booking.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include <nlohmann/json.hpp>

#include "keepsake/imaging/label.hpp"
#include "keepsake/logistics/shipment_repository.hpp"
#include "keepsake/logistics/shipment_state_machine.hpp"
#include "keepsake/orders/transaction.hpp"
#include "logistics_settings.hpp"

namespace keepsake::logistics {

using nlohmann::json;
using orders::Fail;
using orders::Result;
using orders::Statement;
using orders::Transaction;

namespace {

Party Recipient(const orders::Customer& c) {
  return {c.name,
          c.phone,
          "",
          c.address.province,
          c.address.city,
          c.address.district,
          c.address.street + (c.address.detail.empty() ? "" : " " + c.address.detail)};
}

std::string Last4(const std::string& phone) {
  return phone.size() >= 4 ? phone.substr(phone.size() - 4) : phone;
}

// Records the carrier's refusal (or silence) on the attempt, for the lead and the next try.
Result<void> RecordFailure(orders::Store& store, int64_t booking_id, const CarrierError& e) {
  return store.Write([&](Transaction& tx) -> Result<void> {
    tx.Prepare(
          "UPDATE carrier_bookings SET state = ?, reason = ?, carrier_code = ?, updated_at = ? "
          "WHERE id = ?")
        .Bind(1, std::string(e.code == CarrierErrc::kUnavailable ? "pending" : "failed"))
        .Bind(2, e.message.substr(0, 500))
        .Bind(3, e.carrier_code.substr(0, 40))
        .Bind(4, orders::NowUtcIso())
        .Bind(5, booking_id)
        .Exec();
    return {};
  });
}

// A carrier's own label as the size its pages print at ("100x150", to the nearest mm), or why
// it cannot be printed.
tl::expected<std::string, std::string> LabelSize(const std::string& pdf) {
  auto pages = imaging::CarrierPdfPages(pdf);
  if (!pages) return tl::unexpected(pages.error().message);
  const imaging::PdfPageSize& first = pages->front();
  for (const imaging::PdfPageSize& page : *pages) {
    if (std::abs(page.width_mm - first.width_mm) > 1 ||
        std::abs(page.height_mm - first.height_mm) > 1) {
      return tl::unexpected(std::string("its pages are of different sizes"));
    }
  }
  return std::to_string(std::lround(first.width_mm)) + "x" +
         std::to_string(std::lround(first.height_mm));
}

}  // namespace

Result<CarrierOutcome> BookParcel(orders::Store& store, const orders::ProductCatalog& catalog,
                                  const std::string& assets_dir, Carrier& carrier,
                                  const ParcelToBook& parcel, const orders::Actor& actor) {
  auto order = store.Orders().GetOrder(parcel.order_id);
  if (!order) return tl::unexpected(order.error());
  if (!order->customer) {
    return Fail(orders::Errc::kInvalidArgument,
                "order " + order->number + " has no recipient (its data was purged)", "order");
  }
  auto settings = LogisticsSettings(assets_dir);
  if (!settings) return tl::unexpected(settings.error());
  auto sender = SenderContact(*settings);
  if (!sender) return tl::unexpected(sender.error());

  // the attempt, before the call: an unfinished one of this carrier is retried with its id
  CarrierOutcome outcome;
  int64_t booking_id = 0;
  auto opened = store.Write([&](Transaction& tx) -> Result<void> {
    const std::string now = orders::NowUtcIso();
    Statement open = tx.Prepare(
        "SELECT id, carrier_order_id, attempts FROM carrier_bookings WHERE order_id = ? AND "
        "carrier = ? AND state != 'booked' AND COALESCE(claim_id, 0) = ? ORDER BY id LIMIT 1");
    open.Bind(1, parcel.order_id).Bind(2, carrier.Name()).Bind(3, parcel.claim_id);
    if (open.Step()) {
      booking_id = open.Int(0);
      outcome.carrier_order_id = open.Text(1);
      outcome.attempts = static_cast<int>(open.Int(2)) + 1;
      tx.Prepare(
            "UPDATE carrier_bookings SET state = 'pending', attempts = ?, weight_g = ?, "
            "size_mm = ?, updated_at = ? WHERE id = ?")
          .Bind(1, outcome.attempts)
          .Bind(2, parcel.weight_g)
          .Bind(3, parcel.size_mm)
          .Bind(4, now)
          .Bind(5, booking_id)
          .Exec();
      return {};
    }
    // outbound parcels P1, P2, ...; returns R1, R2, ...
    Statement count = tx.Prepare(
        "SELECT count(*) FROM carrier_bookings WHERE order_id = ? AND (claim_id IS NULL) = ?");
    count.Bind(1, parcel.order_id).Bind(2, parcel.claim_id == 0 ? 1 : 0);
    count.Step();
    outcome.carrier_order_id =
        order->number + (parcel.claim_id == 0 ? "-P" : "-R") + std::to_string(count.Int(0) + 1);
    outcome.attempts = 1;
    tx.Prepare(
          "INSERT INTO carrier_bookings(order_id, carrier, carrier_order_id, state, attempts, "
          "weight_g, size_mm, created_by, created_at, updated_at, claim_id) "
          "VALUES(?,?,?,'pending',1,?,?,?,?,?,NULLIF(?, 0))")
        .Bind(1, parcel.order_id)
        .Bind(2, carrier.Name())
        .Bind(3, outcome.carrier_order_id)
        .Bind(4, parcel.weight_g)
        .Bind(5, parcel.size_mm)
        .Bind(6, actor.name)
        .Bind(7, now)
        .Bind(8, now)
        .Bind(9, parcel.claim_id)
        .Exec();
    booking_id = tx.LastInsertId();
    return {};
  });
  if (!opened) return tl::unexpected(opened.error());

  BookingRequest request;
  request.carrier_order_id = outcome.carrier_order_id;
  request.sender = *sender;
  request.recipient = Recipient(*order->customer);
  request.contents = ContentsSummary(*order, catalog, parcel.items);
  if (parcel.claim_id != 0) {  // the customer sends the piece back to the shop
    std::swap(request.sender, request.recipient);
    request.contents = "Return (claim " + std::to_string(parcel.claim_id) +
                       "): " + ContentsSummary(*order, catalog, parcel.items);
  }
  request.weight_g = parcel.weight_g;
  request.pickup_at = parcel.pickup_at;
  auto booked = carrier.Book(request);
  if (!booked) {
    if (auto recorded = RecordFailure(store, booking_id, booked.error()); !recorded) {
      return tl::unexpected(recorded.error());
    }
    outcome.failure = booked.error();
    return outcome;
  }
  if (auto valid = carrier.CheckWaybill(booked->waybill); !valid) {
    const CarrierError odd{CarrierErrc::kProtocol,
                           carrier.DisplayName() + " sent waybill \"" +
                               booked->waybill.substr(0, 40) +
                               "\", which cannot be: " + valid.error(),
                           ""};
    if (auto recorded = RecordFailure(store, booking_id, odd); !recorded) {
      return tl::unexpected(recorded.error());
    }
    outcome.failure = odd;
    return outcome;
  }
  NewShipment shipment{parcel.order_id,      carrier.Name(),       booked->waybill,
                       parcel.weight_g,      parcel.size_mm,       outcome.carrier_order_id,
                       booked->routing_code, booked->sorting_code, booked->carrier_label,
                       booking_id,           parcel.replaces,      parcel.reason,
                       parcel.items,         parcel.claim_id,      parcel.pickup_at};
  std::string label_problem = booked->label_problem;
  if (!booked->label_pdf.empty()) {
    auto size = LabelSize(booked->label_pdf);
    if (size) {
      shipment.carrier_label_pdf = std::move(booked->label_pdf);
      shipment.carrier_label_size = *size;
    } else {
      label_problem = carrier.DisplayName() + "'s own label cannot be printed (" + size.error() +
                      "); Keepsake's drawing of it will be";
    }
  }
  auto created = ShipmentRepository(store).CreateShipment(shipment, actor);
  if (!created) return tl::unexpected(created.error());
  outcome.shipment = *created;
  if (booked->recovered) {
    outcome.note = "the carrier had this booking from an earlier attempt; its waybill is kept";
  }
  if (!label_problem.empty()) {
    outcome.note += std::string(outcome.note.empty() ? "" : "; ") + label_problem;
  }
  // pushes for this waybill (Kuaidi100 is asked; SF pushes by itself); without them the
  // parcel is polled, so a refusal here is a note, not a failure
  auto subscribed = carrier.Subscribe(booked->waybill, Last4(order->customer->phone));
  if (!subscribed && subscribed.error().code != CarrierErrc::kNotSupported) {
    outcome.note += std::string(outcome.note.empty() ? "" : "; ") +
                    "tracking pushes were not arranged (" + subscribed.error().message +
                    "): the parcel will be polled";
  }
  return outcome;
}

Result<std::vector<BookingAttempt>> OpenBookings(orders::Store& store, int64_t order_id) {
  return store.Read([&](Transaction& tx) -> Result<std::vector<BookingAttempt>> {
    Statement q = tx.Prepare(
        "SELECT id, carrier, carrier_order_id, state, reason, carrier_code, attempts, updated_at "
        "FROM carrier_bookings WHERE order_id = ? AND state != 'booked' ORDER BY id");
    q.Bind(1, order_id);
    std::vector<BookingAttempt> out;
    while (q.Step()) {
      out.push_back({q.Int(0), q.Text(1), q.Text(2), q.Text(3), q.Text(4), q.Text(5),
                     static_cast<int>(q.Int(6)), q.Text(7)});
    }
    return out;
  });
}

Result<CarrierOutcome> CancelParcel(orders::Store& store, Carrier* carrier, int64_t shipment_id,
                                    const orders::Actor& actor,
                                    std::optional<int64_t> expected_version) {
  ShipmentRepository shipments(store);
  auto shipment = shipments.GetShipment(shipment_id);
  if (!shipment) return tl::unexpected(shipment.error());
  if (expected_version && *expected_version != shipment->version) {
    return Fail(orders::Errc::kVersionConflict,
                "shipment " + std::to_string(shipment_id) + " changed since you read it",
                "version");
  }
  // the table first: a parcel the courier has is not cancelled at the carrier either
  auto row = ShipmentStateMachine().Find(shipment->state, shipment_event::kCancel, actor.role);
  if (!row) return tl::unexpected(row.error());
  CarrierOutcome outcome;
  outcome.carrier_order_id = shipment->carrier_order_id;
  const bool with_carrier = carrier != nullptr && carrier->Books();
  if (with_carrier) {
    auto cancelled = carrier->Cancel(shipment->carrier_order_id, shipment->tracking_number);
    if (!cancelled) {
      outcome.failure = cancelled.error();
      outcome.shipment = *shipment;
      return outcome;
    }
  }
  auto moved = shipments.TransitionShipment(
      shipment_id, std::string(shipment_event::kCancel), actor, shipment->version,
      with_carrier ? "cancelled with " + carrier->DisplayName() : "cancelled");
  if (!moved) return tl::unexpected(moved.error());
  outcome.shipment = *moved;
  return outcome;
}

Result<CarrierOutcome> RefreshTracking(orders::Store& store, Carrier& carrier,
                                       int64_t shipment_id) {
  ShipmentRepository shipments(store);
  auto shipment = shipments.GetShipment(shipment_id);
  if (!shipment) return tl::unexpected(shipment.error());
  auto order = store.Orders().GetOrder(shipment->order_id);
  if (!order) return tl::unexpected(order.error());
  CarrierOutcome outcome;
  outcome.carrier_order_id = shipment->carrier_order_id;
  auto scans = carrier.Track(shipment->tracking_number,
                             order->customer ? Last4(order->customer->phone) : "");
  if (!scans) {
    outcome.failure = scans.error();
    outcome.shipment = *shipment;
    return outcome;
  }
  auto applied = shipments.ApplyTracking(shipment->carrier, shipment->tracking_number, *scans);
  if (!applied) return tl::unexpected(applied.error());
  auto after = shipments.GetShipment(shipment_id);
  if (!after) return tl::unexpected(after.error());
  outcome.shipment = *after;
  outcome.note = std::to_string(applied->recorded) + " new scans, " +
                 std::to_string(applied->duplicates) + " seen before";
  return outcome;
}

ParcelPreset PresetFor(const orders::Order& order, const orders::ProductCatalog& catalog,
                       const std::vector<int64_t>& items) {
  ParcelPreset preset;
  std::array<int, 3> box{};
  for (const orders::Item& item : order.items) {
    if (item.state == "cancelled") continue;
    if (!items.empty() && std::find(items.begin(), items.end(), item.id) == items.end()) continue;
    const orders::Product* product = catalog.Find(item.product);
    if (product == nullptr || product->parcel_weight_g == 0) continue;
    preset.weight_g += product->parcel_weight_g;
    const auto& b = product->parcel_box_mm;
    if (int64_t{b[0]} * b[1] * b[2] > int64_t{box[0]} * box[1] * box[2]) box = b;
  }
  if (box[0] > 0) {
    preset.size_mm =
        std::to_string(box[0]) + "x" + std::to_string(box[1]) + "x" + std::to_string(box[2]);
  }
  return preset;
}

}  // namespace keepsake::logistics
