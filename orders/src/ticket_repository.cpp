// Customer-service tickets with their service-level clocks.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include "database.hpp"
#include "keepsake/orders/job_kind.hpp"
#include "keepsake/orders/state_machine.hpp"
#include "keepsake/orders/state_names.hpp"
#include "keepsake/orders/store.hpp"
#include "store_rows.hpp"

namespace keepsake::orders {

using nlohmann::json;

using nlohmann::json;

namespace {

constexpr const char* kTicketColumns =
    "t.id, t.order_id, COALESCE(o.number, ''), t.type, t.channel, t.level, t.state, t.subject, "
    "t.opened_by, t.created_at, t.updated_at, t.first_response_at, t.resolved_at, t.paused_ms, "
    "t.paused_since, t.breaches, t.version FROM tickets t LEFT JOIN orders o ON o.id = t.order_id";

Ticket TicketFromRow(SQLite::Statement& q) {
  Ticket t;
  t.id = q.getColumn(0).getInt64();
  if (!q.getColumn(1).isNull()) t.order_id = q.getColumn(1).getInt64();
  t.order_number = q.getColumn(2).getString();
  t.type = q.getColumn(3).getString();
  t.channel = q.getColumn(4).getString();
  t.level = q.getColumn(5).getInt();
  t.state = q.getColumn(6).getString();
  t.subject = q.getColumn(7).getString();
  t.opened_by = q.getColumn(8).getString();
  t.created_at = q.getColumn(9).getString();
  t.updated_at = q.getColumn(10).getString();
  t.first_response_at = q.getColumn(11).getString();
  t.resolved_at = q.getColumn(12).getString();
  t.paused_ms = q.getColumn(13).getInt64();
  t.paused_since = q.getColumn(14).getString();
  t.breaches = q.getColumn(15).getString();
  t.version = q.getColumn(16).getInt64();
  return t;
}

std::optional<Ticket> LoadTicket(SQLite::Database& db, int64_t id) {
  SQLite::Statement q(db, std::string("SELECT ") + kTicketColumns + " WHERE t.id = ?");
  q.bind(1, id);
  if (!q.executeStep()) return std::nullopt;
  return TicketFromRow(q);
}

void AppendEntry(SQLite::Database& db, int64_t ticket_id, const std::string& at, const Actor& actor,
                 const std::string& kind, const std::string& body) {
  SQLite::Statement ins(db,
                        "INSERT INTO ticket_log(ticket_id, at, author, role, kind, body) "
                        "VALUES(?,?,?,?,?,?)");
  ins.bind(1, ticket_id);
  ins.bind(2, at);
  ins.bind(3, actor.name);
  ins.bind(4, std::string(RoleName(actor.role)));
  ins.bind(5, kind);
  ins.bind(6, body);
  ins.exec();
}

// Staff roles answer customers; the channel speaks for the customer.
bool IsStaff(Role role) { return role != Role::kChannel && role != Role::kSystem; }

}  // namespace

namespace rows {

int64_t InsertTicket(SQLite::Database& db, const NewTicket& ticket, const Actor& actor,
                     std::optional<int64_t> item_id) {
  std::string subject = ticket.subject.substr(0, 200);
  // not in the middle of a character: drop the continuation bytes of a cut one, and its lead
  while (subject.size() < ticket.subject.size() && !subject.empty() &&
         (static_cast<unsigned char>(ticket.subject[subject.size()]) & 0xC0) == 0x80) {
    subject.pop_back();
  }
  const std::string now = NowUtcIso();
  SQLite::Statement ins(db,
                        "INSERT INTO tickets(order_id, type, channel, level, state, subject, "
                        "opened_by, created_at, updated_at) VALUES(?,?,?,?,'open',?,?,?,?)");
  if (ticket.order_id) {
    ins.bind(1, *ticket.order_id);
  } else {
    ins.bind(1);
  }
  ins.bind(2, ticket.type);
  ins.bind(3, ticket.channel);
  ins.bind(4, ticket.level);
  ins.bind(5, subject);
  ins.bind(6, actor.name);
  ins.bind(7, now);
  ins.bind(8, now);
  ins.exec();
  const int64_t id = db.getLastInsertRowid();
  if (ticket.order_id) {
    AppendEvent(
        db, Event{0, *ticket.order_id, item_id, now, actor.name, std::string(RoleName(actor.role)),
                  "ticket.opened", "", "open", "",
                  json{{"ticket", id}, {"type", ticket.type}, {"level", ticket.level}}.dump()});
  }
  return id;
}

}  // namespace rows

Result<Ticket> TicketRepository::OpenTicket(const NewTicket& ticket, const Actor& actor) {
  static const std::vector<std::string> types = {"query", "complaint", "change_request", "fault"};
  static const std::vector<std::string> channels = {"phone", "chat", "channel_api", "system"};
  if (std::find(types.begin(), types.end(), ticket.type) == types.end()) {
    return Fail(Errc::kInvalidArgument, "unknown ticket type '" + ticket.type + "'", "type", types);
  }
  if (std::find(channels.begin(), channels.end(), ticket.channel) == channels.end()) {
    return Fail(Errc::kInvalidArgument, "unknown channel '" + ticket.channel + "'", "channel",
                channels);
  }
  if (ticket.level < 1 || ticket.level > 4) {
    return Fail(Errc::kInvalidArgument, "level must be 1 (most urgent) to 4", "level");
  }
  if (ticket.subject.empty() || ticket.subject.size() > 200) {
    return Fail(Errc::kInvalidArgument, "subject is required (1-200 bytes)", "subject");
  }
  if (ticket.body.size() > 4000) {
    return Fail(Errc::kInvalidArgument, "body is at most 4000 bytes", "body");
  }
  return db_->Write([&](SQLite::Database& db) -> Result<Ticket> {
    if (ticket.order_id) {
      SQLite::Statement exists(db, "SELECT 1 FROM orders WHERE id = ?");
      exists.bind(1, *ticket.order_id);
      if (!exists.executeStep()) {
        return Fail(Errc::kNotFound,
                    "order " + std::to_string(*ticket.order_id) + " does not exist", "order");
      }
    }
    const int64_t id = rows::InsertTicket(db, ticket, actor);
    if (!ticket.body.empty()) AppendEntry(db, id, NowUtcIso(), actor, "message", ticket.body);
    return *LoadTicket(db, id);
  });
}

Result<Ticket> TicketRepository::GetTicket(int64_t id) {
  return db_->Read([&](SQLite::Database& db) -> Result<Ticket> {
    auto t = LoadTicket(db, id);
    if (!t) return Fail(Errc::kNotFound, "ticket " + std::to_string(id) + " does not exist");
    return *t;
  });
}

Result<std::vector<TicketEntry>> TicketRepository::TicketLog(int64_t id) {
  return db_->Read([&](SQLite::Database& db) -> Result<std::vector<TicketEntry>> {
    SQLite::Statement q(db,
                        "SELECT id, at, author, role, kind, body FROM ticket_log "
                        "WHERE ticket_id = ? ORDER BY id");
    q.bind(1, id);
    std::vector<TicketEntry> log;
    while (q.executeStep()) {
      log.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getString(),
                     q.getColumn(2).getString(), q.getColumn(3).getString(),
                     q.getColumn(4).getString(), q.getColumn(5).getString()});
    }
    return log;
  });
}

