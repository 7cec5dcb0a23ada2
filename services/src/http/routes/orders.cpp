// Orders: placed by a channel (idempotent), listed and searched (a search by personal data is
// audited and rate limited), moved along their state machine, re-addressed, annotated.
#include <algorithm>
#include "http/api_json.hpp"
#include "http/edge_checks.hpp"
#include "http/handlers.hpp"
#include "http/routes/routes.hpp"
#include "keepsake/orders/crypto.hpp"
#include "keepsake/services/job_runner.hpp"

namespace keepsake::services {

namespace {

class OrderHandlers : public Handlers {
 public:
  using Handlers::Handlers;
  void CreateOrder(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void ListOrders(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void GetOrder(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void OrderEvents(const Context&, const httplib::Request& req, httplib::Response& res);
  void OrderEvent(const Context& ctx, const httplib::Request& req, httplib::Response& res,
                  const std::string& fixed_event);
  void ChangeAddress(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void AddOrderNote(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void CancelOrder(const Context& c, const httplib::Request& q, httplib::Response& r) {
    OrderEvent(c, q, r, "cancel");
  }
  void HoldOrder(const Context& c, const httplib::Request& q, httplib::Response& r) {
    OrderEvent(c, q, r, "hold");
  }
  void ResumeOrder(const Context& c, const httplib::Request& q, httplib::Response& r) {
    OrderEvent(c, q, r, "resume");
  }
  void OrderTransition(const Context& c, const httplib::Request& q, httplib::Response& r) {
    OrderEvent(c, q, r, "");
  }
};

void OrderHandlers::CreateOrder(const Context& ctx, const httplib::Request& req,
                                httplib::Response& res) {
  const std::string key = req.get_header_value("Idempotency-Key");
  if (key.empty() || key.size() > 255 ||
      std::any_of(key.begin(), key.end(), [](char c) { return c < 0x21 || c > 0x7e; })) {
    return ReplyProblem(req, res,
                        ToProblem(ApiErrc::kMissingHeader,
                                  "POST /api/v1/orders needs an Idempotency-Key header of 1-255 "
                                  "visible ASCII characters",
                                  "Idempotency-Key"));
  }
  auto body = Body(req, res, true);
  if (!body) return;
  auto order = api_json::ParseNewOrder(*body);
  if (!order) return ReplyInvalid(req, res, order.error().message, order.error().field);

  // Requests with the same key running at once: the first proceeds, the others get 409.
  const std::string scoped = ctx.actor.name + "\n" + key;
  {
    std::lock_guard<std::mutex> lock(api.inflight_mutex);
    if (!api.inflight_keys.insert(scoped).second) {
      return ReplyError(req, res,
                        orders::Error{orders::Errc::kIdempotencyInFlight,
                                      "a request with this Idempotency-Key is still being "
                                      "processed; retry in a moment",
                                      "Idempotency-Key",
                                      {}});
    }
  }
  struct Release {
    ApiState* state;
    std::string key;
    ~Release() {
      std::lock_guard<std::mutex> lock(state->inflight_mutex);
      state->inflight_keys.erase(key);
    }
  } release{&api, scoped};

  // The hash is of the canonical JSON (sorted keys, no spaces): formatting does not matter.
  const orders::IdempotencyKey idem{ctx.actor.name, key, orders::Sha256Hex(body->dump())};
  const Role viewer = ctx.actor.role;
  auto created = store.Orders().CreateOrder(
      *order, catalog, ctx.actor, idem,
      [&](const orders::Order& o) { return api_json::OrderJson(o, viewer).dump(); });
  if (!created) return ReplyError(req, res, created.error());
  if (created->replayed) res.set_header("Idempotent-Replayed", "true");
  res.set_header("Location", "/api/v1/orders/" + std::to_string(created->order.id));
  res.status = 201;
  res.set_content(created->response, "application/json");
  if (!created->replayed && runner != nullptr) runner->Wake();
}
void OrderHandlers::ListOrders(const Context& ctx, const httplib::Request& req,
                               httplib::Response& res) {
  orders::OrderFilter filter;
  auto text = [&](const char* name) -> std::optional<std::string> {
    if (!req.has_param(name)) return std::nullopt;
    return req.get_param_value(name);
  };
  filter.state = text("state");
  filter.channel_ref = text("channel_ref");
  filter.created_from = text("created_from");
  filter.created_to = text("created_to");
  filter.number = text("number");
  filter.tracking_number = text("tracking_number");
  filter.phone = text("phone");
  filter.phone_last4 = text("phone_last4");
  filter.name = text("name");
  // a channel lists only the orders it placed
  if (ctx.actor.role == Role::kChannel) filter.channel = ctx.actor.name;
  // a search by the customer's personal data is for customer service, and it is audited
  // (which fields were used and how many orders came back; never the values)
  const bool personal = filter.phone || filter.phone_last4 || filter.name;
  if (personal && ctx.actor.role != Role::kCs && ctx.actor.role != Role::kAdmin) {
    return ReplyProblem(
        req, res,
        ToProblem(ApiErrc::kForbidden, "searching by phone or name is for customer service"));
  }
  // one agent searches by hand; thousands of searches from one address are a bulk export
  if (personal && Limited(api.personal_searches, true, req, res,
                          "too many searches by phone or name from your address")) {
    return;
  }
  std::optional<int64_t> limit, cursor;
  if (!QueryInteger(req, res, "limit", 1, 1000, limit) ||
      !QueryInteger(req, res, "cursor", 1, kMaxId, cursor)) {
    return;
  }
  if (limit) filter.limit = static_cast<int>(*limit);
  filter.before_id = cursor;
  for (const char* name : {"created_from", "created_to"}) {
    if (req.has_param(name) && !ParseTimestamp(req.get_param_value(name))) {
      return ReplyProblem(
          req, res,
          ToProblem(ApiErrc::kInvalidQuery,
                    std::string(name) + " is a UTC time (2026-11-01T00:00:00Z) or a date "
                                        "(2026-11-01)",
                    name));
    }
  }
  auto page = store.Orders().ListOrders(filter);
  if (!page) return ReplyError(req, res, page.error());
  if (personal && !Audit(ctx, req, res, "orders.search_personal", std::nullopt,
                         {{"by", filter.phone ? "phone" : "phone_last4+name"},
                          {"results", page->orders.size()}})) {
    return;
  }
  json list = json::array();
  for (const orders::Order& o : page->orders)
    list.push_back(api_json::OrderJson(o, ctx.actor.role));
  json out = {{"orders", list}};
  out["next_cursor"] = page->next_cursor ? json(std::to_string(*page->next_cursor)) : json(nullptr);
  Reply(res, 200, out);
}
void OrderHandlers::GetOrder(const Context& ctx, const httplib::Request& req,
                             httplib::Response& res) {
  auto order = LoadOrder(req, res);
  if (!order) return;
  Reply(res, 200, api_json::OrderJson(*order, ctx.actor.role));
}
void OrderHandlers::OrderEvents(const Context&, const httplib::Request& req,
                                httplib::Response& res) {
  auto order = LoadOrder(req, res);
  if (!order) return;
  auto events = store.Orders().OrderEvents(order->id);
  if (!events) return ReplyError(req, res, events.error());
  json list = json::array();
  for (const orders::Event& e : *events) list.push_back(api_json::EventJson(e));
  Reply(res, 200, {{"order", order->number}, {"events", list}});
}
void OrderHandlers::OrderEvent(const Context& ctx, const httplib::Request& req,
                               httplib::Response& res, const std::string& fixed_event) {
  auto body = Body(req, res, false);
  if (!body) return;
  std::string event = fixed_event;
  if (event.empty()) {
    if (!body->contains("event") || !(*body)["event"].is_string()) {
      return ReplyInvalid(req, res, "event is required (a string)", "event");
    }
    event = (*body)["event"].get<std::string>();
  }
  std::string reason;
  if (body->contains("reason")) {
    if (!(*body)["reason"].is_string()) {
      return ReplyInvalid(req, res, "reason must be a string", "reason");
    }
    reason = (*body)["reason"].get<std::string>();
  }
  std::optional<int64_t> version;
  if (!BodyVersion(*body, req, res, version)) return;
  auto order = LoadOrder(req, res);
  if (!order) return;
  auto changed = store.Orders().TransitionOrder(order->id, event, ctx.actor, reason, version);
  if (!changed) return ReplyError(req, res, changed.error());
  Reply(res, 200, api_json::OrderJson(*changed, ctx.actor.role));
}
// {"address": {...}, "reason": "..."}: before packing; audited, since it writes personal data
void OrderHandlers::ChangeAddress(const Context& ctx, const httplib::Request& req,
                                  httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  if (!body->contains("address") || !(*body)["address"].is_object()) {
    return ReplyInvalid(req, res, "address is required (an object)", "address");
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
      return ReplyInvalid(req, res, std::string("address.") + field + " must be a string",
                          std::string("address.") + field);
    }
    *value = a.value(field, "");
    if (auto why = UnprintableCharacterIn(*value)) {
      return ReplyInvalid(
          req, res, std::string("address.") + field + " cannot be printed on a label: " + *why,
          std::string("address.") + field);
    }
  }
  const std::string reason = body->value("reason", "");  // checked in Body()
  auto order = LoadOrder(req, res);
  if (!order) return;
  auto changed = store.Orders().ChangeAddress(order->id, address, reason, ctx.actor);
  if (!changed) return ReplyError(req, res, changed.error());
  if (!Audit(ctx, req, res, "customer.address_change", order->id, {{"reason", reason}})) return;
  Reply(res, 200, api_json::OrderJson(*changed, ctx.actor.role));
}
void OrderHandlers::AddOrderNote(const Context& ctx, const httplib::Request& req,
                                 httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  const std::string note = body->value("note", "");  // checked in Body()
  auto order = LoadOrder(req, res);
  if (!order) return;
  auto added = store.Orders().AddOrderNote(order->id, note, ctx.actor);
  if (!added) return ReplyError(req, res, added.error());
  Reply(res, 201, api_json::EventJson(*added));
}

}  // namespace

std::vector<Route> OrderRoutes() {
  using H = OrderHandlers;
  return {
      {"POST", "/api/v1/orders", "/api/v1/orders", {kChannel}, Call<H, &H::CreateOrder>},
      {"GET", "/api/v1/orders", "/api/v1/orders", Everyone(), Call<H, &H::ListOrders>},
      {"GET", "/api/v1/orders/([A-Za-z0-9]{1,32})", "/api/v1/orders/{id}", Everyone(),
       Call<H, &H::GetOrder>},
      {"GET", "/api/v1/orders/([A-Za-z0-9]{1,32})/events", "/api/v1/orders/{id}/events", Everyone(),
       Call<H, &H::OrderEvents>},
      {"POST",
       "/api/v1/orders/([A-Za-z0-9]{1,32})/cancel",
       "/api/v1/orders/{id}/cancel",
       {kChannel, kCs, kAdmin},
       Call<H, &H::CancelOrder>},
      {"POST",
       "/api/v1/orders/([A-Za-z0-9]{1,32})/hold",
       "/api/v1/orders/{id}/hold",
       {kCs, kAdmin, kLogistics},
       Call<H, &H::HoldOrder>},
      {"POST",
       "/api/v1/orders/([A-Za-z0-9]{1,32})/resume",
       "/api/v1/orders/{id}/resume",
       {kCs, kAdmin},
       Call<H, &H::ResumeOrder>},
      {"POST",
       "/api/v1/orders/([A-Za-z0-9]{1,32})/transitions",
       "/api/v1/orders/{id}/transitions",
       {kCs, kLogistics, kProduction, kAdmin},
       Call<H, &H::OrderTransition>},
      {"POST",
       "/api/v1/orders/([A-Za-z0-9]{1,32})/address",
       "/api/v1/orders/{id}/address",
       {kCs, kChannel},
       Call<H, &H::ChangeAddress>},
      {"POST",
       "/api/v1/orders/([A-Za-z0-9]{1,32})/notes",
       "/api/v1/orders/{id}/notes",
       {kCs, kAdmin, kModeler, kLogistics, kProduction},
       Call<H, &H::AddOrderNote>},
  };
}

}  // namespace keepsake::services
