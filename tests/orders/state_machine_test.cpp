// The state tables as data (HOUSE_STYLE): the expected rows are written out here a second time,
// independently of state_machine.cpp; the test walks every row, every role, and every
// (state, event) pair that is not in the table.
#include "keepsake/orders/state_machine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "keepsake/logistics/shipment_state_machine.hpp"

namespace keepsake::orders {
namespace {

struct Row {
  std::string from, event, to, roles;  // roles: comma-separated names
};

const std::vector<Row> kOrderRows = {
    {"placed", "start_production", "in_production", "system,production"},
    {"placed", "cancel", "cancelled", "channel,cs,admin"},
    {"placed", "hold", "on_hold", "cs,admin"},
    {"in_production", "all_produced", "ready_to_pack", "system"},
    {"in_production", "hold", "on_hold", "cs,admin"},
    {"ready_to_pack", "pack", "packed", "logistics"},
    {"ready_to_pack", "hold", "on_hold", "cs,admin,logistics"},
    {"packed", "ship", "shipped", "logistics,system"},
    {"packed", "hold", "on_hold", "cs,admin,logistics"},
    {"shipped", "deliver", "delivered", "system,logistics"},
    {"shipped", "delivery_exception", "delivery_exception", "system,logistics"},
    {"delivery_exception", "deliver", "delivered", "system,logistics"},
    {"delivery_exception", "reship", "shipped", "logistics,system"},
    {"delivered", "complete", "completed", "system,cs,admin"},
    {"on_hold", "resume", "@previous", "cs,admin"},
    {"on_hold", "cancel", "cancelled", "cs,admin"},
};

const std::vector<Row> kItemRows = {
    {"awaiting_asset", "attach_asset", "preparing", "channel,cs"},
    {"awaiting_asset", "cancel", "cancelled", "system"},
    {"preparing", "prepared", "needs_review", "system"},
    {"preparing", "passed_checks", "approved", "system"},
    {"preparing", "prepare_failed", "failed", "system"},
    {"preparing", "unusable", "awaiting_customer", "system"},
    {"preparing", "cancel", "cancelled", "system"},
    {"needs_review", "approve", "approved", "modeler"},
    {"needs_review", "request_rework", "rework", "modeler"},
    // rework in one step (docs/decisions.md, "Rework in one step")
    {"needs_review", "reprepare", "preparing", "modeler"},
    {"needs_review", "ask_customer", "awaiting_customer", "modeler,cs"},
    {"needs_review", "cancel", "cancelled", "system"},
    {"rework", "submit_review", "needs_review", "modeler"},
    {"rework", "reprepare", "preparing", "modeler"},
    {"rework", "cancel", "cancelled", "system"},
    {"awaiting_customer", "attach_asset", "preparing", "channel,cs"},
    {"awaiting_customer", "reprepare", "preparing", "modeler"},
    {"awaiting_customer", "cancel", "cancelled", "system"},
    {"failed", "retry", "preparing", "modeler,cs,admin"},
    {"failed", "ask_customer", "awaiting_customer", "modeler,cs"},
    {"failed", "cancel", "cancelled", "system"},
    {"approved", "reopen", "needs_review", "modeler"},
    {"approved", "start_production", "in_production", "production"},
    {"approved", "cancel", "cancelled", "system"},
    {"in_production", "produced", "produced", "production"},
    {"produced", "qc_failed", "in_production", "production"},
};

const Role kAllRoles[] = {Role::kChannel,    Role::kModeler, Role::kCs,    Role::kLogistics,
                          Role::kProduction, Role::kAdmin,   Role::kSystem};

std::set<std::string> Split(const std::string& csv) {
  std::set<std::string> out;
  size_t start = 0;
  while (start <= csv.size()) {
    size_t comma = csv.find(',', start);
    if (comma == std::string::npos) comma = csv.size();
    out.insert(csv.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

void ExpectMachineMatches(const StateMachine& machine, const std::vector<Row>& rows) {
  ASSERT_EQ(machine.Transitions().size(), rows.size()) << machine.Name();
  std::set<std::string> events;
  for (const Row& r : rows) events.insert(r.event);

  // every row: allowed for its roles, forbidden for the others
  for (const Row& r : rows) {
    const std::set<std::string> roles = Split(r.roles);
    for (Role role : kAllRoles) {
      auto found = machine.Find(r.from, r.event, role);
      if (roles.count(std::string(RoleName(role)))) {
        ASSERT_TRUE(found) << r.from << " --" << r.event << "--> as " << RoleName(role);
        EXPECT_EQ((*found)->to, r.to);
      } else {
        ASSERT_FALSE(found) << r.from << " --" << r.event << " must be refused for "
                            << RoleName(role);
        EXPECT_EQ(found.error().code, Errc::kForbiddenTransition);
      }
    }
  }
  // every pair not in the table: illegal, and the error lists what is allowed
  for (std::string_view state : machine.States()) {
    for (const std::string& event : events) {
      const bool listed = std::any_of(rows.begin(), rows.end(), [&](const Row& r) {
        return r.from == state && r.event == event;
      });
      if (listed) continue;
      auto found = machine.Find(state, event, Role::kAdmin);
      ASSERT_FALSE(found) << state << " --" << event;
      EXPECT_EQ(found.error().code, Errc::kIllegalTransition);
      EXPECT_EQ(found.error().allowed, machine.AllEvents(state));
    }
  }
  // every state named in a row is declared
  for (const Row& r : rows) {
    EXPECT_TRUE(machine.HasState(r.from)) << r.from;
    if (r.to != kReturnToPrevious) {
      EXPECT_TRUE(machine.HasState(r.to)) << r.to;
    }
  }
}

TEST(StateMachine, OrderTableMatchesTheSpecification) {
  ExpectMachineMatches(OrderStateMachine(), kOrderRows);
}

TEST(StateMachine, ItemTableMatchesTheSpecification) {
  ExpectMachineMatches(ItemStateMachine(), kItemRows);
}

TEST(StateMachine, OrderHasEveryStateTheIssueNames) {
  for (const char* s : {"placed", "in_production", "ready_to_pack", "packed", "shipped",
                        "delivered", "completed", "on_hold", "cancelled", "delivery_exception"}) {
    EXPECT_TRUE(OrderStateMachine().HasState(s)) << s;
  }
}

TEST(StateMachine, ItemHasEveryStateTheIssueNames) {
  for (const char* s :
       {"awaiting_asset", "preparing", "needs_review", "rework", "awaiting_customer", "approved",
        "in_production", "produced", "failed", "cancelled"}) {
    EXPECT_TRUE(ItemStateMachine().HasState(s)) << s;
  }
}

TEST(StateMachine, EveryStateIsReachableFromTheStart) {
  for (auto [machine, start] :
       {std::pair{&OrderStateMachine(), "placed"}, std::pair{&ItemStateMachine(), "awaiting_asset"},
        std::pair{&logistics::ShipmentStateMachine(), "created"}}) {
    std::set<std::string> seen{start};
    bool grew = true;
    while (grew) {
      grew = false;
      for (const Transition& t : machine->Transitions()) {
        if (seen.count(std::string(t.from)) && t.to != kReturnToPrevious &&
            seen.insert(std::string(t.to)).second) {
          grew = true;
        }
      }
    }
    for (std::string_view s : machine->States()) {
      EXPECT_TRUE(seen.count(std::string(s))) << machine->Name() << ": " << s << " unreachable";
    }
  }
}

TEST(StateMachine, TerminalStatesHaveNoWayOut) {
  EXPECT_TRUE(OrderStateMachine().AllEvents("completed").empty());
  EXPECT_TRUE(OrderStateMachine().AllEvents("cancelled").empty());
  EXPECT_TRUE(ItemStateMachine().AllEvents("cancelled").empty());
}

TEST(StateMachine, ShipmentDeliveredIsFinal) {
  // forward-only tracking: a late in_transit never undoes delivered
  EXPECT_TRUE(logistics::ShipmentStateMachine().AllEvents("delivered").empty());
  auto late = logistics::ShipmentStateMachine().Find("delivered", "in_transit", Role::kSystem);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, Errc::kIllegalTransition);
}

}  // namespace
}  // namespace keepsake::orders
