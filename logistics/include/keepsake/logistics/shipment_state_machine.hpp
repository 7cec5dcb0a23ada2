// The shipment state table (issue: logistics). Shipments follow the aggregators' normalised
// tracking statuses; the table is forward-only except for the courier's own retries.
#pragma once

#include "keepsake/orders/state_machine.hpp"

namespace keepsake::logistics {

const orders::StateMachine& ShipmentStateMachine();

}  // namespace keepsake::logistics
