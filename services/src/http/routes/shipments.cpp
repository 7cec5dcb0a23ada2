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
#include "keepsake/logistics/booking.hpp"
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
  void ListCarriers(const Context&, const httplib::Request&, httplib::Response& res);
  void CancelShipment(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void RefreshShipment(const Context&, const httplib::Request& req, httplib::Response& res);
  void SfPush(const Context&, const httplib::Request& req, httplib::Response& res);
  void Kuaidi100Push(const Context&, const httplib::Request& req, httplib::Response& res);
  void OrderShipments(const Context&, const httplib::Request& req, httplib::Response& res);
  void TrackingPush(const Context&, const httplib::Request& req, httplib::Response& res);
  void ShipmentTransition(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void SimulateTracking(const Context&, const httplib::Request& req, httplib::Response& res);
  void StuckShipments(const Context&, const httplib::Request& req, httplib::Response& res);

 private:
  void CarrierPush(const std::string& family, const httplib::Request& req, httplib::Response& res);
};

// {"carrier": "sf"} books the parcel with the carrier (its waybill and codes come back);
// {"carrier": "manual" | "sf" | ..., "tracking_number": "SF1234567890"} records a waybill the
// courier gave by phone or on paper; "weight_g" and "size_mm" ("300x200x100") when known, else
// the products' presets (assets/products.json "parcel").
void ShipmentHandlers::CreateShipment(const Context& ctx, const httplib::Request& req,
                                      httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  auto order = LoadOrder(req, res);
  if (!order) return;
  // a split: the items that are ready go now, the rest when they are made
  std::vector<int64_t> items;
  if (body->contains("items")) {
    const json& list = (*body)["items"];
    if (!list.is_array() || list.empty() || list.size() > 100 ||
        !std::all_of(list.begin(), list.end(),
                     [](const json& i) { return i.is_number_integer(); })) {
      return ReplyInvalid(req, res, "items is a list of the ids of the items this parcel carries",
                          "items");
    }
    for (const json& i : list) items.push_back(i.get<int64_t>());
  }
  const std::string& state = order->state;
  const bool split = !items.empty() && state == "in_production";
  if (!split && state != "ready_to_pack" && state != "packed" && state != "shipped" &&
      state != "delivery_exception") {
    return ReplyError(req, res,
                      orders::Error{orders::Errc::kIllegalTransition,
                                    "order " + order->number + " is " + state +
                                        ": parcels are made once production is done, or for the "
                                        "produced items alone (\"items\": [...])",
                                    "state",
                                    {}});
  }
  const std::string name = body->value("carrier", "");
  logistics::Carrier* carrier = OfferedCarrier(name, req, res);
  if (carrier == nullptr) return;
  logistics::NewShipment shipment{order->id, name, body->value("tracking_number", ""), 0, ""};
  shipment.items = items;
  if (body->contains("weight_g")) {
    if (!(*body)["weight_g"].is_number_integer() || (*body)["weight_g"].get<int64_t>() <= 0 ||
        (*body)["weight_g"].get<int64_t>() > 100000) {
      return ReplyInvalid(req, res, "weight_g is grams, 1 to 100000", "weight_g");
    }
    shipment.weight_g = (*body)["weight_g"].get<int>();
  }
  shipment.size_mm = body->value("size_mm", "");
  // a courier to come and collect it ("2026-12-06 16:00" or "2026-12-06T16:00", the shop's
  // time), from a carrier that books pickups
  std::string pickup = body->value("pickup_at", "");
  if (!pickup.empty()) {
    static const std::regex when(R"((\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(:\d{2})?)");
    std::smatch m;
    if (!std::regex_match(pickup, m, when)) {
      return ReplyInvalid(req, res, "pickup_at is the shop's local time, 2026-12-06 16:00",
                          "pickup_at");
    }
    if (!shipment.tracking_number.empty()) {
      return ReplyInvalid(req, res,
                          "a pickup is booked with the carrier's booking; a typed waybill has "
                          "none (leave tracking_number empty to book)",
                          "pickup_at");
    }
    if (!carrier->BooksPickup()) {
      return ReplyInvalid(req, res,
                          carrier->DisplayName() +
                              " does not book pickups through Keepsake: ring the courier, or "
                              "choose a carrier that does (SF Express)",
                          "pickup_at");
    }
    pickup = m[1].str() + " " + m[2].str() + ":00";
  }
  // a reship: the failed parcel this one is sent instead of, and why
  if (body->contains("replaces")) {
    if (!(*body)["replaces"].is_number_integer()) {
      return ReplyInvalid(req, res, "replaces is the id of the parcel sent again", "replaces");
    }
    shipment.replaces = (*body)["replaces"].get<int64_t>();
    shipment.reason = body->value("reason", "");
    if (shipment.reason.empty() || shipment.reason.size() > 500) {
      return ReplyInvalid(req, res, "say why the parcel is sent again (reason, 1-500 bytes)",
                          "reason");
    }
    // checked before a carrier is asked to book (and again when the parcel is written)
    if (auto ok = shipping.CanReplace(order->id, shipment.replaces); !ok) {
      return ReplyError(req, res, ok.error());
    }
  }
  static const std::regex size(R"(\d{1,4}x\d{1,4}x\d{1,4})");
  if (!shipment.size_mm.empty() && !std::regex_match(shipment.size_mm, size)) {
    return ReplyInvalid(req, res, "size_mm is LxWxH in mm, e.g. 300x200x100", "size_mm");
  }
  // what the lead did not type comes from the products' presets
  const logistics::ParcelPreset preset = logistics::PresetFor(*order, catalog, items);
  if (shipment.weight_g == 0) shipment.weight_g = preset.weight_g;
  if (shipment.size_mm.empty()) shipment.size_mm = preset.size_mm;
  shipment.pickup_at = pickup;
  BookOrRecordParcel(*carrier, shipment, ctx, req, res);
}
// The carriers this server offers, for the lead's choice.
void ShipmentHandlers::ListCarriers(const Context&, const httplib::Request& req,
                                    httplib::Response& res) {
  auto cut_off = logistics::CutOffTimes(config.assets_dir);
  if (!cut_off) {
    return ReplyProblem(req, res, ToProblem(ApiErrc::kInternal, cut_off.error()));
  }
  json list = json::array();
  for (const auto& c : api.carriers.All()) {
    const auto own = cut_off->find(c->Name());
    list.push_back({{"name", c->Name()},
                    {"display_name", c->DisplayName()},
                    {"books", c->Books()},
                    {"books_pickup", c->BooksPickup()},
                    // the day's last hand-over, in the shop's time
                    {"cut_off", own != cut_off->end() ? own->second : cut_off->at("default")}});
  }
  Reply(res, 200, {{"carriers", list}});
}
// {"version": 3}: calls the booking off with the carrier, then the parcel is cancelled.
void ShipmentHandlers::CancelShipment(const Context& ctx, const httplib::Request& req,
                                      httplib::Response& res) {
  auto body = Body(req, res, false);
  if (!body) return;
  std::optional<int64_t> version;
  if (!BodyVersion(*body, req, res, version)) return;
  auto shipment = shipping.GetShipment(std::stoll(req.matches[1]));
  if (!shipment) return ReplyError(req, res, shipment.error());
  auto outcome = logistics::CancelParcel(store, api.carriers.Find(shipment->carrier), shipment->id,
                                         ctx.actor, version);
  if (!outcome) return ReplyError(req, res, outcome.error());
  if (outcome->failure) {
    return ReplyCarrierFailure(req, res, *outcome->failure, outcome->carrier_order_id);
  }
  Reply(res, 200, api_json::ShipmentJson(*outcome->shipment));
}
// Asks the parcel's carrier where it is now and applies what it says (as a push would).
void ShipmentHandlers::RefreshShipment(const Context&, const httplib::Request& req,
                                       httplib::Response& res) {
  auto shipment = shipping.GetShipment(std::stoll(req.matches[1]));
  if (!shipment) return ReplyError(req, res, shipment.error());
  logistics::Carrier* carrier = api.carriers.Find(shipment->carrier);
  if (carrier == nullptr || !carrier->Books()) {
    return ReplyInvalid(
        req, res,
        "parcels of " + shipment->carrier + " are not tracked through Keepsake: ask the courier",
        "carrier");
  }
  auto outcome = logistics::RefreshTracking(store, *carrier, shipment->id);
  if (!outcome) return ReplyError(req, res, outcome.error());
  if (outcome->failure) {
    return ReplyCarrierFailure(req, res, *outcome->failure, outcome->carrier_order_id);
  }
  json reply = api_json::ShipmentJson(*outcome->shipment);
  reply["note"] = outcome->note;
  Reply(res, 200, reply);
}
// A carrier's push in its native form (SF's route push, Kuaidi100's callback), its signature
// checked with the account's secret; kept raw for a dispute, applied like any scan. Answers in
// the carrier's own words so that it retries what we could not take.
void ShipmentHandlers::CarrierPush(const std::string& family, const httplib::Request& req,
                                   httplib::Response& res) {
  const logistics::FormFields form = logistics::ParseForm(req.body);
  auto read = family == "sf" ? api.carriers.ReadSfPush(form) : api.carriers.ReadKuaidi100Push(form);
  auto answer = [&](int status, bool ok, const std::string& message) {
    res.status = status;
    const json body = family == "sf" ? json{{"return_code", ok ? "0000" : "1000"},
                                            {"return_msg", ok ? "成功" : message}}
                                     : json{{"result", ok},
                                            {"returnCode", ok ? "200" : "500"},
                                            {"message", ok ? "成功" : message}};
    res.set_content(body.dump(), "application/json");
  };
  if (!read) {
    spdlog::warn(
        "event=carrier_push_refused carrier={} reason=\"{}\"", family,
        read.error().code == logistics::CarrierErrc::kUnauthorized ? "signature" : "unreadable");
    return answer(read.error().code == logistics::CarrierErrc::kUnauthorized ? 401 : 400, false,
                  read.error().message);
  }
  std::vector<int64_t> parcels;
  std::string outcome;
  for (const logistics::WaybillScans& scans : *read) {
    auto applied = shipping.ApplyTracking(scans.carrier, scans.waybill, scans.events);
    if (!applied) {
      if (applied.error().code != orders::Errc::kNotFound) {
        return answer(500, false, "not stored; send it again");
      }
      // a waybill we never made is not worth the carrier's retries: taken, kept for a look
      outcome += scans.waybill + ": no such parcel; ";
      continue;
    }
    parcels.push_back(applied->shipment_id);
    outcome += scans.waybill + ": " + std::to_string(applied->recorded) + " new, " +
               applied->shipment_state + "; ";
  }
  if (auto kept = shipping.KeepPush(family, req.body, parcels, outcome); !kept) {
    return answer(500, false, "not stored; send it again");
  }
  answer(200, true, "");
}
void ShipmentHandlers::SfPush(const Context&, const httplib::Request& req, httplib::Response& res) {
  CarrierPush("sf", req, res);
}
void ShipmentHandlers::Kuaidi100Push(const Context&, const httplib::Request& req,
                                     httplib::Response& res) {
  CarrierPush("kuaidi100", req, res);
}
void ShipmentHandlers::OrderShipments(const Context&, const httplib::Request& req,
                                      httplib::Response& res) {
  auto order = LoadOrder(req, res);
  if (!order) return;
  auto shipments = shipping.ShipmentsOfOrder(order->id);
  if (!shipments) return ReplyError(req, res, shipments.error());
  json list = json::array();
  for (const logistics::Shipment& s : *shipments) list.push_back(api_json::ShipmentJson(s));
  auto open = logistics::OpenBookings(store, order->id);
  if (!open) return ReplyError(req, res, open.error());
  json bookings = json::array();
  for (const logistics::BookingAttempt& b : *open) {
    bookings.push_back({{"carrier", b.carrier},
                        {"carrier_order_id", b.carrier_order_id},
                        {"state", b.state},
                        {"reason", b.reason},
                        {"carrier_code", b.carrier_code},
                        {"attempts", b.attempts},
                        {"updated_at", b.updated_at}});
  }
  Reply(res, 200, {{"order", order->number}, {"shipments", list}, {"bookings", bookings}});
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
    row["stuck"] = reason->Text();
    // the same in parts, for a page that words it in its own language
    row["stuck_code"] = reason->code;
    row["stuck_hours"] = reason->hours;
    row["stuck_limit_h"] = reason->limit_h;
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
      {"POST", "/api/v1/tracking/sf", "/api/v1/tracking/sf", {}, Call<H, &H::SfPush>},
      {"POST",
       "/api/v1/tracking/kuaidi100",
       "/api/v1/tracking/kuaidi100",
       {},
       Call<H, &H::Kuaidi100Push>},
      {"GET",
       "/api/v1/carriers",
       "/api/v1/carriers",
       {kLogistics, kCs, kAdmin},
       Call<H, &H::ListCarriers>},
      {"POST",
       "/api/v1/shipments/([0-9]{1,18})/cancel",
       "/api/v1/shipments/{id}/cancel",
       {kLogistics},
       Call<H, &H::CancelShipment>},
      {"POST",
       "/api/v1/shipments/([0-9]{1,18})/refresh",
       "/api/v1/shipments/{id}/refresh",
       {kLogistics, kCs},
       Call<H, &H::RefreshShipment>},
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
