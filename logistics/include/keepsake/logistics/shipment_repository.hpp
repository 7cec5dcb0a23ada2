// Parcels: their rows, the logistics events on them (the shipment table), and the carriers'
// tracking applied in one transaction with the order it moves. The rows live in the store's
// database; this repository runs its own transactions through orders::Store::Write and Read.
// Every method is one transaction; all may be called from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keepsake/logistics/shipment.hpp"
#include "keepsake/orders/error.hpp"
#include "keepsake/orders/role.hpp"
#include "keepsake/orders/store.hpp"

namespace keepsake::logistics {

class ShipmentRepository {
 public:
  explicit ShipmentRepository(orders::Store& store) : store_(&store) {}

  // A new parcel for an order, in state created; a reprint order's parcel is a reshipment.
  // Errors: kNotFound (order), kInvalidArgument (a tracking number the carrier already used).
  orders::Result<Shipment> CreateShipment(const NewShipment& shipment, const orders::Actor& actor);
  // Whether `shipment_id` may be sent again by a new parcel of `order_id` (NewShipment::replaces:
  // a parcel of that order in exception, returned or expired, not replaced yet), asked before
  // a carrier books the new one; CreateShipment checks the same when it writes. Errors:
  // kInvalidArgument naming "replaces", in words.
  orders::Result<void> CanReplace(int64_t order_id, int64_t shipment_id);
  orders::Result<std::vector<Shipment>> ShipmentsOfOrder(int64_t order_id);
  // Takes a logistics event on a parcel (print_label, hand_over) through the shipment table.
  // `note` goes on the timeline (e.g. the label batch).
  // Errors: kNotFound, kVersionConflict, and the table's refusals.
  orders::Result<Shipment> TransitionShipment(int64_t shipment_id, const std::string& event,
                                              const orders::Actor& actor,
                                              std::optional<int64_t> expected_version,
                                              const std::string& note = "");
  orders::Result<Shipment> GetShipment(int64_t shipment_id);
  // The label its carrier drew (PDF bytes, decrypted), or empty for none.
  orders::Result<std::string> CarrierLabelPdf(int64_t shipment_id);
  // Parcels on their way or waiting (every state but delivered and cancelled), least recently
  // changed first, at most `limit`; which of them are stuck is stuck.hpp's rule.
  orders::Result<std::vector<Shipment>> UndeliveredShipments(int limit);
  // Parcels on their way (handed over, not yet delivered, returned or expired) with one of
  // `carriers`, of which nothing was heard for `quiet_ms` before `now_ms`: no scan arrived, no
  // state changed and the carrier was not asked (MarkPolled). The longest quiet first, at most
  // `limit`; the tracking poller asks their carriers where they are.
  orders::Result<std::vector<Shipment>> QuietShipments(const std::vector<std::string>& carriers,
                                                       int64_t now_ms, int64_t quiet_ms, int limit);
  // The carrier was asked about the parcel now (whatever it answered).
  orders::Result<void> MarkPolled(int64_t shipment_id);
  // Orders in ready_to_pack or packed, the longest waiting first, at most `limit`.
  orders::Result<std::vector<PackingQueueEntry>> PackingQueue(int limit);
  // Records a carrier's events for the parcel `tracking_number` of `carrier` (duplicates by
  // event id are dropped), replays all of its events in time order to its state
  // (tracking.hpp), and moves the order as its parcels say. Errors: kNotFound (no such
  // parcel), kStorage.
  orders::Result<TrackingOutcome> ApplyTracking(const std::string& carrier,
                                                const std::string& tracking_number,
                                                const std::vector<TrackingEvent>& events);
  // Keeps a signed carrier push as it came, for a dispute, tied to the parcels it moved;
  // `outcome` says what came of it. Deleted with the parcels' customer by a purge.
  orders::Result<void> KeepPush(const std::string& carrier, const std::string& body,
                                const std::vector<int64_t>& shipment_ids,
                                const std::string& outcome);

 private:
  orders::Store* store_;
};

}  // namespace keepsake::logistics
