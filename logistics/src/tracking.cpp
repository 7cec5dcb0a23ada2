#include "keepsake/logistics/tracking.hpp"

#include <algorithm>

#include "keepsake/logistics/shipment_state_machine.hpp"
#include "keepsake/orders/sla.hpp"
#include "keepsake/orders/state_names.hpp"

namespace keepsake::logistics {

std::optional<std::string> StatusFromKuaidi100(int code) {
  switch (code) {
    case 0:  // 在途: on its way
    case 1:  // 揽收: picked up by the courier
    case 7:  // 转投: passed to another courier
    case 8:  // 清关 and the customs steps
    case 10:
    case 11:
    case 12:
      return std::string("in_transit");
    case 2:   // 疑难: a problem
    case 13:  // 清关异常: customs problem
      return std::string("exception");
    case 3:  // 签收: signed for
      return std::string("delivered");
    case 4:   // 退签: signed for by the sender, returned
    case 6:   // 退回: on its way back
    case 14:  // 拒签: refused
      return std::string("returned");
    case 5:  // 派件: out for delivery
      return std::string("out_for_delivery");
    default:
      return std::nullopt;
  }
}

std::optional<std::string> StatusFromAfterShipTag(const std::string& tag) {
  static const std::pair<const char*, const char*> tags[] = {
      {"InfoReceived", ""},
      {"Pending", ""},
      {"InTransit", "in_transit"},
      {"OutForDelivery", "out_for_delivery"},
      {"AttemptFail", "attempt_failed"},
      {"Delivered", "delivered"},
      {"AvailableForPickup", "available_for_pickup"},
      {"Exception", "exception"},
      {"Expired", "expired"}};
  for (const auto& [name, status] : tags) {
    if (tag == name) return std::string(status);
  }
  return std::nullopt;
}

std::string ReplayTracking(const std::vector<TrackingEvent>& sorted) {
  // a carrier's scan means the parcel was handed over; from there every scan, in the order
  // the scans happened, takes the shipment table's row for it if there is one (a late
  // in_transit after delivered has none, and changes nothing)
  std::string state(shipment_state::kHandedOver);
  for (const TrackingEvent& e : sorted) {
    auto row = ShipmentStateMachine().Find(state, e.status, orders::Role::kSystem);
    if (row) state = std::string((*row)->to);
  }
  return state;
}

std::string OrderEventForParcels(const std::string& order_state,
                                 const std::vector<std::string>& all_parcels) {
  // a cancelled parcel never travels: the order goes by the others
  std::vector<std::string> parcels;
  for (const std::string& p : all_parcels) {
    if (p != shipment_state::kCancelled) parcels.push_back(p);
  }
  auto any = [&](std::initializer_list<std::string_view> states) {
    return std::any_of(parcels.begin(), parcels.end(), [&](const std::string& p) {
      return std::find(states.begin(), states.end(), p) != states.end();
    });
  };
  const bool all_delivered =
      !parcels.empty() && std::all_of(parcels.begin(), parcels.end(), [](const std::string& p) {
        return p == shipment_state::kDelivered;
      });
  namespace S = shipment_state;
  namespace order = orders::order_state;
  namespace event = orders::order_event;
  // every parcel handed to its courier (none still on our bench): the order has left. (A parcel
  // the courier scanned has left too; one sent ahead of a split order may be delivered already
  // while the rest is still on the bench.)
  const bool all_left = !parcels.empty() && !any({S::kCreated, S::kLabelPrinted});
  if (order_state == order::kPacked && all_left) return std::string(event::kShip);
  if ((order_state == order::kShipped || order_state == order::kDeliveryException) &&
      all_delivered) {
    return std::string(event::kDeliver);
  }
  if (order_state == order::kShipped && any({S::kException, S::kReturned, S::kExpired})) {
    return std::string(event::kDeliveryException);
  }
  // sent again: the parcels that replaced the failed ones have all left (the failed ones no
  // longer count, see FollowParcels)
  if (order_state == order::kDeliveryException && all_left &&
      !any({S::kException, S::kReturned, S::kExpired})) {
    return std::string(event::kReship);
  }
  return "";
}

std::vector<TrackingEvent> SimulatedScans(int64_t shipment_id, const std::string& ending,
                                          int64_t now_ms) {
  const std::string id = "sim-" + std::to_string(shipment_id) + "-";
  constexpr int64_t kHour = 3'600'000;
  return {{id + "1", orders::IsoFromUnixMs(now_ms - 22 * kHour), "in_transit", "1",
           "picked up at the sorting centre"},
          {id + "2", orders::IsoFromUnixMs(now_ms - 12 * kHour), "in_transit", "0",
           "arrived at the destination city"},
          {id + "3", orders::IsoFromUnixMs(now_ms - 3 * kHour), "out_for_delivery", "5",
           "out for delivery"},
          {id + "4", orders::IsoFromUnixMs(now_ms - 60'000), ending,
           ending == "delivered"   ? "3"
           : ending == "exception" ? "2"
                                   : "AttemptFail",
           ending == "delivered" ? "delivered" : "the courier reports a problem"}};
}

}  // namespace keepsake::logistics
