// Customer service: the order overview an agent works from, tickets with their service levels,
// and the audited reveal of one personal field (for a reason, tied to an open ticket).
#include "http/api_json.hpp"
#include "http/handlers.hpp"
#include "http/routes/routes.hpp"
#include "keepsake/logistics/labels.hpp"
#include "keepsake/orders/sla.hpp"
#include "keepsake/orders/state_machine.hpp"
#include "keepsake/services/asset_files.hpp"
#include "keepsake/services/item_pictures.hpp"

namespace keepsake::services {

namespace {

class SupportHandlers : public Handlers {
 public:
  using Handlers::Handlers;
  void OrderOverview(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void RevealCustomer(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void OpenTicket(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void ListTickets(const Context&, const httplib::Request& req, httplib::Response& res);
  void GetTicket(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void TicketMessage(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void TicketTransition(const Context& ctx, const httplib::Request& req, httplib::Response& res);
};

void SupportHandlers::OrderOverview(const Context& ctx, const httplib::Request& req,
                                    httplib::Response& res) {
  auto order = LoadOrder(req, res);
  if (!order) return;
  json out = api_json::OrderJson(*order, ctx.actor.role);
  out["allowed_events"] = orders::OrderStateMachine().AllowedEvents(order->state, ctx.actor.role);
  out["address_changeable"] = orders::AddressChangeable(*order);
  // each item's newest preview, so the agent sees what the customer will get
  for (json& item : out["items"]) {
    const std::string preview = NewestPreviewAsset(store, item["id"].get<int64_t>());
    item["preview"] = preview.empty() ? json(nullptr) : json(preview);
  }
  auto events = store.Orders().OrderEvents(order->id);
  if (!events) return ReplyError(req, res, events.error());
  out["timeline"] = json::array();
  for (const orders::Event& e : *events) out["timeline"].push_back(api_json::EventJson(e));
  orders::TicketFilter filter;
  filter.order_id = order->id;
  filter.limit = 100;
  auto tickets = store.Tickets().ListTickets(filter);
  if (!tickets) return ReplyError(req, res, tickets.error());
  out["tickets"] = json::array();
  for (const orders::Ticket& t : *tickets) out["tickets"].push_back(TicketJson(t));
  auto claims = store.Claims().ListClaims(order->id, "", 100);
  if (!claims) return ReplyError(req, res, claims.error());
  out["claims"] = json::array();
  for (const orders::Claim& c : *claims) out["claims"].push_back(ClaimJson(c, ctx.actor.role));
  auto shipments = shipping.ShipmentsOfOrder(order->id);
  if (!shipments) return ReplyError(req, res, shipments.error());
  out["shipments"] = json::array();
  for (const logistics::Shipment& s : *shipments)
    out["shipments"].push_back(api_json::ShipmentJson(s));
  // the caller's other orders (the same phone), newest first, each with its open tickets: an
  // agent on the phone sees what else the caller may be asking about
  orders::OrderFilter same;
  same.same_customer_as = order->id;
  same.limit = 20;
  auto others = store.Orders().ListOrders(same);
  if (!others) return ReplyError(req, res, others.error());
  out["other_orders"] = json::array();
  for (const orders::Order& o : others->orders) {
    orders::TicketFilter open;
    open.order_id = o.id;
    open.limit = 20;
    auto theirs = store.Tickets().ListTickets(open);
    if (!theirs) return ReplyError(req, res, theirs.error());
    int64_t open_tickets = 0;
    for (const orders::Ticket& t : *theirs) {
      open_tickets += t.state != "resolved" && t.state != "closed" ? 1 : 0;
    }
    json products = json::array();
    for (const orders::Item& item : o.items) products.push_back(item.product);
    out["other_orders"].push_back({{"number", o.number},
                                   {"state", o.state},
                                   {"created_at", o.created_at},
                                   {"products", products},
                                   {"open_tickets", open_tickets}});
  }
  Reply(res, 200, out);
}
void SupportHandlers::RevealCustomer(const Context& ctx, const httplib::Request& req,
                                     httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  const std::string field = body->value("field", "");
  const std::string reason = body->value("reason", "");
  if (field != "name" && field != "phone" && field != "address") {
    return ReplyInvalid(req, res, "field must be name, phone or address: one field at a time",
                        "field", {"name", "phone", "address"});
  }
  if (reason.size() < 10 || reason.size() > 500) {
    return ReplyInvalid(req, res, "say why you need it (10-500 bytes)", "reason");
  }
  // the open ticket this is for, or {"subject": "..."}: a new phone ticket for the call, opened
  // only once everything else about the reveal holds (a refused reveal leaves no ticket)
  const bool new_ticket = body->contains("ticket") && (*body)["ticket"].is_object();
  if (!body->contains("ticket") || (!(*body)["ticket"].is_number_integer() && !new_ticket) ||
      (new_ticket && !(*body)["ticket"].value("subject", json()).is_string())) {
    return ReplyInvalid(req, res,
                        "ticket is required: the open ticket this is for, or {\"subject\": "
                        "\"...\"} to open a phone ticket for the call",
                        "ticket");
  }
  auto order = LoadOrder(req, res);
  if (!order) return;
  if (!order->customer) {
    return ReplyError(req, res,
                      orders::Error{orders::Errc::kNotFound,
                                    "the customer's data of order " + order->number + " was purged",
                                    "",
                                    {}});
  }
  orders::Result<orders::Ticket> ticket = orders::Ticket{};
  if (new_ticket) {
    orders::NewTicket call;
    call.type = "query";
    call.channel = "phone";
    call.level = 3;
    call.order_id = order->id;
    call.subject = (*body)["ticket"]["subject"].get<std::string>();
    if (call.subject.empty()) call.subject = order->number;
    ticket = store.Tickets().OpenTicket(call, ctx.actor);
    if (!ticket) return ReplyError(req, res, ticket.error());
  } else {
    ticket = store.Tickets().GetTicket((*body)["ticket"].get<int64_t>());
    if (!ticket) return ReplyError(req, res, ticket.error());
    const bool active = ticket->state == "open" || ticket->state == "pending_customer" ||
                        ticket->state == "pending_internal";
    if (ticket->order_id != order->id || !active) {
      return ReplyInvalid(req, res,
                          "ticket " + std::to_string(ticket->id) +
                              " is not an open ticket about order " + order->number,
                          "ticket");
    }
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
  Reply(res, 200,
        {{"order", order->number}, {"field", field}, {"value", value}, {"ticket", ticket->id}});
}
void SupportHandlers::OpenTicket(const Context& ctx, const httplib::Request& req,
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
      return ReplyInvalid(req, res, "level must be 1 (most urgent) to 4", "level");
    }
    ticket.level = (*body)["level"].get<int>();
  }
  if (body->contains("order") && !(*body)["order"].is_null()) {
    const json& o = (*body)["order"];
    if (!o.is_number_integer() && !o.is_string()) {
      return ReplyInvalid(req, res, "order is a number or KS00000042", "order");
    }
    auto found = FindOrder(o.is_string() ? o.get<std::string>() : std::to_string(o.get<int64_t>()));
    if (!found) return ReplyError(req, res, found.error());
    ticket.order_id = found->id;
  }
  auto opened = store.Tickets().OpenTicket(ticket, ctx.actor);
  if (!opened) return ReplyError(req, res, opened.error());
  Reply(res, 201, TicketJson(*opened));
}
void SupportHandlers::ListTickets(const Context&, const httplib::Request& req,
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
  auto tickets = store.Tickets().ListTickets(filter);
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
void SupportHandlers::GetTicket(const Context& ctx, const httplib::Request& req,
                                httplib::Response& res) {
  const int64_t id = std::stoll(req.matches[1]);
  auto ticket = store.Tickets().GetTicket(id);
  if (!ticket) return ReplyError(req, res, ticket.error());
  auto log = store.Tickets().TicketLog(id);
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
void SupportHandlers::TicketMessage(const Context& ctx, const httplib::Request& req,
                                    httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  const bool internal = body->value("internal", false);
  auto ticket = store.Tickets().AddTicketEntry(std::stoll(req.matches[1]), body->value("body", ""),
                                               internal, ctx.actor);
  if (!ticket) return ReplyError(req, res, ticket.error());
  Reply(res, 200, TicketJson(*ticket));
}
void SupportHandlers::TicketTransition(const Context& ctx, const httplib::Request& req,
                                       httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  std::optional<int64_t> version;
  if (!BodyVersion(*body, req, res, version)) return;
  auto ticket =
      store.Tickets().TransitionTicket(std::stoll(req.matches[1]), body->value("event", ""),
                                       body->value("reason", ""), ctx.actor, version);
  if (!ticket) return ReplyError(req, res, ticket.error());
  Reply(res, 200, TicketJson(*ticket));
}

}  // namespace

std::vector<Route> SupportRoutes() {
  using H = SupportHandlers;
  return {
      {"GET",
       "/api/v1/orders/([A-Za-z0-9]{1,32})/overview",
       "/api/v1/orders/{id}/overview",
       {kCs, kAdmin},
       Call<H, &H::OrderOverview>},
      {"POST",
       "/api/v1/orders/([A-Za-z0-9]{1,32})/reveal",
       "/api/v1/orders/{id}/reveal",
       {kCs},
       Call<H, &H::RevealCustomer>},
      {"POST",
       "/api/v1/tickets",
       "/api/v1/tickets",
       {kCs, kAdmin, kChannel},
       Call<H, &H::OpenTicket>},
      {"GET", "/api/v1/tickets", "/api/v1/tickets", {kCs, kAdmin}, Call<H, &H::ListTickets>},
      {"GET",
       "/api/v1/tickets/([0-9]{1,18})",
       "/api/v1/tickets/{id}",
       {kCs, kAdmin},
       Call<H, &H::GetTicket>},
      {"POST",
       "/api/v1/tickets/([0-9]{1,18})/messages",
       "/api/v1/tickets/{id}/messages",
       {kCs, kAdmin, kChannel},
       Call<H, &H::TicketMessage>},
      {"POST",
       "/api/v1/tickets/([0-9]{1,18})/transitions",
       "/api/v1/tickets/{id}/transitions",
       {kCs, kAdmin, kChannel, kModeler, kLogistics, kProduction},
       Call<H, &H::TicketTransition>},
  };
}

}  // namespace keepsake::services
