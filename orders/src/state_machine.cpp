// The order and item state tables. Each row names who may take it; kSystem is Keepsake itself
// (the job runner and the cascades in the store, e.g. an order moves to ready_to_pack when its
// last item is produced).
#include "keepsake/orders/state_machine.hpp"

#include <algorithm>

#include "keepsake/orders/state_names.hpp"
#include "keepsake/orders/types.hpp"

namespace keepsake::orders {

namespace {
using R = Role;
}  // namespace

StateMachine::StateMachine(std::string_view name, std::vector<std::string_view> states,
                           std::vector<Transition> transitions)
    : name_(name), states_(std::move(states)), transitions_(std::move(transitions)) {}

bool StateMachine::HasState(std::string_view state) const {
  return std::find(states_.begin(), states_.end(), state) != states_.end();
}

Result<const Transition*> StateMachine::Find(std::string_view from, std::string_view event,
                                             Role role) const {
  for (const Transition& t : transitions_) {
    if (t.from != from || t.event != event) continue;
    if (std::find(t.roles.begin(), t.roles.end(), role) == t.roles.end()) {
      return Fail(Errc::kForbiddenTransition,
                  std::string(name_) + " event '" + std::string(event) + "' from '" +
                      std::string(from) + "' may not be taken by role " +
                      std::string(RoleName(role)),
                  "event", AllowedEvents(from, role));
    }
    return &t;
  }
  return Fail(Errc::kIllegalTransition,
              std::string(name_) + " in state '" + std::string(from) + "' has no event '" +
                  std::string(event) + "'",
              "event", AllEvents(from));
}

std::vector<std::string> StateMachine::AllowedEvents(std::string_view from, Role role) const {
  std::vector<std::string> events;
  for (const Transition& t : transitions_) {
    if (t.from == from && std::find(t.roles.begin(), t.roles.end(), role) != t.roles.end()) {
      events.emplace_back(t.event);
    }
  }
  return events;
}

std::vector<std::string> StateMachine::AllEvents(std::string_view from) const {
  std::vector<std::string> events;
  for (const Transition& t : transitions_) {
    if (t.from == from) events.emplace_back(t.event);
  }
  return events;
}

const StateMachine& OrderStateMachine() {
  namespace S = order_state;
  namespace E = order_event;
  static const StateMachine machine(
      "order",
      {S::kPlaced, S::kInProduction, S::kReadyToPack, S::kPacked, S::kShipped, S::kDelivered,
       S::kCompleted, S::kOnHold, S::kCancelled, S::kDeliveryException},
      {
          {S::kPlaced, E::kStartProduction, S::kInProduction, {R::kSystem, R::kProduction}},
          {S::kPlaced, E::kCancel, S::kCancelled, {R::kChannel, R::kCs, R::kAdmin}},
          {S::kPlaced, E::kHold, S::kOnHold, {R::kCs, R::kAdmin}},
          {S::kInProduction, E::kAllProduced, S::kReadyToPack, {R::kSystem}},
          {S::kInProduction, E::kHold, S::kOnHold, {R::kCs, R::kAdmin}},
          {S::kReadyToPack, E::kPack, S::kPacked, {R::kLogistics}},
          {S::kReadyToPack, E::kHold, S::kOnHold, {R::kCs, R::kAdmin, R::kLogistics}},
          {S::kPacked, E::kShip, S::kShipped, {R::kLogistics, R::kSystem}},
          {S::kPacked, E::kHold, S::kOnHold, {R::kCs, R::kAdmin, R::kLogistics}},
          {S::kShipped, E::kDeliver, S::kDelivered, {R::kSystem, R::kLogistics}},
          {S::kShipped, E::kDeliveryException, S::kDeliveryException, {R::kSystem, R::kLogistics}},
          {S::kDeliveryException, E::kDeliver, S::kDelivered, {R::kSystem, R::kLogistics}},
          // a parcel sent again has left: by the lead's hand-over, or the carrier's first scan
          {S::kDeliveryException, E::kReship, S::kShipped, {R::kLogistics, R::kSystem}},
          {S::kDelivered, E::kComplete, S::kCompleted, {R::kSystem, R::kCs, R::kAdmin}},
          {S::kOnHold, E::kResume, kReturnToPrevious, {R::kCs, R::kAdmin}},
          // Only an order held before production may be cancelled; the store checks the
          // state it was held from (cancel is "before production" only).
          {S::kOnHold, E::kCancel, S::kCancelled, {R::kCs, R::kAdmin}},
      });
  return machine;
}

// Warranty claims. approve_reprint creates the reshipment order in the same transaction.
const StateMachine& ClaimStateMachine() {
  namespace S = claim_state;
  namespace E = claim_event;
  static const StateMachine machine(
      "claim",
      {S::kSubmitted, S::kUnderReview, S::kApprovedReprint, S::kApprovedRefund, S::kRejected,
       S::kFulfilled, S::kClosed},
      {
          {S::kSubmitted, E::kStartReview, S::kUnderReview, {R::kCs, R::kAdmin}},
          {S::kUnderReview, E::kApproveReprint, S::kApprovedReprint, {R::kCs, R::kAdmin}},
          {S::kUnderReview, E::kApproveRefund, S::kApprovedRefund, {R::kCs, R::kAdmin}},
          {S::kUnderReview, E::kReject, S::kRejected, {R::kCs, R::kAdmin}},
          {S::kApprovedReprint, E::kFulfil, S::kFulfilled, {R::kCs, R::kAdmin, R::kLogistics}},
          {S::kApprovedRefund, E::kFulfil, S::kFulfilled, {R::kCs, R::kAdmin}},
          {S::kFulfilled, E::kClose, S::kClosed, {R::kCs, R::kAdmin}},
          {S::kRejected, E::kClose, S::kClosed, {R::kCs, R::kAdmin}},
      });
  return machine;
}

// Customer-service tickets. The SLA's resolution clock pauses in pending_customer.
const StateMachine& TicketStateMachine() {
  namespace S = ticket_state;
  namespace E = ticket_event;
  static const StateMachine machine(
      "ticket", {S::kOpen, S::kPendingCustomer, S::kPendingInternal, S::kResolved, S::kClosed},
      {
          {S::kOpen, E::kWaitCustomer, S::kPendingCustomer, {R::kCs, R::kAdmin}},
          {S::kOpen, E::kWaitInternal, S::kPendingInternal, {R::kCs, R::kAdmin}},
          {S::kOpen, E::kResolve, S::kResolved, {R::kCs, R::kAdmin}},
          {S::kPendingCustomer, E::kCustomerReplied, S::kOpen, {R::kCs, R::kAdmin, R::kChannel}},
          {S::kPendingCustomer, E::kWaitInternal, S::kPendingInternal, {R::kCs, R::kAdmin}},
          {S::kPendingCustomer, E::kResolve, S::kResolved, {R::kCs, R::kAdmin}},
          {S::kPendingInternal,
           E::kInternalDone,
           S::kOpen,
           {R::kCs, R::kAdmin, R::kModeler, R::kLogistics, R::kProduction}},
          {S::kPendingInternal, E::kWaitCustomer, S::kPendingCustomer, {R::kCs, R::kAdmin}},
          {S::kPendingInternal, E::kResolve, S::kResolved, {R::kCs, R::kAdmin}},
          {S::kResolved, E::kReopen, S::kOpen, {R::kCs, R::kAdmin, R::kChannel}},
          {S::kResolved, E::kClose, S::kClosed, {R::kCs, R::kAdmin, R::kSystem}},
      });
  return machine;
}

const StateMachine& ItemStateMachine() {
  namespace S = item_state;
  namespace E = item_event;
  static const StateMachine machine(
      "item",
      {S::kAwaitingAsset, S::kPreparing, S::kNeedsReview, S::kRework, S::kAwaitingCustomer,
       S::kApproved, S::kInProduction, S::kProduced, S::kFailed, S::kCancelled},
      {
          {S::kAwaitingAsset, E::kAttachAsset, S::kPreparing, {R::kChannel, R::kCs}},
          {S::kAwaitingAsset, E::kCancel, S::kCancelled, {R::kSystem}},
          {S::kPreparing, E::kPrepared, S::kNeedsReview, {R::kSystem}},
          // a 2D print without warnings is approved by its checks; its PDF is frozen as if an
          // engineer had approved it
          {S::kPreparing, E::kPassedChecks, S::kApproved, {R::kSystem}},
          {S::kPreparing, E::kPrepareFailed, S::kFailed, {R::kSystem}},
          // the file cannot be made printable: customer service asks the customer for another
          {S::kPreparing, E::kUnusable, S::kAwaitingCustomer, {R::kSystem}},
          {S::kPreparing, E::kCancel, S::kCancelled, {R::kSystem}},
          {S::kNeedsReview, E::kApprove, S::kApproved, {R::kModeler}},
          {S::kNeedsReview, E::kRequestRework, S::kRework, {R::kModeler}},
          // rework in one step: the tuning is checked before anything moves, so a refused one
          // leaves the item in the queue (the two steps above and below stay for the API)
          {S::kNeedsReview, E::kReprepare, S::kPreparing, {R::kModeler}},
          {S::kNeedsReview, E::kAskCustomer, S::kAwaitingCustomer, {R::kModeler, R::kCs}},
          {S::kNeedsReview, E::kCancel, S::kCancelled, {R::kSystem}},
          {S::kRework, E::kSubmitReview, S::kNeedsReview, {R::kModeler}},
          {S::kRework, E::kReprepare, S::kPreparing, {R::kModeler}},
          {S::kRework, E::kCancel, S::kCancelled, {R::kSystem}},
          {S::kAwaitingCustomer, E::kAttachAsset, S::kPreparing, {R::kChannel, R::kCs}},
          // an engineer decides to go on with the file after all (a print below the
          // resolution limit, with tuning allow_low_dpi)
          {S::kAwaitingCustomer, E::kReprepare, S::kPreparing, {R::kModeler}},
          {S::kAwaitingCustomer, E::kCancel, S::kCancelled, {R::kSystem}},
          {S::kFailed, E::kRetry, S::kPreparing, {R::kModeler, R::kCs, R::kAdmin}},
          {S::kFailed, E::kAskCustomer, S::kAwaitingCustomer, {R::kModeler, R::kCs}},
          {S::kFailed, E::kCancel, S::kCancelled, {R::kSystem}},
          {S::kApproved, E::kReopen, S::kNeedsReview, {R::kModeler}},
          {S::kApproved, E::kStartProduction, S::kInProduction, {R::kProduction}},
          {S::kApproved, E::kCancel, S::kCancelled, {R::kSystem}},
          {S::kInProduction, E::kProduced, S::kProduced, {R::kProduction}},
          {S::kProduced, E::kQcFailed, S::kInProduction, {R::kProduction}},
      });
  return machine;
}

bool AddressChangeable(const Order& order) {
  const std::string& where = order.state == order_state::kOnHold ? order.held_from : order.state;
  return where == order_state::kPlaced || where == order_state::kInProduction ||
         where == order_state::kReadyToPack;
}

}  // namespace keepsake::orders
