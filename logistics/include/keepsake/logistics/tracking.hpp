// Tracking: carriers' status codes normalised to the shipment table's statuses, and the rules
// the store applies when scans arrive (replayed in time order through the shipment table, so a
// late or repeated scan never moves a parcel backwards; the order follows its parcels).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "keepsake/logistics/shipment.hpp"
#include "keepsake/orders/error.hpp"
#include "keepsake/orders/role.hpp"

namespace keepsake::logistics {

// Kuaidi100-style state codes 0-14 (在途, 揽收, 疑难, 签收, 退签, 派件, 退回, 转投, and the
// customs codes 8-14). nullopt: a code Keepsake does not know.
std::optional<std::string> StatusFromKuaidi100(int code);
// AfterShip-style tags (InfoReceived, InTransit, OutForDelivery, AttemptFail, Delivered,
// AvailableForPickup, Exception, Expired, Pending). "" for a tag that changes nothing
// (InfoReceived, Pending); nullopt for an unknown tag.
std::optional<std::string> StatusFromAfterShipTag(const std::string& tag);

// A parcel's state after all its scans, sorted by the time they happened.
std::string ReplayTracking(const std::vector<TrackingEvent>& sorted);
// The order event that follows from its parcels' states ("" for none): ship when a parcel
// moves, deliver when all are delivered, delivery_exception when one is in trouble.
std::string OrderEventForParcels(const std::string& order_state,
                                 const std::vector<std::string>& parcel_states);

// The scans the simulated carrier reports for a parcel handed over a day ago: on its way, out
// for delivery, then `ending` (delivered, exception, attempt_failed). For the demo and tests.
std::vector<TrackingEvent> SimulatedScans(int64_t shipment_id, const std::string& ending,
                                          int64_t now_ms);

}  // namespace keepsake::logistics
