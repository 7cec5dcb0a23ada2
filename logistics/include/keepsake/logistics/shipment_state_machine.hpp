// The shipment state table (issue: logistics). Shipments follow the aggregators' normalised
// tracking statuses; the table is forward-only except for the courier's own retries.
#pragma once

#include <string_view>

#include "keepsake/orders/state_machine.hpp"

namespace keepsake::logistics {

// The parcel's states, written once; a carrier's scan is named by the state it reports.
namespace shipment_state {
inline constexpr std::string_view kCreated = "created";
inline constexpr std::string_view kLabelPrinted = "label_printed";
inline constexpr std::string_view kHandedOver = "handed_over";
inline constexpr std::string_view kInTransit = "in_transit";
inline constexpr std::string_view kOutForDelivery = "out_for_delivery";
inline constexpr std::string_view kAvailableForPickup = "available_for_pickup";
inline constexpr std::string_view kDelivered = "delivered";
inline constexpr std::string_view kAttemptFailed = "attempt_failed";
inline constexpr std::string_view kException = "exception";
inline constexpr std::string_view kReturned = "returned";
inline constexpr std::string_view kExpired = "expired";
inline constexpr std::string_view kCancelled = "cancelled";  // booked, then called off
}  // namespace shipment_state

// The logistics lead's own steps (the others are the scans).
namespace shipment_event {
inline constexpr std::string_view kPrintLabel = "print_label";
inline constexpr std::string_view kHandOver = "hand_over";
inline constexpr std::string_view kCancel = "cancel";  // before the courier has it
}  // namespace shipment_event

const orders::StateMachine& ShipmentStateMachine();

}  // namespace keepsake::logistics
