// Statuses after AfterShip's tags and Kuaidi100's state codes, normalised (DESIGN reference
// numbers): InfoReceived -> created/label_printed, InTransit, OutForDelivery,
// AvailableForPickup, Delivered, AttemptFail, Exception, Expired, plus returned.
#include "keepsake/logistics/shipment_state_machine.hpp"

namespace keepsake::logistics {

const orders::StateMachine& ShipmentStateMachine() {
  using R = orders::Role;
  const std::vector<R> track = {R::kSystem, R::kLogistics};
  static const orders::StateMachine machine(
      "shipment",
      {"created", "label_printed", "handed_over", "in_transit", "out_for_delivery",
       "available_for_pickup", "delivered", "attempt_failed", "exception", "returned", "expired"},
      {
          {"created", "print_label", "label_printed", {R::kLogistics}},
          {"label_printed", "print_label", "label_printed", {R::kLogistics}},
          {"label_printed", "hand_over", "handed_over", {R::kLogistics}},
          {"handed_over", "in_transit", "in_transit", track},
          {"handed_over", "exception", "exception", track},
          {"in_transit", "out_for_delivery", "out_for_delivery", track},
          {"in_transit", "available_for_pickup", "available_for_pickup", track},
          {"in_transit", "delivered", "delivered", track},
          {"in_transit", "exception", "exception", track},
          {"in_transit", "expired", "expired", track},
          {"out_for_delivery", "delivered", "delivered", track},
          {"out_for_delivery", "attempt_failed", "attempt_failed", track},
          {"out_for_delivery", "available_for_pickup", "available_for_pickup", track},
          {"out_for_delivery", "exception", "exception", track},
          {"attempt_failed", "out_for_delivery", "out_for_delivery", track},
          {"attempt_failed", "available_for_pickup", "available_for_pickup", track},
          {"attempt_failed", "returned", "returned", track},
          {"attempt_failed", "exception", "exception", track},
          {"available_for_pickup", "delivered", "delivered", track},
          {"available_for_pickup", "returned", "returned", track},
          {"available_for_pickup", "expired", "expired", track},
          {"exception", "in_transit", "in_transit", track},
          {"exception", "returned", "returned", track},
          {"exception", "delivered", "delivered", track},
      });
  return machine;
}

}  // namespace keepsake::logistics
