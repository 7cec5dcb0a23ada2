// State machines as tables (HOUSE_STYLE): one table of allowed transitions per entity, enforced
// here and served to the UI by GET /api/v1/state-machines. A pair (state, event) that is not in
// the table is illegal; the error lists the events that are allowed from that state.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keepsake/orders/error.hpp"
#include "keepsake/orders/role.hpp"

namespace keepsake::orders {

// `to` may be kReturnToPrevious: the entity goes back to the state it held before (used by
// resume after hold). The store keeps that state alongside the entity.
inline constexpr std::string_view kReturnToPrevious = "@previous";

struct Transition {
  std::string_view from;
  std::string_view event;
  std::string_view to;
  std::vector<Role> roles;  // who may take this transition
};

class StateMachine {
 public:
  StateMachine(std::string_view name, std::vector<std::string_view> states,
               std::vector<Transition> transitions);

  std::string_view Name() const { return name_; }
  std::span<const std::string_view> States() const { return states_; }
  std::span<const Transition> Transitions() const { return transitions_; }
  bool HasState(std::string_view state) const;

  // The row for (from, event) if `role` may take it.
  // Errors: kIllegalTransition (no such row; Error::allowed lists the events from `from`),
  // kForbiddenTransition (the row exists but not for `role`).
  Result<const Transition*> Find(std::string_view from, std::string_view event, Role role) const;

  // Events that `role` may take from `from`, in table order.
  std::vector<std::string> AllowedEvents(std::string_view from, Role role) const;
  // Events anybody may take from `from`, in table order.
  std::vector<std::string> AllEvents(std::string_view from) const;

 private:
  std::string_view name_;
  std::vector<std::string_view> states_;
  std::vector<Transition> transitions_;
};

const StateMachine& OrderStateMachine();
const StateMachine& ItemStateMachine();

struct Order;
// The customer's address may change before packing: an order placed, in production or ready to
// pack, or held from one of those (a parcel on its way is redirected with the carrier).
bool AddressChangeable(const Order& order);
const StateMachine& TicketStateMachine();
const StateMachine& ClaimStateMachine();

}  // namespace keepsake::orders
