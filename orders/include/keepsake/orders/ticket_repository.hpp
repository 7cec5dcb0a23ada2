// Customer-service tickets: opened, answered, moved along their table, with their service-level
// clocks and the breaches recorded on the ticket and its order.
// One of the store's repositories (store.hpp): every method is one transaction over the
// store's database; all may be called from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keepsake/orders/error.hpp"
#include "keepsake/orders/role.hpp"
#include "keepsake/orders/sla.hpp"
#include "keepsake/orders/types.hpp"

namespace keepsake::orders {

struct Database;

class TicketRepository {
 public:
  explicit TicketRepository(Database& db) : db_(&db) {}

  // Opens a ticket (state open), with its first message, and notes it on the order's timeline.
  // Errors: kInvalidArgument (type, channel, level, subject), kNotFound (order), kStorage.
  Result<Ticket> OpenTicket(const NewTicket& ticket, const Actor& actor);
  Result<Ticket> GetTicket(int64_t id);
  Result<std::vector<TicketEntry>> TicketLog(int64_t id);
  // Newest first; keyset paging by id.
  Result<std::vector<Ticket>> ListTickets(const TicketFilter& filter);
  // A message to or from the customer, or an internal note. A staff member's first message
  // (not a note) is the ticket's first response.
  Result<Ticket> AddTicketEntry(int64_t id, const std::string& body, bool internal,
                                const Actor& actor);
  // Takes `event` from the ticket state table; keeps the SLA's pause accounting.
  // Errors: kNotFound, kIllegalTransition, kForbiddenTransition, kVersionConflict.
  Result<Ticket> TransitionTicket(int64_t id, std::string_view event, const std::string& reason,
                                  const Actor& actor, std::optional<int64_t> expected_version);
  // Records each SLA breach not yet recorded (on the ticket's log and its order's timeline);
  // returns how many were recorded now.
  Result<int> RecordSlaBreaches(const SlaPolicy& policy, int64_t now_ms);

 private:
  Database* db_;
};

}  // namespace keepsake::orders
