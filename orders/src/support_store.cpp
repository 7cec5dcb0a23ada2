// The store's customer-service part: tickets and their SLA bookkeeping, the audit log's
// listing, and the purge of customer personal data.
#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <tuple>

#include <nlohmann/json.hpp>

#include "keepsake/orders/state_machine.hpp"
#include "keepsake/orders/store.hpp"
#include "store_impl.hpp"
#include "store_rows.hpp"

namespace keepsake::orders {

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

std::string Sha256Hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  char byte[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(byte, sizeof byte, "%02x", digest[i]);
    hex += byte;
  }
  return hex;
}

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

Result<Ticket> Store::OpenTicket(const NewTicket& ticket, const Actor& actor) {
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
  return impl_->Write([&](SQLite::Database& db) -> Result<Ticket> {
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

Result<Order> Store::ChangeAddress(int64_t order_id, const Address& address,
                                   const std::string& reason, const Actor& actor) {
  for (const auto& [value, field, required] :
       {std::tuple<const std::string*, const char*, bool>{&address.province, "province", true},
        {&address.city, "city", true},
        {&address.district, "district", false},
        {&address.street, "street", false},
        {&address.detail, "detail", true}}) {
    if ((required && value->empty()) || value->size() > 200) {
      return Fail(Errc::kInvalidArgument,
                  std::string("address.") + field +
                      (required ? " is required (1-200 bytes)" : " is at most 200 bytes"),
                  std::string("address.") + field);
    }
  }
  if (reason.empty() || reason.size() > 500) {
    return Fail(Errc::kInvalidArgument, "say why the address changes (1-500 bytes)", "reason");
  }
  return impl_->Write([&](SQLite::Database& db) -> Result<Order> {
    auto order = rows::LoadOrder(db, "o.id = ?", std::to_string(order_id));
    if (!order)
      return Fail(Errc::kNotFound, "order " + std::to_string(order_id) + " does not exist");
    if (!AddressChangeable(*order)) {
      return Fail(Errc::kIllegalTransition,
                  "order " + order->number + " is " + order->state +
                      ": the address can change only before packing (a parcel on its way is "
                      "redirected with the carrier)",
                  "state");
    }
    SQLite::Statement customer(db, "SELECT customer_id FROM orders WHERE id = ?");
    customer.bind(1, order_id);
    if (!customer.executeStep() || customer.getColumn(0).isNull()) {
      return Fail(Errc::kIllegalTransition, "the customer's data of this order was purged", "");
    }
    SQLite::Statement upd(db,
                          "UPDATE customers SET province = ?, city = ?, district = ?, street = ?, "
                          "detail = ? WHERE id = ?");
    upd.bind(1, address.province);
    upd.bind(2, address.city);
    upd.bind(3, address.district);
    upd.bind(4, address.street);
    upd.bind(5, address.detail);
    upd.bind(6, customer.getColumn(0).getInt64());
    upd.exec();
    const std::string now = NowUtcIso();
    SQLite::Statement bump(db,
                           "UPDATE orders SET version = version + 1, updated_at = ? WHERE id = ?");
    bump.bind(1, now);
    bump.bind(2, order_id);
    bump.exec();
    rows::AppendEvent(
        db, Event{0, order_id, std::nullopt, now, actor.name, std::string(RoleName(actor.role)),
                  "order.address_changed", "", "", reason, "{}"});
    return *rows::LoadOrder(db, "o.id = ?", std::to_string(order_id));
  });
}

Result<Event> Store::AddOrderNote(int64_t order_id, const std::string& note, const Actor& actor) {
  if (note.empty() || note.size() > 2000) {
    return Fail(Errc::kInvalidArgument, "note is required (1-2000 bytes)", "note");
  }
  return impl_->Write([&](SQLite::Database& db) -> Result<Event> {
    SQLite::Statement exists(db, "SELECT 1 FROM orders WHERE id = ?");
    exists.bind(1, order_id);
    if (!exists.executeStep()) {
      return Fail(Errc::kNotFound, "order " + std::to_string(order_id) + " does not exist");
    }
    Event e{0,
            order_id,
            std::nullopt,
            NowUtcIso(),
            actor.name,
            std::string(RoleName(actor.role)),
            "order.note",
            "",
            "",
            note,
            "{}"};
    rows::AppendEvent(db, e);
    e.id = db.getLastInsertRowid();
    return e;
  });
}

Result<Ticket> Store::GetTicket(int64_t id) {
  return impl_->Read([&](SQLite::Database& db) -> Result<Ticket> {
    auto t = LoadTicket(db, id);
    if (!t) return Fail(Errc::kNotFound, "ticket " + std::to_string(id) + " does not exist");
    return *t;
  });
}

Result<std::vector<TicketEntry>> Store::TicketLog(int64_t id) {
  return impl_->Read([&](SQLite::Database& db) -> Result<std::vector<TicketEntry>> {
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

Result<std::vector<Ticket>> Store::ListTickets(const TicketFilter& filter) {
  if (filter.limit < 1 || filter.limit > 500) {
    return Fail(Errc::kInvalidArgument, "limit must be 1-500", "limit");
  }
  if (filter.state && *filter.state != "active" && !TicketStateMachine().HasState(*filter.state)) {
    std::vector<std::string> states = {"active"};
    for (auto s : TicketStateMachine().States()) states.emplace_back(s);
    return Fail(Errc::kInvalidArgument, "unknown ticket state '" + *filter.state + "'", "state",
                states);
  }
  return impl_->Read([&](SQLite::Database& db) -> Result<std::vector<Ticket>> {
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

Result<Ticket> Store::AddTicketEntry(int64_t id, const std::string& body, bool internal,
                                     const Actor& actor) {
  if (body.empty() || body.size() > 4000) {
    return Fail(Errc::kInvalidArgument, "body is required (1-4000 bytes)", "body");
  }
  if (internal && !IsStaff(actor.role)) {
    return Fail(Errc::kForbiddenTransition, "internal notes are for staff", "internal");
  }
  return impl_->Write([&](SQLite::Database& db) -> Result<Ticket> {
    auto ticket = LoadTicket(db, id);
    if (!ticket) return Fail(Errc::kNotFound, "ticket " + std::to_string(id) + " does not exist");
    if (ticket->state == "closed") {
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

Result<Ticket> Store::TransitionTicket(int64_t id, std::string_view event,
                                       const std::string& reason, const Actor& actor,
                                       std::optional<int64_t> expected_version) {
  if (reason.size() > 500)
    return Fail(Errc::kInvalidArgument, "reason is at most 500 bytes", "reason");
  return impl_->Write([&](SQLite::Database& db) -> Result<Ticket> {
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
    if (!paused_since.empty() && to != "pending_customer") {
      paused_ms += std::max<int64_t>(0, now_ms - UnixMsFromIso(paused_since));
      paused_since.clear();
    }
    if (to == "pending_customer" && paused_since.empty()) paused_since = now;
    std::string resolved_at = ticket->resolved_at;
    if (to == "resolved") resolved_at = now;
    if (to == "open") resolved_at.clear();  // reopened: the clock runs again
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

Result<int> Store::RecordSlaBreaches(const SlaPolicy& policy, int64_t now_ms) {
  return impl_->Write([&](SQLite::Database& db) -> Result<int> {
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

Result<std::vector<AuditEntry>> Store::ListAudit(std::optional<int64_t> before_id, int limit) {
  if (limit < 1 || limit > 1000)
    return Fail(Errc::kInvalidArgument, "limit must be 1-1000", "limit");
  return impl_->Read([&](SQLite::Database& db) -> Result<std::vector<AuditEntry>> {
    SQLite::Statement q(db,
                        "SELECT id, at, actor, role, action, order_id, detail, peer FROM audit "
                        "WHERE id < ? ORDER BY id DESC LIMIT ?");
    q.bind(1, before_id.value_or(INT64_MAX));
    q.bind(2, limit);
    std::vector<AuditEntry> out;
    while (q.executeStep()) {
      AuditEntry e;
      e.id = q.getColumn(0).getInt64();
      e.at = q.getColumn(1).getString();
      e.actor = q.getColumn(2).getString();
      e.role = q.getColumn(3).getString();
      e.action = q.getColumn(4).getString();
      if (!q.getColumn(5).isNull()) e.order_id = q.getColumn(5).getInt64();
      e.detail = q.getColumn(6).getString();
      e.peer = q.getColumn(7).getString();
      out.push_back(std::move(e));
    }
    return out;
  });
}

Result<PurgeResult> Store::PurgeCustomers(const std::string& before_iso, bool everything,
                                          const Actor& actor) {
  if (!everything && UnixMsFromIso(before_iso) < 0) {
    return Fail(Errc::kInvalidArgument,
                "before must be a UTC time like 2026-11-01T00:00:00Z (or purge everything)",
                "before");
  }
  auto purged = impl_->Write([&](SQLite::Database& db) -> Result<PurgeResult> {
    std::string sql =
        "SELECT o.id, o.number, o.customer_id FROM orders o WHERE o.customer_id IS NOT NULL";
    if (!everything) sql += " AND o.state IN ('completed', 'cancelled') AND o.updated_at < ?";
    sql += " ORDER BY o.id";
    SQLite::Statement q(db, sql);
    if (!everything) q.bind(1, before_iso);
    std::vector<int64_t> order_ids, customer_ids;
    std::string numbers;
    while (q.executeStep()) {
      order_ids.push_back(q.getColumn(0).getInt64());
      numbers += q.getColumn(1).getString() + "\n";
      customer_ids.push_back(q.getColumn(2).getInt64());
    }
    PurgeResult result;
    result.at = NowUtcIso();
    for (int64_t order_id : order_ids) {
      const std::string id = std::to_string(order_id);
      // the customer row goes (orders.customer_id is set to NULL by the foreign key); then the
      // customer's own words, and the first response of the order's creation, which holds
      // the customer as the channel sent it
      db.exec("UPDATE orders SET customer_id = NULL WHERE id = " + id);
      db.exec("UPDATE items SET text = '' WHERE order_id = " + id + " AND text != ''");
      db.exec(
          "UPDATE jobs SET params = json_remove(params, '$.text') WHERE item_id IN "
          "(SELECT id FROM items WHERE order_id = " +
          id + ") AND json_extract(params, '$.text') IS NOT NULL");
      db.exec(
          "UPDATE ticket_log SET body = '(purged)' WHERE kind IN ('message', 'note') AND "
          "ticket_id IN (SELECT id FROM tickets WHERE order_id = " +
          id + ")");
      db.exec("DELETE FROM idempotency WHERE order_id = " + id);
      // a carrier's scan text can name who signed for the parcel
      db.exec(
          "UPDATE tracking_events SET description = '' WHERE shipment_id IN (SELECT id FROM "
          "shipments WHERE order_id = " +
          id + ")");
    }
    std::sort(customer_ids.begin(), customer_ids.end());
    customer_ids.erase(std::unique(customer_ids.begin(), customer_ids.end()), customer_ids.end());
    for (int64_t customer : customer_ids) {
      SQLite::Statement still_used(db, "SELECT 1 FROM orders WHERE customer_id = ? LIMIT 1");
      still_used.bind(1, customer);
      if (still_used.executeStep()) continue;
      db.exec("DELETE FROM customers WHERE id = " + std::to_string(customer));
      ++result.customers;
    }
    result.orders = static_cast<int>(order_ids.size());
    result.digest = Sha256Hex(numbers);
    SQLite::Statement rec(db,
                          "INSERT INTO purges(at, actor, completed_before, orders, customers, "
                          "digest) VALUES(?,?,?,?,?,?)");
    rec.bind(1, result.at);
    rec.bind(2, actor.name);
    rec.bind(3, everything ? std::string("everything") : before_iso);
    rec.bind(4, result.orders);
    rec.bind(5, result.customers);
    rec.bind(6, result.digest);
    rec.exec();
    SQLite::Statement audit(db,
                            "INSERT INTO audit(at, actor, role, action, detail) "
                            "VALUES(?,?,?,'customers.purge',?)");
    audit.bind(1, result.at);
    audit.bind(2, actor.name);
    audit.bind(3, std::string(RoleName(actor.role)));
    audit.bind(4, json{{"orders", result.orders},
                       {"customers", result.customers},
                       {"digest", result.digest},
                       {"before", everything ? "everything" : before_iso}}
                      .dump());
    audit.exec();
    return result;
  });
  if (!purged) return purged;
  // the deleted cells were zeroed (secure_delete); now the copies in the WAL and in free
  // pages go: checkpoint and truncate the WAL, rebuild the file, truncate again
  try {
    std::lock_guard<std::mutex> lock(impl_->write_mutex);
    impl_->writer->exec("PRAGMA wal_checkpoint(TRUNCATE)");
    impl_->writer->exec("VACUUM");
    impl_->writer->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  } catch (const SQLite::Exception& e) {
    return Fail(
        Errc::kStorage,
        std::string("the data was deleted but the file could not be compacted: ") + e.what());
  }
  return purged;
}

namespace {

OutboxMessage OutboxFromRow(SQLite::Statement& q) {
  OutboxMessage m;
  m.id = q.getColumn(0).getInt64();
  m.event_id = q.getColumn(1).getString();
  m.kind = q.getColumn(2).getString();
  m.at = q.getColumn(3).getString();
  m.body = q.getColumn(4).getString();
  m.state = q.getColumn(5).getString();
  m.attempts = q.getColumn(6).getInt();
  m.next_attempt_ms = q.getColumn(7).getInt64();
  m.last_error = q.getColumn(8).getString();
  return m;
}

constexpr const char* kOutboxColumns =
    "id, event_id, kind, at, body, state, attempts, next_attempt_ms, last_error FROM outbox";

}  // namespace

Result<std::vector<OutboxMessage>> Store::DueNotifications(int64_t now_ms, int limit) {
  return impl_->Read([&](SQLite::Database& db) -> Result<std::vector<OutboxMessage>> {
    SQLite::Statement q(db, std::string("SELECT ") + kOutboxColumns +
                                " WHERE state = 'pending' AND next_attempt_ms <= ? ORDER BY id "
                                "LIMIT ?");
    q.bind(1, now_ms);
    q.bind(2, limit);
    std::vector<OutboxMessage> out;
    while (q.executeStep()) out.push_back(OutboxFromRow(q));
    return out;
  });
}

Result<void> Store::RecordDelivery(int64_t outbox_id, int status, const std::string& error,
                                   int64_t elapsed_ms, bool delivered, int64_t retry_at_ms) {
  return impl_->Write([&](SQLite::Database& db) -> Result<void> {
    SQLite::Statement attempt(db,
                              "INSERT INTO webhook_attempts(outbox_id, at, status, error, ms) "
                              "VALUES(?,?,?,?,?)");
    attempt.bind(1, outbox_id);
    attempt.bind(2, NowUtcIso());
    attempt.bind(3, status);
    attempt.bind(4, error);
    attempt.bind(5, elapsed_ms);
    attempt.exec();
    SQLite::Statement upd(db,
                          "UPDATE outbox SET state = ?, attempts = attempts + 1, "
                          "next_attempt_ms = ?, last_error = ? WHERE id = ?");
    upd.bind(1, delivered ? "delivered" : (retry_at_ms == 0 ? "dead" : "pending"));
    upd.bind(2, retry_at_ms);
    upd.bind(3, error);
    upd.bind(4, outbox_id);
    upd.exec();
    return {};
  });
}

Result<std::vector<OutboxMessage>> Store::ListNotifications(const std::string& state, int limit) {
  if (limit < 1 || limit > 1000)
    return Fail(Errc::kInvalidArgument, "limit must be 1-1000", "limit");
  if (!state.empty() && state != "pending" && state != "delivered" && state != "dead") {
    return Fail(Errc::kInvalidArgument, "state is pending, delivered or dead", "state",
                {"pending", "delivered", "dead"});
  }
  return impl_->Read([&](SQLite::Database& db) -> Result<std::vector<OutboxMessage>> {
    SQLite::Statement q(db, std::string("SELECT ") + kOutboxColumns +
                                (state.empty() ? " WHERE ? = ''" : " WHERE state = ?") +
                                " ORDER BY id DESC LIMIT ?");
    q.bind(1, state);
    q.bind(2, limit);
    std::vector<OutboxMessage> out;
    while (q.executeStep()) out.push_back(OutboxFromRow(q));
    return out;
  });
}

}  // namespace keepsake::orders
