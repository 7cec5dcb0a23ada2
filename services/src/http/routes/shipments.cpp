// Parcels: made for an order, moved by the lead (label printed, handed over) and by the
// carrier's tracking pushes (signed), simulated for the demo, and the ones stuck on the way.
#include <openssl/crypto.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include "http/api_json.hpp"
#include "http/handlers.hpp"
#include "http/routes/routes.hpp"
#include "keepsake/logistics/carrier.hpp"
#include "keepsake/logistics/stuck.hpp"
#include "keepsake/logistics/tracking.hpp"
#include "keepsake/orders/crypto.hpp"

namespace keepsake::services {

namespace {

class ShipmentHandlers : public Handlers {
 public:
  using Handlers::Handlers;
  void CreateShipment(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void OrderShipments(const Context&, const httplib::Request& req, httplib::Response& res);
  void TrackingPush(const Context&, const httplib::Request& req, httplib::Response& res);
  void ShipmentTransition(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void SimulateTracking(const Context&, const httplib::Request& req, httplib::Response& res);
  void StuckShipments(const Context&, const httplib::Request& req, httplib::Response& res);
};

// {"carrier": "simulated"} or {"carrier": "manual", "tracking_number": "SF1234567890"}, with
// "weight_g" and "size_mm" ("300x200x100") when known
void ShipmentHandlers::CreateShipment(const Context& ctx, const httplib::Request& req,
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
    return ReplyInvalid(req, res, "unknown carrier '" + name + "'", "carrier",
                        logistics::CarrierNames());
  }
  std::string number = body->value("tracking_number", "");
  if (number.empty()) {
    auto shipments = shipping.ShipmentsOfOrder(order->id);
    auto issued = carrier->IssueWaybill(order->number,
                                        shipments ? static_cast<int>(shipments->size()) + 1 : 1);
    if (!issued) return ReplyInvalid(req, res, issued.error(), "tracking_number");
    number = *issued;
  }
  if (auto valid = carrier->CheckWaybill(number); !valid) {
    return ReplyInvalid(req, res, valid.error(), "tracking_number");
  }
  logistics::NewShipment shipment{order->id, name, number, 0, ""};
  if (body->contains("weight_g")) {
    if (!(*body)["weight_g"].is_number_integer() || (*body)["weight_g"].get<int64_t>() <= 0 ||
        (*body)["weight_g"].get<int64_t>() > 100000) {
      return ReplyInvalid(req, res, "weight_g is grams, 1 to 100000", "weight_g");
    }
    shipment.weight_g = (*body)["weight_g"].get<int>();
  }
  shipment.size_mm = body->value("size_mm", "");
  static const std::regex size(R"(\d{1,4}x\d{1,4}x\d{1,4})");
  if (!shipment.size_mm.empty() && !std::regex_match(shipment.size_mm, size)) {
    return ReplyInvalid(req, res, "size_mm is LxWxH in mm, e.g. 300x200x100", "size_mm");
  }
  auto created = shipping.CreateShipment(shipment, ctx.actor);
  if (!created) return ReplyError(req, res, created.error());
  Reply(res, 201, api_json::ShipmentJson(*created));
}
void ShipmentHandlers::OrderShipments(const Context&, const httplib::Request& req,
                                      httplib::Response& res) {
  auto order = LoadOrder(req, res);
  if (!order) return;
  auto shipments = shipping.ShipmentsOfOrder(order->id);
  if (!shipments) return ReplyError(req, res, shipments.error());
  json list = json::array();
  for (const logistics::Shipment& s : *shipments) list.push_back(api_json::ShipmentJson(s));
  Reply(res, 200, {{"order", order->number}, {"shipments", list}});
}
// A carrier aggregator's push: {"carrier": "manual", "tracking_number": "SF...", "events":
// [{"id": "...", "time": "2026-11-23T10:00:00Z", "kuaidi100_state": 0 | "tag": "InTransit",
// "description": "..."}]}, signed: X-Keepsake-Tracking-Signature = hex HMAC-SHA256(secret,
// body). Duplicates and late scans are no-ops; an unknown waybill is a 404 and changes nothing.
void ShipmentHandlers::TrackingPush(const Context&, const httplib::Request& req,
                                    httplib::Response& res) {
  if (config.tracking_secret.empty()) {
    return ReplyProblem(req, res,
                        ToProblem(ApiErrc::kForbidden,
                                  "tracking pushes are not configured on this server "
                                  "(--tracking-secret-file)"));
  }
  const std::string expected = orders::HmacSha256Hex(config.tracking_secret, req.body);
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
    return ReplyInvalid(req, res, "events is a list of at most 500 scans", "events");
  }
  std::vector<logistics::TrackingEvent> events;
  int skipped = 0;
  for (size_t k = 0; k < (*body)["events"].size(); ++k) {
    const json& e = (*body)["events"][k];
    const std::string at = "events[" + std::to_string(k) + "]";
    if (!e.is_object() || !e.contains("id") || !e["id"].is_string() ||
        e["id"].get<std::string>().empty() || e["id"].get<std::string>().size() > 100) {
      return ReplyInvalid(req, res, at + ".id is required (1-100 characters)", at + ".id");
    }
    const std::string time = e.value("time", "");
    if (orders::UnixMsFromIso(time) < 0) {
      return ReplyInvalid(req, res, at + ".time must be UTC like 2026-11-23T10:00:00Z",
                          at + ".time");
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
      return ReplyInvalid(req, res,
                          at + " has no status Keepsake knows: kuaidi100_state 0-14 or an "
                               "AfterShip tag",
                          at);
    }
    if (status->empty()) {  // information only (InfoReceived, Pending)
      ++skipped;
      continue;
    }
    events.push_back({e["id"].get<std::string>(),
                      orders::IsoFromUnixMs(orders::UnixMsFromIso(time)), *status, code,
                      e.value("description", "").substr(0, 500)});
  }
  auto outcome = shipping.ApplyTracking(carrier, number, events);
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
void ShipmentHandlers::ShipmentTransition(const Context& ctx, const httplib::Request& req,
                                          httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  std::optional<int64_t> version;
  if (!BodyVersion(*body, req, res, version)) return;
  auto shipment = shipping.TransitionShipment(std::stoll(req.matches[1]), body->value("event", ""),
                                              ctx.actor, version);
  if (!shipment) return ReplyError(req, res, shipment.error());
  Reply(res, 200, api_json::ShipmentJson(*shipment));
}
// The simulated carrier's scans for a parcel, as if its aggregator had pushed them:
// {"ending": "delivered" | "exception" | "attempt_failed"}. For the demo and for trying the
// tracking flow without a courier.
void ShipmentHandlers::SimulateTracking(const Context&, const httplib::Request& req,
                                        httplib::Response& res) {
  auto body = Body(req, res, false);
  if (!body) return;
  const std::string ending = body->value("ending", "delivered");
  if (ending != "delivered" && ending != "exception" && ending != "attempt_failed") {
    return ReplyInvalid(req, res, "ending is delivered, exception or attempt_failed", "ending",
                        {"delivered", "exception", "attempt_failed"});
  }
  auto shipment = shipping.GetShipment(std::stoll(req.matches[1]));
  if (!shipment) return ReplyError(req, res, shipment.error());
  if (shipment->carrier != "simulated") {
    return ReplyInvalid(
        req, res,
        "only parcels of the simulated carrier are simulated; this one is " + shipment->carrier,
        "carrier");
  }
  auto outcome =
      shipping.ApplyTracking(shipment->carrier, shipment->tracking_number,
                             logistics::SimulatedScans(shipment->id, ending, orders::NowUnixMs()));
  if (!outcome) return ReplyError(req, res, outcome.error());
  Reply(res, 200,
        {{"shipment", outcome->shipment_id},
         {"recorded", outcome->recorded},
         {"shipment_state", outcome->shipment_state},
         {"order_state", outcome->order_state}});
}
// Parcels that need the lead: needing a person (exception, attempt_failed, returned,
// expired) or too long in a state (assets/logistics.json, stuck_after_hours); oldest first.
void ShipmentHandlers::StuckShipments(const Context&, const httplib::Request& req,
                                      httplib::Response& res) {
  std::ifstream settings(config.assets_dir + "/logistics.json");
  std::stringstream text;
  text << settings.rdbuf();
  const logistics::StuckLimits limits = logistics::StuckLimitsFromJson(text.str());
  auto parcels = shipping.UndeliveredShipments(100000);
  if (!parcels) return ReplyError(req, res, parcels.error());
  const int64_t now = orders::UnixMsFromIso(orders::NowUtcIso());
  json list = json::array();
  std::map<std::string, int> by_state;
  for (const logistics::Shipment& parcel : *parcels) {
    const auto reason = logistics::StuckReason(parcel, now, limits);
    if (!reason) continue;
    json row = api_json::ShipmentJson(parcel);
    row["stuck"] = *reason;
    list.push_back(std::move(row));
    ++by_state[parcel.state];
  }
  Reply(res, 200, json{{"shipments", list}, {"count", list.size()}, {"by_state", by_state}});
}

}  // namespace

std::vector<Route> ShipmentRoutes() {
  using H = ShipmentHandlers;
  return {
      {"POST", "/api/v1/tracking/push", "/api/v1/tracking/push", {}, Call<H, &H::TrackingPush>},
      {"POST",
       "/api/v1/orders/([A-Za-z0-9]{1,32})/shipments",
       "/api/v1/orders/{id}/shipments",
       {kLogistics},
       Call<H, &H::CreateShipment>},
      {"GET",
       "/api/v1/orders/([A-Za-z0-9]{1,32})/shipments",
       "/api/v1/orders/{id}/shipments",
       {kLogistics, kCs, kAdmin, kChannel},
       Call<H, &H::OrderShipments>},
      {"POST",
       "/api/v1/shipments/([0-9]{1,18})/transitions",
       "/api/v1/shipments/{id}/transitions",
       {kLogistics},
       Call<H, &H::ShipmentTransition>},
      {"POST",
       "/api/v1/shipments/([0-9]{1,18})/simulate",
       "/api/v1/shipments/{id}/simulate",
       {kLogistics, kAdmin},
       Call<H, &H::SimulateTracking>},
      {"GET",
       "/api/v1/shipments/stuck",
       "/api/v1/shipments/stuck",
       {kLogistics, kCs, kAdmin},
       Call<H, &H::StuckShipments>},
  };
}

}  // namespace keepsake::services
