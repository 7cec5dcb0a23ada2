// Statuses after AfterShip's tags and Kuaidi100's state codes, normalised (DESIGN reference
// numbers): InfoReceived -> created/label_printed, InTransit, OutForDelivery,
// AvailableForPickup, Delivered, AttemptFail, Exception, Expired, plus returned.
#include "keepsake/logistics/shipment_state_machine.hpp"

namespace keepsake::logistics {

const orders::StateMachine& ShipmentStateMachine() {
  using R = orders::Role;
  namespace S = shipment_state;
  namespace E = shipment_event;
  const std::vector<R> track = {R::kSystem, R::kLogistics};
  static const orders::StateMachine machine(
      "shipment",
      {S::kCreated, S::kLabelPrinted, S::kHandedOver, S::kInTransit, S::kOutForDelivery,
       S::kAvailableForPickup, S::kDelivered, S::kAttemptFailed, S::kException, S::kReturned,
       S::kExpired, S::kCancelled},
      {
          {S::kCreated, E::kPrintLabel, S::kLabelPrinted, {R::kLogistics}},
          {S::kLabelPrinted, E::kPrintLabel, S::kLabelPrinted, {R::kLogistics}},
          {S::kLabelPrinted, E::kHandOver, S::kHandedOver, {R::kLogistics}},
          {S::kCreated, E::kCancel, S::kCancelled, {R::kLogistics}},
          {S::kLabelPrinted, E::kCancel, S::kCancelled, {R::kLogistics}},
          {S::kHandedOver, S::kInTransit, S::kInTransit, track},
          {S::kHandedOver, S::kException, S::kException, track},
          {S::kInTransit, S::kOutForDelivery, S::kOutForDelivery, track},
          {S::kInTransit, S::kAvailableForPickup, S::kAvailableForPickup, track},
          {S::kInTransit, S::kDelivered, S::kDelivered, track},
          {S::kInTransit, S::kException, S::kException, track},
          {S::kInTransit, S::kExpired, S::kExpired, track},
          {S::kOutForDelivery, S::kDelivered, S::kDelivered, track},
          {S::kOutForDelivery, S::kAttemptFailed, S::kAttemptFailed, track},
          {S::kOutForDelivery, S::kAvailableForPickup, S::kAvailableForPickup, track},
          {S::kOutForDelivery, S::kException, S::kException, track},
          {S::kAttemptFailed, S::kOutForDelivery, S::kOutForDelivery, track},
          {S::kAttemptFailed, S::kAvailableForPickup, S::kAvailableForPickup, track},
          {S::kAttemptFailed, S::kReturned, S::kReturned, track},
          {S::kAttemptFailed, S::kException, S::kException, track},
          {S::kAvailableForPickup, S::kDelivered, S::kDelivered, track},
          {S::kAvailableForPickup, S::kReturned, S::kReturned, track},
          {S::kAvailableForPickup, S::kExpired, S::kExpired, track},
          {S::kException, S::kInTransit, S::kInTransit, track},
          {S::kException, S::kReturned, S::kReturned, track},
          {S::kException, S::kDelivered, S::kDelivered, track},
      });
  return machine;
}

}  // namespace keepsake::logistics
