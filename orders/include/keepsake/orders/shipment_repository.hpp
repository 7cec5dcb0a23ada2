// Parcels: their rows, the logistics events on them, and the carrier's tracking applied in one
// transaction with the order it moves (the rules are the logistics module's).
// One of the store's repositories (store.hpp): every method is one transaction over the
// store's database; all may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "keepsake/orders/error.hpp"
#include "keepsake/orders/role.hpp"
#include "keepsake/orders/types.hpp"

namespace keepsake::orders {

struct Database;

class ShipmentRepository {
 public:
  explicit ShipmentRepository(Database& db) : db_(&db) {}

  // A new parcel for an order, in state created; a reprint order's parcel is a reshipment.
  // Errors: kNotFound (order), kInvalidArgument (a tracking number the carrier already used).
  Result<Shipment> CreateShipment(const NewShipment& shipment, const Actor& actor);
  Result<std::vector<Shipment>> ShipmentsOfOrder(int64_t order_id);
  // The rules of tracking, given by the logistics module and applied here in one transaction.
  struct TrackingRules {
    // the parcel's state after replaying all its events, sorted by time
    std::function<std::string(const std::vector<TrackingEvent>& sorted)> replay;
    // the order event that follows from the parcels' states ("" for none)
    std::function<std::string(const std::string& order_state,
                              const std::vector<std::string>& parcel_states)>
        order_event;
  };
  // Takes a logistics event on a parcel (print_label, hand_over): `decide` maps (from, event,
  // role) to the new state or the refusal (the shipment table is the logistics module's).
  // Errors: kNotFound, kVersionConflict, and what `decide` returns.
  Result<Shipment> TransitionShipment(
      int64_t shipment_id, const std::string& event, const Actor& actor,
      std::optional<int64_t> expected_version,
      const std::function<Result<std::string>(const std::string& from, const std::string& event,
                                              Role role)>& decide,
      const std::string& note = "");  // on the timeline, e.g. the label batch
  Result<Shipment> GetShipment(int64_t shipment_id);
  // Parcels on their way or waiting (every state but delivered), least recently changed first,
  // at most `limit`; which of them are stuck is the logistics module's rule.
  Result<std::vector<Shipment>> UndeliveredShipments(int limit);
  // Orders in ready_to_pack or packed, the longest waiting first, at most `limit`.
  Result<std::vector<PackingQueueEntry>> PackingQueue(int limit);
  // Records a carrier's events for the parcel `tracking_number` of `carrier` (duplicates by
  // event id are dropped), replays all of its events in time order to its state, and moves
  // the order as the parcels say. Errors: kNotFound (no such parcel), kStorage.
  Result<TrackingOutcome> ApplyTracking(const std::string& carrier,
                                        const std::string& tracking_number,
                                        const std::vector<TrackingEvent>& events,
                                        const TrackingRules& rules);

 private:
  Database* db_;
};

}  // namespace keepsake::orders
