// The order and item state tables. Each row names who may take it; kSystem is Keepsake itself
// (the job runner and the cascades in the store, e.g. an order moves to ready_to_pack when its
// last item is produced).
#include "keepsake/orders/state_machine.hpp"

#include <algorithm>

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
  static const StateMachine machine(
      "order",
      {"placed", "in_production", "ready_to_pack", "packed", "shipped", "delivered", "completed",
       "on_hold", "cancelled", "delivery_exception"},
      {
          {"placed", "start_production", "in_production", {R::kSystem, R::kProduction}},
          {"placed", "cancel", "cancelled", {R::kChannel, R::kCs, R::kAdmin}},
          {"placed", "hold", "on_hold", {R::kCs, R::kAdmin}},
          {"in_production", "all_produced", "ready_to_pack", {R::kSystem}},
          {"in_production", "hold", "on_hold", {R::kCs, R::kAdmin}},
          {"ready_to_pack", "pack", "packed", {R::kLogistics}},
          {"ready_to_pack", "hold", "on_hold", {R::kCs, R::kAdmin, R::kLogistics}},
          {"packed", "ship", "shipped", {R::kLogistics, R::kSystem}},
          {"packed", "hold", "on_hold", {R::kCs, R::kAdmin, R::kLogistics}},
          {"shipped", "deliver", "delivered", {R::kSystem, R::kLogistics}},
          {"shipped", "delivery_exception", "delivery_exception", {R::kSystem, R::kLogistics}},
          {"delivery_exception", "deliver", "delivered", {R::kSystem, R::kLogistics}},
          {"delivery_exception", "reship", "shipped", {R::kLogistics}},
          {"delivered", "complete", "completed", {R::kSystem, R::kCs, R::kAdmin}},
          {"on_hold", "resume", kReturnToPrevious, {R::kCs, R::kAdmin}},
          // Only an order held before production may be cancelled; the store checks the
          // state it was held from (cancel is "before production" only).
          {"on_hold", "cancel", "cancelled", {R::kCs, R::kAdmin}},
      });
  return machine;
}

// Warranty claims. approve_reprint creates the reshipment order in the same transaction.
const StateMachine& ClaimStateMachine() {
  static const StateMachine machine(
      "claim",
      {"submitted", "under_review", "approved_reprint", "approved_refund", "rejected", "fulfilled",
       "closed"},
      {
          {"submitted", "start_review", "under_review", {R::kCs, R::kAdmin}},
          {"under_review", "approve_reprint", "approved_reprint", {R::kCs, R::kAdmin}},
          {"under_review", "approve_refund", "approved_refund", {R::kCs, R::kAdmin}},
          {"under_review", "reject", "rejected", {R::kCs, R::kAdmin}},
          {"approved_reprint", "fulfil", "fulfilled", {R::kCs, R::kAdmin, R::kLogistics}},
          {"approved_refund", "fulfil", "fulfilled", {R::kCs, R::kAdmin}},
          {"fulfilled", "close", "closed", {R::kCs, R::kAdmin}},
          {"rejected", "close", "closed", {R::kCs, R::kAdmin}},
      });
  return machine;
}

// Customer-service tickets. The SLA's resolution clock pauses in pending_customer.
const StateMachine& TicketStateMachine() {
  static const StateMachine machine(
      "ticket", {"open", "pending_customer", "pending_internal", "resolved", "closed"},
      {
          {"open", "wait_customer", "pending_customer", {R::kCs, R::kAdmin}},
          {"open", "wait_internal", "pending_internal", {R::kCs, R::kAdmin}},
          {"open", "resolve", "resolved", {R::kCs, R::kAdmin}},
          {"pending_customer", "customer_replied", "open", {R::kCs, R::kAdmin, R::kChannel}},
          {"pending_customer", "wait_internal", "pending_internal", {R::kCs, R::kAdmin}},
          {"pending_customer", "resolve", "resolved", {R::kCs, R::kAdmin}},
          {"pending_internal",
           "internal_done",
           "open",
           {R::kCs, R::kAdmin, R::kModeler, R::kLogistics, R::kProduction}},
          {"pending_internal", "wait_customer", "pending_customer", {R::kCs, R::kAdmin}},
          {"pending_internal", "resolve", "resolved", {R::kCs, R::kAdmin}},
          {"resolved", "reopen", "open", {R::kCs, R::kAdmin, R::kChannel}},
          {"resolved", "close", "closed", {R::kCs, R::kAdmin, R::kSystem}},
      });
  return machine;
}

const StateMachine& ItemStateMachine() {
  static const StateMachine machine(
      "item",
      {"awaiting_asset", "preparing", "needs_review", "rework", "awaiting_customer", "approved",
       "in_production", "produced", "failed", "cancelled"},
      {
          {"awaiting_asset", "attach_asset", "preparing", {R::kChannel, R::kCs}},
          {"awaiting_asset", "cancel", "cancelled", {R::kSystem}},
          {"preparing", "prepared", "needs_review", {R::kSystem}},
          // a 2D print without warnings is approved by its checks; its PDF is frozen as if an
          // engineer had approved it
          {"preparing", "passed_checks", "approved", {R::kSystem}},
          {"preparing", "prepare_failed", "failed", {R::kSystem}},
          // the file cannot be made printable: customer service asks the customer for another
          {"preparing", "unusable", "awaiting_customer", {R::kSystem}},
          {"preparing", "cancel", "cancelled", {R::kSystem}},
          {"needs_review", "approve", "approved", {R::kModeler}},
          {"needs_review", "request_rework", "rework", {R::kModeler}},
          {"needs_review", "ask_customer", "awaiting_customer", {R::kModeler, R::kCs}},
          {"needs_review", "cancel", "cancelled", {R::kSystem}},
          {"rework", "submit_review", "needs_review", {R::kModeler}},
          {"rework", "reprepare", "preparing", {R::kModeler}},
          {"rework", "cancel", "cancelled", {R::kSystem}},
          {"awaiting_customer", "attach_asset", "preparing", {R::kChannel, R::kCs}},
          // an engineer decides to go on with the file after all (a print below the
          // resolution limit, with tuning allow_low_dpi)
          {"awaiting_customer", "reprepare", "preparing", {R::kModeler}},
          {"awaiting_customer", "cancel", "cancelled", {R::kSystem}},
          {"failed", "retry", "preparing", {R::kModeler, R::kCs, R::kAdmin}},
          {"failed", "ask_customer", "awaiting_customer", {R::kModeler, R::kCs}},
          {"failed", "cancel", "cancelled", {R::kSystem}},
          {"approved", "reopen", "needs_review", {R::kModeler}},
          {"approved", "start_production", "in_production", {R::kProduction}},
          {"approved", "cancel", "cancelled", {R::kSystem}},
          {"in_production", "produced", "produced", {R::kProduction}},
          {"produced", "qc_failed", "in_production", {R::kProduction}},
      });
  return machine;
}

bool AddressChangeable(const Order& order) {
  const std::string& where = order.state == "on_hold" ? order.held_from : order.state;
  return where == "placed" || where == "in_production" || where == "ready_to_pack";
}

}  // namespace keepsake::orders