Result<std::vector<Ticket>> TicketRepository::ListTickets(const TicketFilter& filter) {
  if (filter.limit < 1 || filter.limit > 500) {
    return Fail(Errc::kInvalidArgument, "limit must be 1-500", "limit");
  }
  if (filter.state && *filter.state != "active" && !TicketStateMachine().HasState(*filter.state)) {
    std::vector<std::string> states = {"active"};
    for (auto s : TicketStateMachine().States()) states.emplace_back(s);
    return Fail(Errc::kInvalidArgument, "unknown ticket state '" + *filter.state + "'", "state",
                states);
  }
  return db_->Read([&](SQLite::Database& db) -> Result<std::vector<Ticket>> {
    std::string sql = std::string("SELECT ") + kTicketColumns + " WHERE 1 = 1";
    std::vector<std::string> binds;
    if (filter.state && *filter.state == "active") {
      sql += " AND t.state IN ('open', 'pending_customer', 'pending_internal')";
    } else if (filter.state) {
      sql += " AND t.state = ?";
      binds.push_back(*filter.state);
    }
    if (filter.order_id) {
      sql += " AND t.order_id = ?";
      binds.push_back(std::to_string(*filter.order_id));
    }
    if (filter.before_id) {
      sql += " AND t.id < ?";
      binds.push_back(std::to_string(*filter.before_id));
    }
    sql += " ORDER BY t.id DESC LIMIT " + std::to_string(filter.limit);
    SQLite::Statement q(db, sql);
    for (size_t i = 0; i < binds.size(); ++i) q.bind(static_cast<int>(i + 1), binds[i]);
    std::vector<Ticket> tickets;
    while (q.executeStep()) tickets.push_back(TicketFromRow(q));
    return tickets;
  });
}

Result<Ticket> TicketRepository::AddTicketEntry(int64_t id, const std::string& body, bool internal,
                                                const Actor& actor) {
  if (body.empty() || body.size() > 4000) {
    return Fail(Errc::kInvalidArgument, "body is required (1-4000 bytes)", "body");
  }
  if (internal && !IsStaff(actor.role)) {
    return Fail(Errc::kForbiddenTransition, "internal notes are for staff", "internal");
  }
  return db_->Write([&](SQLite::Database& db) -> Result<Ticket> {
    auto ticket = LoadTicket(db, id);
    if (!ticket) return Fail(Errc::kNotFound, "ticket " + std::to_string(id) + " does not exist");
    if (ticket->state == ticket_state::kClosed) {
      return Fail(Errc::kIllegalTransition, "ticket " + std::to_string(id) + " is closed", "state");
    }
    const std::string now = NowUtcIso();
    AppendEntry(db, id, now, actor, internal ? "note" : "message", body);
    // the first answer to the customer stops the first-response clock
    const bool first_response =
        !internal && IsStaff(actor.role) && ticket->first_response_at.empty();
    SQLite::Statement upd(db,
                          "UPDATE tickets SET updated_at = ?, version = version + 1, "
                          "first_response_at = CASE WHEN ? THEN ? ELSE first_response_at END "
                          "WHERE id = ?");
    upd.bind(1, now);
    upd.bind(2, first_response ? 1 : 0);
    upd.bind(3, now);
    upd.bind(4, id);
    upd.exec();
    return *LoadTicket(db, id);
  });
}

