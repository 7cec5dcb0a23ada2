// The helpers every handler uses: replies, the body and query readers, the audit row, and
// the JSON of tickets and claims (shown by more than one resource).
#include "http/handlers.hpp"

#include "http/api_json.hpp"
#include "http/edge_checks.hpp"
#include "keepsake/logistics/booking.hpp"
#include "keepsake/orders/job_kind.hpp"
#include "keepsake/orders/sla.hpp"
#include "keepsake/orders/state_machine.hpp"

namespace keepsake::services {

thread_local RequestState tl_request;

void Reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void ReplyProblem(const httplib::Request& req, httplib::Response& res, const Problem& p) {
  res.status = p.status;
  res.set_content(ProblemBody(p, req.path, tl_request.request_id), "application/problem+json");
  if (p.status == 401) res.set_header("WWW-Authenticate", "Bearer");
}

void ReplyError(const httplib::Request& req, httplib::Response& res, const orders::Error& e) {
  if (e.code == orders::Errc::kStorage || e.code == orders::Errc::kDiskFull) {
    spdlog::error("request_id={} event=storage_error error=\"{}\"", tl_request.request_id,
                  e.message);
  }
  ReplyProblem(req, res, ToProblem(e));
}

void ReplyInvalid(const httplib::Request& req, httplib::Response& res, const std::string& message,
                  const std::string& field, std::vector<std::string> allowed) {
  Problem p = ToProblem(ApiErrc::kInvalidField, message, field);
  p.allowed = std::move(allowed);
  ReplyProblem(req, res, p);
}

bool Limited(RateLimiter& limiter, bool take, const httplib::Request& req, httplib::Response& res,
             const std::string& what) {
  if (limiter.per_minute() == 0) return false;
  const std::string& client = tl_request.client.empty() ? req.remote_addr : tl_request.client;
  const bool refused = take ? !limiter.Take(client) : limiter.Exhausted(client);
  if (!refused) return false;
  const int wait = std::max(1, limiter.RetryAfterSeconds(client));
  res.set_header("Retry-After", std::to_string(wait));
  spdlog::warn("request_id={} event=rate_limited what=\"{}\"", tl_request.request_id, what);
  ReplyProblem(
      req, res,
      ToProblem(ApiErrc::kTooManyRequests, what + "; try again in " + std::to_string(wait) + " s"));
  return true;
}

// A carrier's refusal or silence as a problem: 422 when the carrier will not take the parcel,
// 502 when it did not answer or we cannot read it (the retry sends the same order id), 409 for
// a booking it has and will not name, 501 for what the carrier does not do.
void ReplyCarrierFailure(const httplib::Request& req, httplib::Response& res,
                         const logistics::CarrierError& e, const std::string& carrier_order_id) {
  Problem p;
  switch (e.code) {
    case logistics::CarrierErrc::kRefused:
      p = {422,       "carrier_refused", "The carrier will not take this parcel",
           e.message, "carrier",         {}};
      break;
    case logistics::CarrierErrc::kDuplicate:
      p = {409,       "carrier_duplicate", "The carrier has this booking already",
           e.message, "carrier",           {}};
      break;
    case logistics::CarrierErrc::kUnavailable:
      p = {502, "carrier_unavailable", "The carrier did not answer", e.message, "carrier", {}};
      break;
    case logistics::CarrierErrc::kUnauthorized:
      p = {502, "carrier_credentials", "The carrier refused our credentials", e.message, "carrier",
           {}};
      break;
    case logistics::CarrierErrc::kProtocol:
      p = {502,       "carrier_protocol", "The carrier's answer cannot be read",
           e.message, "carrier",          {}};
      break;
    case logistics::CarrierErrc::kNotSupported:
      p = {501, "carrier_not_supported", "The carrier does not do that", e.message, "carrier", {}};
      break;
  }
  if (!carrier_order_id.empty()) p.detail += " [carrier order id " + carrier_order_id + "]";
  ReplyProblem(req, res, p);
}

std::optional<json> Body(const httplib::Request& req, httplib::Response& res, bool required) {
  if (req.body.empty()) {
    if (!required) return json::object();
    ReplyProblem(req, res, ToProblem(ApiErrc::kMalformedJson, "a JSON body is required"));
    return std::nullopt;
  }
  auto body = ParseBoundedJson(req.body);
  if (!body) {
    ReplyProblem(req, res, ToProblem(ApiErrc::kMalformedJson, body.error()));
    return std::nullopt;
  }
  if (!body->is_object()) {
    ReplyProblem(req, res, ToProblem(ApiErrc::kMalformedJson, "the body must be a JSON object"));
    return std::nullopt;
  }
  // every reason, note, subject, message and description, checked here once for all routes
  if (auto field = FreeTextWithPersonalData(*body)) {
    ReplyProblem(
        req, res,
        ToProblem(ApiErrc::kPersonalDataInText,
                  *field + " goes on the timeline, tickets, notifications or the audit log, "
                           "which hold no personal data: leave the phone number out (seven "
                           "or more digits look like one)",
                  *field));
    return std::nullopt;
  }
  return std::move(*body);
}

bool QueryInteger(const httplib::Request& req, httplib::Response& res, const char* name,
                  int64_t min, int64_t max, std::optional<int64_t>& out) {
  if (!req.has_param(name)) return true;
  auto value = ParseBoundedInteger(req.get_param_value(name), min, max);
  if (!value) {
    ReplyProblem(req, res,
                 ToProblem(ApiErrc::kInvalidQuery,
                           std::string(name) + " is a whole number from " + std::to_string(min) +
                               " to " + std::to_string(max),
                           name));
    return false;
  }
  out = value;
  return true;
}

orders::Result<orders::Order> FindOrder(orders::Store& store, const std::string& key) {
  return !key.empty() && key.find_first_not_of("0123456789") == std::string::npos && key.size() < 18
             ? store.Orders().GetOrder(std::stoll(key))
             : store.Orders().GetOrderByNumber(key);
}

bool BodyVersion(const json& body, const httplib::Request& req, httplib::Response& res,
                 std::optional<int64_t>& out) {
  if (!body.contains("version")) return true;
  if (!body["version"].is_number_integer()) {
    ReplyInvalid(req, res, "version must be an integer", "version");
    return false;
  }
  out = body["version"].get<int64_t>();
  return true;
}

logistics::Carrier* Handlers::OfferedCarrier(const std::string& name, const httplib::Request& req,
                                             httplib::Response& res) {
  logistics::Carrier* carrier = api.carriers.Find(name);
  if (carrier == nullptr) {
    ReplyInvalid(
        req, res,
        "carrier '" + name + "' is not offered by this server" +
            (name == "simulated" ? " (the simulated carrier is for the demo and trial servers only)"
                                 : ""),
        "carrier", api.carriers.Names());
  }
  return carrier;
}

void Handlers::BookOrRecordParcel(logistics::Carrier& carrier,
                                  const logistics::NewShipment& shipment, const Context& ctx,
                                  const httplib::Request& req, httplib::Response& res) {
  if (shipment.tracking_number.empty()) {
    if (!carrier.Books()) {
      return ReplyInvalid(req, res,
                          "the manual carrier books nothing: type or scan the courier's waybill "
                          "number",
                          "tracking_number");
    }
    auto booked = logistics::BookParcel(
        store, catalog, config.assets_dir, carrier,
        {shipment.order_id, shipment.weight_g, shipment.size_mm, shipment.replaces, shipment.reason,
         shipment.items, shipment.claim_id, shipment.pickup_at},
        ctx.actor);
    if (!booked) return ReplyError(req, res, booked.error());
    if (booked->failure) {
      spdlog::warn("event=carrier_booking_failed carrier={} order_id={} code=\"{}\"",
                   carrier.Name(), shipment.order_id, booked->failure->carrier_code);
      return ReplyCarrierFailure(req, res, *booked->failure, booked->carrier_order_id);
    }
    json reply = api_json::ShipmentJson(*booked->shipment);
    reply["attempts"] = booked->attempts;
    if (!booked->note.empty()) reply["note"] = booked->note;
    return Reply(res, 201, reply);
  }
  if (auto valid = carrier.CheckWaybill(shipment.tracking_number); !valid) {
    return ReplyInvalid(req, res, valid.error(), "tracking_number");
  }
  auto created = shipping.CreateShipment(shipment, ctx.actor);
  if (!created) return ReplyError(req, res, created.error());
  Reply(res, 201, api_json::ShipmentJson(*created));
}

std::optional<orders::Order> Handlers::LoadOrder(const httplib::Request& req,
                                                 httplib::Response& res) {
  orders::Result<orders::Order> order = FindOrder(req.matches[1]);
  if (!order) {
    ReplyError(req, res, order.error());
    return std::nullopt;
  }
  return *order;
}

bool Handlers::Audit(const Context& ctx, const httplib::Request& req, httplib::Response& res,
                     const std::string& action, std::optional<int64_t> order_id,
                     const json& detail) {
  auto written = store.Access().AppendAudit(
      orders::AuditRecord{ctx.actor.name, std::string(orders::RoleName(ctx.actor.role)), action,
                          order_id, detail.dump(), ctx.peer});
  if (!written) {
    ReplyError(req, res, written.error());
    return false;
  }
  return true;
}

json Handlers::TicketJson(const orders::Ticket& t) const {
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

json Handlers::ClaimJson(const orders::Claim& c, Role viewer) {
  json evidence = json::array();
  auto jobs = store.Jobs().JobsForItem(c.item_id);
  for (const std::string& asset : c.evidence) {
    json photo = {{"asset", asset}, {"check", "queued"}};
    if (jobs) {
      for (const orders::Job& job : *jobs) {
        const json params = json::parse(job.params, nullptr, false);
        if (job.kind != orders::JobKindName(orders::JobKind::kInspectEvidence) ||
            job.asset_id != asset || !params.is_object() ||
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

}  // namespace keepsake::services
