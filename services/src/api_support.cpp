// The API's customer-service routes: the order overview a CS agent works from, tickets with
// their service levels, the audited reveal of one personal field, the audit log, the purge.
// Personal data leaves only through reveal (audited, for a reason, tied to an open ticket).
#include <openssl/crypto.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <spdlog/spdlog.h>

#include "api_json.hpp"
#include "api_server_impl.hpp"
#include "edge_checks.hpp"
#include "keepsake/logistics/carrier.hpp"
#include "keepsake/logistics/stuck.hpp"
#include "keepsake/logistics/tracking.hpp"
#include "keepsake/orders/sla.hpp"
#include "keepsake/orders/state_machine.hpp"
#include "keepsake/services/crypto.hpp"
#include "keepsake/services/labels.hpp"
#include "keepsake/services/masking.hpp"
#include "keepsake/services/monthly_report.hpp"

namespace keepsake::services {

namespace {

constexpr int64_t kMaxId = 999'999'999'999'999'999;  // 18 digits, as the route patterns allow

orders::Error Invalid(const std::string& message, const std::string& field) {
  return orders::Error{orders::Errc::kInvalidArgument, message, field, {}};
}

}  // namespace

bool ApiServer::Impl::Audit(const Context& ctx, const httplib::Request& req, httplib::Response& res,
                            const std::string& action, std::optional<int64_t> order_id,
                            const json& detail) {
  auto written = store.AppendAudit(
      orders::AuditRecord{ctx.actor.name, std::string(orders::RoleName(ctx.actor.role)), action,
                          order_id, detail.dump(), ctx.peer});
  if (!written) {
    ReplyError(req, res, written.error());
    return false;
  }
  return true;
}

json ApiServer::Impl::TicketJson(const orders::Ticket& t) const {
  const orders::SlaStatus sla = orders::ComputeSla(t, config.sla, orders::NowUnixMs());
  return {
      {"id", t.id},
      {"order", t.order_number.empty() ? json(nullptr) : json(t.order_number)},
      {"type", t.type},
      {"channel", t.channel},
      {"level", t.level},
      {"state", t.state},
      {"subject", t.subject},
      {"opened_by", t.opened_by},
      {"created_at", t.created_at},
      {"updated_at", t.updated_at},
      {"first_response_at",
       t.first_response_at.empty() ? json(nullptr) : json(t.first_response_at)},
      {"resolved_at", t.resolved_at.empty() ? json(nullptr) : json(t.resolved_at)},
      {"version", t.version},
      {"sla",
       {{"first_response_due", sla.first_response_due},
        {"resolution_due", sla.resolution_due.empty() ? json(nullptr) : json(sla.resolution_due)},
        {"paused", sla.paused},
        {"resolution_minutes_left", sla.resolution_ms_left / 60000},
        {"first_response_breached", sla.first_response_breached},
        {"resolution_breached", sla.resolution_breached}}}};
}

void ApiServer::Impl::OrderOverview(const Context& ctx, const httplib::Request& req,
                                    httplib::Response& res) {
  auto order = LoadOrder(req, res);
  if (!order) return;
  json out = api_json::OrderJson(*order, ctx.actor.role);
  out["allowed_events"] = orders::OrderStateMachine().AllowedEvents(order->state, ctx.actor.role);
  // each item's newest preview, so the agent sees what the customer will get
  for (json& item : out["items"]) {
    const std::string preview = NewestPreviewAsset(store, item["id"].get<int64_t>());
    item["preview"] = preview.empty() ? json(nullptr) : json(preview);
  }
  auto events = store.OrderEvents(order->id);
  if (!events) return ReplyError(req, res, events.error());
  out["timeline"] = json::array();
  for (const orders::Event& e : *events) out["timeline"].push_back(api_json::EventJson(e));
  orders::TicketFilter filter;
  filter.order_id = order->id;
  filter.limit = 100;
  auto tickets = store.ListTickets(filter);
  if (!tickets) return ReplyError(req, res, tickets.error());
  out["tickets"] = json::array();
  for (const orders::Ticket& t : *tickets) out["tickets"].push_back(TicketJson(t));
  auto claims = store.ListClaims(order->id, "", 100);
  if (!claims) return ReplyError(req, res, claims.error());
  out["claims"] = json::array();
  for (const orders::Claim& c : *claims) out["claims"].push_back(ClaimJson(c, ctx.actor.role));
  auto shipments = store.ShipmentsOfOrder(order->id);
  if (!shipments) return ReplyError(req, res, shipments.error());
  out["shipments"] = json::array();
  for (const orders::Shipment& s : *shipments) out["shipments"].push_back(ShipmentJson(s));
  Reply(res, 200, out);
}

void ApiServer::Impl::RevealCustomer(const Context& ctx, const httplib::Request& req,
                                     httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  const std::string field = body->value("field", "");
  const std::string reason = body->value("reason", "");
  if (field != "name" && field != "phone" && field != "address") {
    return ReplyError(req, res,
                      orders::Error{orders::Errc::kInvalidArgument,
                                    "field must be name, phone or address: one field at a time",
                                    "field",
                                    {"name", "phone", "address"}});
  }
  if (reason.size() < 10 || reason.size() > 500) {
    return ReplyError(req, res, Invalid("say why you need it (10-500 bytes)", "reason"));
  }
  if (!(*body).contains("ticket") || !(*body)["ticket"].is_number_integer()) {
    return ReplyError(req, res,
                      Invalid("ticket is required: the open ticket this is for", "ticket"));
  }
  auto order = LoadOrder(req, res);
  if (!order) return;
  auto ticket = store.GetTicket((*body)["ticket"].get<int64_t>());
  if (!ticket) return ReplyError(req, res, ticket.error());
  const bool active = ticket->state == "open" || ticket->state == "pending_customer" ||
                      ticket->state == "pending_internal";
  if (ticket->order_id != order->id || !active) {
    return ReplyError(req, res,
                      Invalid("ticket " + std::to_string(ticket->id) +
                                  " is not an open ticket about order " + order->number,
                              "ticket"));
  }
  if (!order->customer) {
    return ReplyError(req, res,
                      orders::Error{orders::Errc::kNotFound,
                                    "the customer's data of order " + order->number + " was purged",
                                    "",
                                    {}});
  }
  if (!Audit(ctx, req, res, "customer.reveal", order->id,
             {{"field", field}, {"ticket", ticket->id}, {"reason", reason}})) {
    return;
  }
  const orders::Customer& c = *order->customer;
  json value;
  if (field == "name") value = c.name;
  if (field == "phone") value = c.phone;
  if (field == "address") {
    value = {{"province", c.address.province},
             {"city", c.address.city},
             {"district", c.address.district},
             {"street", c.address.street},
             {"detail", c.address.detail}};
  }
  res.set_header("Cache-Control", "no-store");
  Reply(res, 200, {{"order", order->number}, {"field", field}, {"value", value}});
}

void ApiServer::Impl::OpenTicket(const Context& ctx, const httplib::Request& req,
                                 httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  orders::NewTicket ticket;
  ticket.type = body->value("type", "");
  ticket.channel = ctx.actor.role == Role::kChannel ? "channel_api" : body->value("channel", "");
  ticket.subject = body->value("subject", "");
  ticket.body = body->value("body", "");
  if (body->contains("level")) {
    if (!(*body)["level"].is_number_integer()) {
      return ReplyError(req, res, Invalid("level must be 1 (most urgent) to 4", "level"));
    }
    ticket.level = (*body)["level"].get<int>();
  }
  if (body->contains("order") && !(*body)["order"].is_null()) {
    const json& o = (*body)["order"];
    if (!o.is_number_integer() && !o.is_string()) {
      return ReplyError(req, res, Invalid("order is a number or KS00000042", "order"));
    }
    auto found = FindOrder(o.is_string() ? o.get<std::string>() : std::to_string(o.get<int64_t>()));
    if (!found) return ReplyError(req, res, found.error());
    ticket.order_id = found->id;
  }
  auto opened = store.OpenTicket(ticket, ctx.actor);
  if (!opened) return ReplyError(req, res, opened.error());
  Reply(res, 201, TicketJson(*opened));
}

void ApiServer::Impl::ListTickets(const Context&, const httplib::Request& req,
                                  httplib::Response& res) {
  orders::TicketFilter filter;
  filter.state = req.has_param("state") ? req.get_param_value("state") : std::string("active");
  if (filter.state == "all") filter.state.reset();
  if (req.has_param("order")) {
    const std::string key = req.get_param_value("order");
    auto found = FindOrder(key);
    if (!found) return ReplyError(req, res, found.error());
    filter.order_id = found->id;
  }
  std::optional<int64_t> limit, due_within;
  // a week of minutes is the longest look ahead that means anything for a service clock
  if (!QueryInteger(req, res, "limit", 1, 1000, limit) ||
      !QueryInteger(req, res, "cursor", 1, kMaxId, filter.before_id) ||
      !QueryInteger(req, res, "due_within_minutes", 0, 7 * 24 * 60, due_within)) {
    return;
  }
  if (limit) filter.limit = static_cast<int>(*limit);
  const bool breached_only = req.get_param_value("breached") == "true";
  auto tickets = store.ListTickets(filter);
  if (!tickets) return ReplyError(req, res, tickets.error());
  const int64_t now = orders::NowUnixMs();
  json list = json::array();
  for (const orders::Ticket& t : *tickets) {
    const orders::SlaStatus sla = orders::ComputeSla(t, config.sla, now);
    const bool breached = sla.first_response_breached || sla.resolution_breached;
    if (breached_only && !breached) continue;
    if (due_within) {
      // about to breach: not yet breached, and a clock that runs out within the minutes
      const bool first_soon =
          t.first_response_at.empty() &&
          orders::UnixMsFromIso(sla.first_response_due) - now <= *due_within * 60000;
      const bool resolution_soon =
          !sla.paused && t.resolved_at.empty() && sla.resolution_ms_left <= *due_within * 60000;
      if (breached || !(first_soon || resolution_soon)) continue;
    }
    list.push_back(TicketJson(t));
  }
  json out = {{"tickets", list}};
  out["next_cursor"] = static_cast<int>(tickets->size()) == filter.limit && !tickets->empty()
                           ? json(std::to_string(tickets->back().id))
                           : json(nullptr);
  Reply(res, 200, out);
}

void ApiServer::Impl::GetTicket(const Context& ctx, const httplib::Request& req,
                                httplib::Response& res) {
  const int64_t id = std::stoll(req.matches[1]);
  auto ticket = store.GetTicket(id);
  if (!ticket) return ReplyError(req, res, ticket.error());
  auto log = store.TicketLog(id);
  if (!log) return ReplyError(req, res, log.error());
  json out = TicketJson(*ticket);
  out["allowed_events"] = orders::TicketStateMachine().AllowedEvents(ticket->state, ctx.actor.role);
  out["log"] = json::array();
  for (const orders::TicketEntry& e : *log) {
    out["log"].push_back({{"id", e.id},
                          {"at", e.at},
                          {"author", e.author},
                          {"role", e.role},
                          {"kind", e.kind},
                          {"body", e.body}});
  }
  Reply(res, 200, out);
}

void ApiServer::Impl::TicketMessage(const Context& ctx, const httplib::Request& req,
                                    httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  const bool internal = body->value("internal", false);
  auto ticket = store.AddTicketEntry(std::stoll(req.matches[1]), body->value("body", ""), internal,
                                     ctx.actor);
  if (!ticket) return ReplyError(req, res, ticket.error());
  Reply(res, 200, TicketJson(*ticket));
}

void ApiServer::Impl::TicketTransition(const Context& ctx, const httplib::Request& req,
                                       httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  std::optional<int64_t> version;
  if (!BodyVersion(*body, req, res, version)) return;
  auto ticket = store.TransitionTicket(std::stoll(req.matches[1]), body->value("event", ""),
                                       body->value("reason", ""), ctx.actor, version);
  if (!ticket) return ReplyError(req, res, ticket.error());
  Reply(res, 200, TicketJson(*ticket));
}

void ApiServer::Impl::ListAudit(const Context&, const httplib::Request& req,
                                httplib::Response& res) {
  std::optional<int64_t> before, limit = 100;
  if (!QueryInteger(req, res, "cursor", 1, kMaxId, before) ||
      !QueryInteger(req, res, "limit", 1, 1000, limit)) {
    return;
  }
  auto entries = store.ListAudit(before, static_cast<int>(*limit));
  if (!entries) return ReplyError(req, res, entries.error());
  json list = json::array();
  for (const orders::AuditEntry& e : *entries) {
    list.push_back({{"id", e.id},
                    {"at", e.at},
                    {"actor", e.actor},
                    {"role", e.role},
                    {"action", e.action},
                    {"order", e.order_id ? json(*e.order_id) : json(nullptr)},
                    {"detail", json::parse(e.detail, nullptr, false)},
                    {"peer", e.peer}});
  }
  json out = {{"entries", list}};
  out["next_cursor"] = static_cast<int>(entries->size()) == limit && !entries->empty()
                           ? json(std::to_string(entries->back().id))
                           : json(nullptr);
  Reply(res, 200, out);
}

void ApiServer::Impl::ExportAudit(const Context& ctx, const httplib::Request& req,
                                  httplib::Response& res) {
  if (!Audit(ctx, req, res, "audit.export", std::nullopt, json::object())) return;
  std::string csv = "id,at,actor,role,action,order,detail,peer\n";
  std::optional<int64_t> before;
  for (;;) {
    auto entries = store.ListAudit(before, 1000);
    if (!entries) return ReplyError(req, res, entries.error());
    for (const orders::AuditEntry& e : *entries) {
      csv += std::to_string(e.id) + "," + e.at + "," + CsvCell(e.actor) + "," + e.role + "," +
             e.action + "," + (e.order_id ? std::to_string(*e.order_id) : "") + "," +
             CsvCell(e.detail) + "," + CsvCell(e.peer) + "\n";
    }
    if (entries->size() < 1000) break;
    before = entries->back().id;
  }
  res.set_header("Content-Disposition", "attachment; filename=\"keepsake-audit.csv\"");
  res.status = 200;
  res.set_content(csv, "text/csv; charset=utf-8");
}

void ApiServer::Impl::Purge(const Context& ctx, const httplib::Request& req,
                            httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  const bool everything = body->value("everything", false);
  if (everything && body->value("confirm", "") != "purge every customer") {
    return ReplyError(req, res,
                      Invalid("purging every order's customer data (the end of the contract) "
                              "needs \"confirm\": \"purge every customer\"",
                              "confirm"));
  }
  auto purged = store.PurgeCustomers(body->value("before", ""), everything, ctx.actor);
  if (!purged) return ReplyError(req, res, purged.error());
  spdlog::info("event=customers_purged orders={} customers={}", purged->orders, purged->customers);
  Reply(res, 200,
        {{"orders", purged->orders},
         {"customers", purged->customers},
         {"digest", purged->digest},
         {"at", purged->at}});
}

void ApiServer::Impl::ListWebhooks(const Context&, const httplib::Request& req,
                                   httplib::Response& res) {
  std::optional<int64_t> limit = 100;
  if (!QueryInteger(req, res, "limit", 1, 1000, limit)) return;
  auto messages = store.ListNotifications(req.get_param_value("state"), static_cast<int>(*limit));
  if (!messages) return ReplyError(req, res, messages.error());
  json list = json::array();
  for (const orders::OutboxMessage& m : *messages) {
    list.push_back(
        {{"event_id", m.event_id},
         {"type", m.kind},
         {"created_at", m.at},
         {"state", m.state},
         {"attempts", m.attempts},
         {"next_attempt_at",
          m.state == "pending" ? json(orders::IsoFromUnixMs(m.next_attempt_ms)) : json(nullptr)},
         {"last_error", m.last_error},
         {"body", json::parse(m.body, nullptr, false)}});
  }
  Reply(res, 200,
        {{"webhook_url_configured", !config.webhook_url.empty()}, {"notifications", list}});
}

json ApiServer::Impl::ClaimJson(const orders::Claim& c, Role viewer) {
  json evidence = json::array();
  auto jobs = store.JobsForItem(c.item_id);
  for (const std::string& asset : c.evidence) {
    json photo = {{"asset", asset}, {"check", "queued"}};
    if (jobs) {
      for (const orders::Job& job : *jobs) {
        const json params = json::parse(job.params, nullptr, false);
        if (job.kind != "inspect_evidence" || job.asset_id != asset || !params.is_object() ||
            params.value("claim", int64_t{0}) != c.id) {
          continue;
        }
        if (job.state == "succeeded") {
          const json result = json::parse(job.result, nullptr, false);
          photo["check"] = "readable";
          if (result.is_object()) {
            photo["width_px"] = result.value("width_px", 0);
            photo["height_px"] = result.value("height_px", 0);
          }
        } else if (job.state == "failed" || job.state == "dead") {
          photo["check"] = "unreadable";
          photo["reason"] = job.error;
        }
      }
    }
    evidence.push_back(photo);
  }
  return {{"id", c.id},
          {"order", c.order_number},
          {"item", c.item_id},
          {"reason", c.reason},
          {"description", c.description},
          {"evidence", evidence},
          {"state", c.state},
          {"override_reason", c.override_reason},
          {"decision_note", c.decision_note},
          {"refund_cents", c.refund_cents},
          {"refund_reference", c.refund_reference},
          {"reprint_order",
           c.reprint_order_id ? json(orders::OrderNumber(*c.reprint_order_id)) : json(nullptr)},
          {"opened_by", c.opened_by},
          {"created_at", c.created_at},
          {"updated_at", c.updated_at},
          {"version", c.version},
          {"allowed_events", orders::ClaimStateMachine().AllowedEvents(c.state, viewer)}};
}

void ApiServer::Impl::OpenClaim(const Context& ctx, const httplib::Request& req,
                                httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  if (!body->contains("item") || !(*body)["item"].is_number_integer()) {
    return ReplyError(req, res, Invalid("item is required (the item's id)", "item"));
  }
  orders::NewClaim claim;
  claim.item_id = (*body)["item"].get<int64_t>();
  claim.reason = body->value("reason", "");
  claim.description = body->value("description", "");
  claim.override_reason = body->value("override_reason", "");
  if (body->contains("evidence")) {
    const json& evidence = (*body)["evidence"];
    if (!evidence.is_array()) {
      return ReplyError(req, res, Invalid("evidence is a list of photo asset ids", "evidence"));
    }
    for (const json& e : evidence) {
      if (!e.is_string()) {
        return ReplyError(req, res, Invalid("evidence is a list of photo asset ids", "evidence"));
      }
      claim.evidence.push_back(e.get<std::string>());
    }
  }
  auto opened = store.OpenClaim(claim, ctx.actor, config.sla.claim_window_days);
  if (!opened) return ReplyError(req, res, opened.error());
  Reply(res, 201, ClaimJson(*opened, ctx.actor.role));
}

void ApiServer::Impl::ListClaims(const Context& ctx, const httplib::Request& req,
                                 httplib::Response& res) {
  int64_t order_id = 0;
  if (req.has_param("order")) {
    const std::string key = req.get_param_value("order");
    auto found = FindOrder(key);
    if (!found) return ReplyError(req, res, found.error());
    order_id = found->id;
  }
  auto claims = store.ListClaims(order_id, req.get_param_value("state"), 200);
  if (!claims) return ReplyError(req, res, claims.error());
  json list = json::array();
  for (const orders::Claim& c : *claims) list.push_back(ClaimJson(c, ctx.actor.role));
  Reply(res, 200, {{"claims", list}});
}

void ApiServer::Impl::GetClaim(const Context& ctx, const httplib::Request& req,
                               httplib::Response& res) {
  auto claim = store.GetClaim(std::stoll(req.matches[1]));
  if (!claim) return ReplyError(req, res, claim.error());
  Reply(res, 200, ClaimJson(*claim, ctx.actor.role));
}

void ApiServer::Impl::DecideClaim(const Context& ctx, const httplib::Request& req,
                                  httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  orders::ClaimDecision decision;
  decision.event = body->value("event", "");
  decision.note = body->value("note", "");
  decision.refund_reference = body->value("refund_reference", "");
  if (body->contains("refund_cents")) {
    if (!(*body)["refund_cents"].is_number_integer()) {
      return ReplyError(req, res,
                        Invalid("refund_cents is a whole number of cents", "refund_cents"));
    }
    decision.refund_cents = (*body)["refund_cents"].get<int64_t>();
  }
  if (!BodyVersion(*body, req, res, decision.expected_version)) return;
  auto claim = store.DecideClaim(std::stoll(req.matches[1]), decision, ctx.actor);
  if (!claim) return ReplyError(req, res, claim.error());
  Reply(res, 200, ClaimJson(*claim, ctx.actor.role));
}

// ?month=2026-11 [&format=json|csv|png]
void ApiServer::Impl::MonthlyReport(const Context&, const httplib::Request& req,
                                    httplib::Response& res) {
  auto report = store.BuildMonthlyReport(req.get_param_value("month"));
  if (!report) return ReplyError(req, res, report.error());
  const std::string format = req.has_param("format") ? req.get_param_value("format") : "json";
  res.status = 200;
  if (format == "csv") {
    res.set_header("Content-Disposition",
                   "attachment; filename=\"keepsake-" + report->month + ".csv\"");
    res.set_content(MonthlyReportCsv(*report), "text/csv; charset=utf-8");
  } else if (format == "png") {
    res.set_content(MonthlyReportChartPng(*report), "image/png");
  } else if (format == "json") {
    res.set_content(MonthlyReportJson(*report), "application/json");
  } else {
    ReplyError(req, res,
               orders::Error{orders::Errc::kInvalidArgument,
                             "format is json, csv or png",
                             "format",
                             {"json", "csv", "png"}});
  }
}

// {"address": {...}, "reason": "..."}: before packing; audited, since it writes personal data
void ApiServer::Impl::ChangeAddress(const Context& ctx, const httplib::Request& req,
                                    httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  if (!body->contains("address") || !(*body)["address"].is_object()) {
    return ReplyError(req, res, Invalid("address is required (an object)", "address"));
  }
  const json& a = (*body)["address"];
  orders::Address address;
  for (const auto& [field, value] :
       {std::pair<const char*, std::string*>{"province", &address.province},
        {"city", &address.city},
        {"district", &address.district},
        {"street", &address.street},
        {"detail", &address.detail}}) {
    if (a.contains(field) && !a[field].is_string()) {
      return ReplyError(req, res,
                        Invalid(std::string("address.") + field + " must be a string",
                                std::string("address.") + field));
    }
    *value = a.value(field, "");
    if (auto why = UnprintableCharacterIn(*value)) {
      return ReplyError(
          req, res,
          Invalid(std::string("address.") + field + " cannot be printed on a label: " + *why,
                  std::string("address.") + field));
    }
  }
  const std::string reason = body->value("reason", "");  // checked in Body()
  auto order = LoadOrder(req, res);
  if (!order) return;
  auto changed = store.ChangeAddress(order->id, address, reason, ctx.actor);
  if (!changed) return ReplyError(req, res, changed.error());
  if (!Audit(ctx, req, res, "customer.address_change", order->id, {{"reason", reason}})) return;
  Reply(res, 200, api_json::OrderJson(*changed, ctx.actor.role));
}

void ApiServer::Impl::AddOrderNote(const Context& ctx, const httplib::Request& req,
                                   httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  const std::string note = body->value("note", "");  // checked in Body()
  auto order = LoadOrder(req, res);
  if (!order) return;
  auto added = store.AddOrderNote(order->id, note, ctx.actor);
  if (!added) return ReplyError(req, res, added.error());
  Reply(res, 201, api_json::EventJson(*added));
}

json ApiServer::Impl::ShipmentJson(const orders::Shipment& s) {
  return {{"id", s.id},
          {"order", s.order_number},
          {"carrier", s.carrier},
          {"tracking_number", s.tracking_number},
          {"state", s.state},
          {"reshipment", s.reshipment},
          {"weight_g", s.weight_g},
          {"size_mm", s.size_mm},
          {"created_by", s.created_by},
          {"created_at", s.created_at},
          {"updated_at", s.updated_at},
          {"version", s.version},
          {"last_scan_at", s.last_scan_at.empty() ? json(nullptr) : json(s.last_scan_at)}};
}

// {"carrier": "simulated"} or {"carrier": "manual", "tracking_number": "SF1234567890"}, with
// "weight_g" and "size_mm" ("300x200x100") when known
void ApiServer::Impl::CreateShipment(const Context& ctx, const httplib::Request& req,
                                     httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  auto order = LoadOrder(req, res);
  if (!order) return;
  const std::string& state = order->state;
  if (state != "ready_to_pack" && state != "packed" && state != "shipped" &&
      state != "delivery_exception") {
    return ReplyError(req, res,
                      orders::Error{orders::Errc::kIllegalTransition,
                                    "order " + order->number + " is " + state +
                                        ": parcels are made once production is done",
                                    "state",
                                    {}});
  }
  const std::string name = body->value("carrier", "");
  auto carrier = logistics::MakeCarrier(name);
  if (!carrier) {
    return ReplyError(
        req, res,
        orders::Error{orders::Errc::kInvalidArgument, "unknown carrier '" + name + "'", "carrier",
                      logistics::CarrierNames()});
  }
  std::string number = body->value("tracking_number", "");
  if (number.empty()) {
    auto shipments = store.ShipmentsOfOrder(order->id);
    auto issued = carrier->IssueWaybill(order->number,
                                        shipments ? static_cast<int>(shipments->size()) + 1 : 1);
    if (!issued) return ReplyError(req, res, Invalid(issued.error(), "tracking_number"));
    number = *issued;
  }
  if (auto valid = carrier->CheckWaybill(number); !valid) {
    return ReplyError(req, res, Invalid(valid.error(), "tracking_number"));
  }
  orders::NewShipment shipment{order->id, name, number, 0, ""};
  if (body->contains("weight_g")) {
    if (!(*body)["weight_g"].is_number_integer() || (*body)["weight_g"].get<int64_t>() <= 0 ||
        (*body)["weight_g"].get<int64_t>() > 100000) {
      return ReplyError(req, res, Invalid("weight_g is grams, 1 to 100000", "weight_g"));
    }
    shipment.weight_g = (*body)["weight_g"].get<int>();
  }
  shipment.size_mm = body->value("size_mm", "");
  static const std::regex size(R"(\d{1,4}x\d{1,4}x\d{1,4})");
  if (!shipment.size_mm.empty() && !std::regex_match(shipment.size_mm, size)) {
    return ReplyError(req, res, Invalid("size_mm is LxWxH in mm, e.g. 300x200x100", "size_mm"));
  }
  auto created = store.CreateShipment(shipment, ctx.actor);
  if (!created) return ReplyError(req, res, created.error());
  Reply(res, 201, ShipmentJson(*created));
}

void ApiServer::Impl::OrderShipments(const Context&, const httplib::Request& req,
                                     httplib::Response& res) {
  auto order = LoadOrder(req, res);
  if (!order) return;
  auto shipments = store.ShipmentsOfOrder(order->id);
  if (!shipments) return ReplyError(req, res, shipments.error());
  json list = json::array();
  for (const orders::Shipment& s : *shipments) list.push_back(ShipmentJson(s));
  Reply(res, 200, {{"order", order->number}, {"shipments", list}});
}

// A carrier aggregator's push: {"carrier": "manual", "tracking_number": "SF...", "events":
// [{"id": "...", "time": "2026-11-23T10:00:00Z", "kuaidi100_state": 0 | "tag": "InTransit",
// "description": "..."}]}, signed: X-Keepsake-Tracking-Signature = hex HMAC-SHA256(secret,
// body). Duplicates and late scans are no-ops; an unknown waybill is a 404 and changes nothing.
void ApiServer::Impl::TrackingPush(const Context&, const httplib::Request& req,
                                   httplib::Response& res) {
  if (config.tracking_secret.empty()) {
    return ReplyProblem(req, res,
                        ToProblem(ApiErrc::kForbidden,
                                  "tracking pushes are not configured on this server "
                                  "(--tracking-secret-file)"));
  }
  const std::string expected = HmacSha256Hex(config.tracking_secret, req.body);
  const std::string given = req.get_header_value("X-Keepsake-Tracking-Signature");
  if (given.size() != expected.size() ||
      CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0) {
    return ReplyProblem(req, res,
                        ToProblem(ApiErrc::kUnauthenticated,
                                  "the push's X-Keepsake-Tracking-Signature does not match its "
                                  "body"));
  }
  auto body = Body(req, res, true);
  if (!body) return;
  const std::string carrier = body->value("carrier", "");
  const std::string number = body->value("tracking_number", "");
  if (!body->contains("events") || !(*body)["events"].is_array() ||
      (*body)["events"].size() > 500) {
    return ReplyError(req, res, Invalid("events is a list of at most 500 scans", "events"));
  }
  std::vector<orders::TrackingEvent> events;
  int skipped = 0;
  for (size_t k = 0; k < (*body)["events"].size(); ++k) {
    const json& e = (*body)["events"][k];
    const std::string at = "events[" + std::to_string(k) + "]";
    if (!e.is_object() || !e.contains("id") || !e["id"].is_string() ||
        e["id"].get<std::string>().empty() || e["id"].get<std::string>().size() > 100) {
      return ReplyError(req, res, Invalid(at + ".id is required (1-100 characters)", at + ".id"));
    }
    const std::string time = e.value("time", "");
    if (orders::UnixMsFromIso(time) < 0) {
      return ReplyError(req, res,
                        Invalid(at + ".time must be UTC like 2026-11-23T10:00:00Z", at + ".time"));
    }
    std::optional<std::string> status;
    std::string code;
    if (e.contains("kuaidi100_state") && e["kuaidi100_state"].is_number_integer()) {
      code = std::to_string(e["kuaidi100_state"].get<int>());
      status = logistics::StatusFromKuaidi100(e["kuaidi100_state"].get<int>());
    } else if (e.contains("tag") && e["tag"].is_string()) {
      code = e["tag"].get<std::string>();
      status = logistics::StatusFromAfterShipTag(code);
    }
    if (!status) {
      return ReplyError(req, res,
                        Invalid(at + " has no status Keepsake knows: kuaidi100_state 0-14 or an "
                                     "AfterShip tag",
                                at));
    }
    if (status->empty()) {  // information only (InfoReceived, Pending)
      ++skipped;
      continue;
    }
    events.push_back({e["id"].get<std::string>(),
                      orders::IsoFromUnixMs(orders::UnixMsFromIso(time)), *status, code,
                      e.value("description", "").substr(0, 500)});
  }
  auto outcome = store.ApplyTracking(carrier, number, events, logistics::TrackingRules());
  if (!outcome) return ReplyError(req, res, outcome.error());
  Reply(res, 200,
        {{"shipment", outcome->shipment_id},
         {"recorded", outcome->recorded},
         {"duplicates", outcome->duplicates},
         {"informational", skipped},
         {"shipment_state", outcome->shipment_state},
         {"order_state", outcome->order_state}});
}

// {"event": "print_label" | "hand_over", "version": 3}
void ApiServer::Impl::ShipmentTransition(const Context& ctx, const httplib::Request& req,
                                         httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  std::optional<int64_t> version;
  if (!BodyVersion(*body, req, res, version)) return;
  auto shipment = store.TransitionShipment(std::stoll(req.matches[1]), body->value("event", ""),
                                           ctx.actor, version, logistics::DecideShipmentEvent);
  if (!shipment) return ReplyError(req, res, shipment.error());
  Reply(res, 200, ShipmentJson(*shipment));
}

// The simulated carrier's scans for a parcel, as if its aggregator had pushed them:
// {"ending": "delivered" | "exception" | "attempt_failed"}. For the demo and for trying the
// tracking flow without a courier.
void ApiServer::Impl::SimulateTracking(const Context&, const httplib::Request& req,
                                       httplib::Response& res) {
  auto body = Body(req, res, false);
  if (!body) return;
  const std::string ending = body->value("ending", "delivered");
  if (ending != "delivered" && ending != "exception" && ending != "attempt_failed") {
    return ReplyError(req, res,
                      orders::Error{orders::Errc::kInvalidArgument,
                                    "ending is delivered, exception or attempt_failed",
                                    "ending",
                                    {"delivered", "exception", "attempt_failed"}});
  }
  auto shipment = store.GetShipment(std::stoll(req.matches[1]));
  if (!shipment) return ReplyError(req, res, shipment.error());
  if (shipment->carrier != "simulated") {
    return ReplyError(req, res,
                      Invalid("only parcels of the simulated carrier are simulated; this one is " +
                                  shipment->carrier,
                              "carrier"));
  }
  auto outcome =
      store.ApplyTracking(shipment->carrier, shipment->tracking_number,
                          logistics::SimulatedScans(shipment->id, ending, orders::NowUnixMs()),
                          logistics::TrackingRules());
  if (!outcome) return ReplyError(req, res, outcome.error());
  Reply(res, 200,
        {{"shipment", outcome->shipment_id},
         {"recorded", outcome->recorded},
         {"shipment_state", outcome->shipment_state},
         {"order_state", outcome->order_state}});
}

void ApiServer::Impl::PrintLabels(const Context& ctx, const httplib::Request& req,
                                  httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  if (!body->contains("shipments") || !(*body)["shipments"].is_array() ||
      (*body)["shipments"].empty() || (*body)["shipments"].size() > 1000) {
    return ReplyError(req, res,
                      Invalid("shipments is a list of 1 to 1000 parcel ids", "shipments"));
  }
  LabelRequest request;
  for (const json& id : (*body)["shipments"]) {
    if (!id.is_number_integer()) {
      return ReplyError(req, res, Invalid("parcel ids are numbers", "shipments"));
    }
    request.shipments.push_back(id.get<int64_t>());
  }
  for (const char* field : {"size", "format"}) {
    if (body->contains(field) && !(*body)[field].is_string()) {
      return ReplyError(req, res, Invalid(std::string(field) + " is a string", field));
    }
  }
  if (body->contains("dpi") && !(*body)["dpi"].is_number_integer()) {
    return ReplyError(req, res, Invalid("dpi is 203 or 300", "dpi"));
  }
  request.size = body->value("size", "100x150");
  request.format = body->value("format", "pdf");
  request.dpi = body->value("dpi", 203);
  auto printed = PrintLabelBatch(store, catalog, config.assets_dir, request, ctx.actor);
  if (!printed) return ReplyError(req, res, printed.error());
  res.set_header("X-Keepsake-Batch", printed->batch);
  if (!printed->failed.empty()) {
    // the file holds the labels that could be made; these parcels were left out (and stay
    // unprinted), each with its reason, ASCII-escaped for a header
    json failed = json::array();
    for (const LabelFailure& f : printed->failed) {
      failed.push_back({{"shipment", f.shipment}, {"reason", f.reason}});
    }
    res.set_header("X-Keepsake-Failed", failed.dump(-1, ' ', true));
  }
  res.set_header("Content-Disposition", "attachment; filename=\"labels-" + printed->batch + "." +
                                            printed->extension + "\"");
  res.status = 200;
  res.set_content(printed->bytes, printed->content_type);
}

// {"orders": ["KS00000042", 43, ...]}: one PDF, a packing slip per order
void ApiServer::Impl::PrintPackingSlips(const Context&, const httplib::Request& req,
                                        httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  if (!body->contains("orders") || !(*body)["orders"].is_array() || (*body)["orders"].empty() ||
      (*body)["orders"].size() > 500) {
    return ReplyError(req, res,
                      Invalid("orders is a list of 1 to 500 order numbers or ids", "orders"));
  }
  std::vector<int64_t> ids;
  for (const json& key : (*body)["orders"]) {
    if (!key.is_string() && !key.is_number_integer()) {
      return ReplyError(req, res, Invalid("orders are numbers (KS00000042) or ids", "orders"));
    }
    auto found =
        FindOrder(key.is_string() ? key.get<std::string>() : std::to_string(key.get<int64_t>()));
    if (!found) return ReplyError(req, res, found.error());
    ids.push_back(found->id);
  }
  auto pdf = keepsake::services::PrintPackingSlips(store, catalog, config.assets_dir,
                                                   config.data_dir, ids);
  if (!pdf) return ReplyError(req, res, pdf.error());
  res.set_header("Content-Disposition", "attachment; filename=\"packing-slips.pdf\"");
  res.status = 200;
  res.set_content(*pdf, "application/pdf");
}

// The lead's work list: orders to pack (and packed ones not yet handed over), the longest
// waiting first, with their parcels and what is left to do on each.
void ApiServer::Impl::PackingQueue(const Context&, const httplib::Request& req,
                                   httplib::Response& res) {
  std::optional<int64_t> limit = 500;
  if (!QueryInteger(req, res, "limit", 1, 2000, limit)) return;
  auto queue = store.PackingQueue(static_cast<int>(*limit));
  if (!queue) return ReplyError(req, res, queue.error());
  const int64_t now = orders::UnixMsFromIso(orders::NowUtcIso());
  json list = json::array();
  for (const orders::PackingQueueEntry& entry : *queue) {
    json row = {{"order", entry.order.number},
                {"id", entry.order.id},
                {"state", entry.order.state},
                {"version", entry.order.version},
                {"ready_since", entry.ready_since},
                {"waiting_hours", (now - orders::UnixMsFromIso(entry.ready_since)) / 3'600'000},
                {"items", json::array()},
                {"parcels", json::array()}};
    for (const orders::Item& item : entry.order.items) {
      const orders::Product* product = catalog.Find(item.product);
      row["items"].push_back({{"id", item.id},
                              {"product", item.product},
                              {"title", product != nullptr ? product->title : item.product},
                              {"state", item.state}});
    }
    int unprinted = 0;
    for (const orders::Shipment& parcel : entry.parcels) {
      row["parcels"].push_back(ShipmentJson(parcel));
      if (parcel.state == "created") ++unprinted;
    }
    // the next step, so that the list reads as a to-do list
    row["next"] = entry.parcels.empty()                  ? "create a parcel"
                  : unprinted > 0                        ? "print labels"
                  : entry.order.state == "ready_to_pack" ? "pack"
                                                         : "hand over";
    list.push_back(std::move(row));
  }
  Reply(res, 200, json{{"orders", list}, {"count", list.size()}});
}

// Parcels that need the lead: needing a person (exception, attempt_failed, returned,
// expired) or too long in a state (assets/logistics.json, stuck_after_hours); oldest first.
void ApiServer::Impl::StuckShipments(const Context&, const httplib::Request& req,
                                     httplib::Response& res) {
  std::ifstream settings(config.assets_dir + "/logistics.json");
  std::stringstream text;
  text << settings.rdbuf();
  const logistics::StuckLimits limits = logistics::StuckLimitsFromJson(text.str());
  auto parcels = store.UndeliveredShipments(100000);
  if (!parcels) return ReplyError(req, res, parcels.error());
  const int64_t now = orders::UnixMsFromIso(orders::NowUtcIso());
  json list = json::array();
  std::map<std::string, int> by_state;
  for (const orders::Shipment& parcel : *parcels) {
    const auto reason = logistics::StuckReason(parcel, now, limits);
    if (!reason) continue;
    json row = ShipmentJson(parcel);
    row["stuck"] = *reason;
    list.push_back(std::move(row));
    ++by_state[parcel.state];
  }
  Reply(res, 200, json{{"shipments", list}, {"count", list.size()}, {"by_state", by_state}});
}

}  // namespace keepsake::services