Result<Ticket> TicketRepository::TransitionTicket(int64_t id, std::string_view event,
                                                  const std::string& reason, const Actor& actor,
                                                  std::optional<int64_t> expected_version) {
  if (reason.size() > 500)
    return Fail(Errc::kInvalidArgument, "reason is at most 500 bytes", "reason");
  return db_->Write([&](SQLite::Database& db) -> Result<Ticket> {
    auto ticket = LoadTicket(db, id);
    if (!ticket) return Fail(Errc::kNotFound, "ticket " + std::to_string(id) + " does not exist");
    if (expected_version && *expected_version != ticket->version) {
      return Fail(
          Errc::kVersionConflict,
          "ticket " + std::to_string(id) + " changed since you read it; reload and try again",
          "version");
    }
    auto row = TicketStateMachine().Find(ticket->state, event, actor.role);
    if (!row) return tl::unexpected(row.error());
    const std::string to((*row)->to);
    const std::string now = NowUtcIso();
    const int64_t now_ms = UnixMsFromIso(now);
    // the resolution clock: paused while waiting for the customer, stopped when resolved
    int64_t paused_ms = ticket->paused_ms;
    std::string paused_since = ticket->paused_since;
    if (!paused_since.empty() && to != ticket_state::kPendingCustomer) {
      paused_ms += std::max<int64_t>(0, now_ms - UnixMsFromIso(paused_since));
      paused_since.clear();
    }
    if (to == ticket_state::kPendingCustomer && paused_since.empty()) paused_since = now;
    std::string resolved_at = ticket->resolved_at;
    if (to == ticket_state::kResolved) resolved_at = now;
    if (to == ticket_state::kOpen) resolved_at.clear();  // reopened: the clock runs again
    SQLite::Statement upd(db,
                          "UPDATE tickets SET state = ?, paused_ms = ?, paused_since = ?, "
                          "resolved_at = ?, updated_at = ?, version = version + 1 WHERE id = ?");
    upd.bind(1, to);
    upd.bind(2, paused_ms);
    upd.bind(3, paused_since);
    upd.bind(4, resolved_at);
    upd.bind(5, now);
    upd.bind(6, id);
    upd.exec();
    AppendEntry(db, id, now, actor, "state",
                ticket->state + " -> " + to + (reason.empty() ? "" : ": " + reason));
    return *LoadTicket(db, id);
  });
}

Result<int> TicketRepository::RecordSlaBreaches(const SlaPolicy& policy, int64_t now_ms) {
  return db_->Write([&](SQLite::Database& db) -> Result<int> {
    // active tickets, and those resolved in the last day: a resolved ticket's clocks stopped,
    // so only a breach from before its resolution can still be unrecorded (resolved tickets
    // are many and are kept until closed; the sweep runs every 30 s)
    SQLite::Statement q(db, std::string("SELECT ") + kTicketColumns +
                                " WHERE t.state IN ('open', 'pending_customer', "
                                "'pending_internal') OR (t.state = 'resolved' AND "
                                "t.resolved_at > ?)");
    q.bind(1, IsoFromUnixMs(now_ms - 86'400'000));
    std::vector<Ticket> tickets;
    while (q.executeStep()) tickets.push_back(TicketFromRow(q));
    int recorded = 0;
    const std::string now = IsoFromUnixMs(now_ms);
    for (const Ticket& t : tickets) {
      const SlaStatus sla = ComputeSla(t, policy, now_ms);
      std::string breaches = t.breaches;
      for (const auto& [kind, breached] :
           {std::pair<std::string, bool>{"first_response", sla.first_response_breached},
            {"resolution", sla.resolution_breached}}) {
        if (!breached || breaches.find(kind) != std::string::npos) continue;
        breaches += (breaches.empty() ? "" : ",") + kind;
        const Actor system{"sla", Role::kSystem};
        AppendEntry(db, t.id, now, system, "breach", kind + " time passed");
        if (t.order_id) {
          rows::AppendEvent(
              db,
              Event{0, *t.order_id, std::nullopt, now, "sla", "system", "ticket.sla_breached", "",
                    "", "", json{{"ticket", t.id}, {"breach", kind}, {"level", t.level}}.dump()});
        }
        ++recorded;
      }
      if (breaches != t.breaches) {
        SQLite::Statement upd(db, "UPDATE tickets SET breaches = ? WHERE id = ?");
        upd.bind(1, breaches);
        upd.bind(2, t.id);
        upd.exec();
      }
    }
    return recorded;
  });
}

}  // namespace keepsake::orders
