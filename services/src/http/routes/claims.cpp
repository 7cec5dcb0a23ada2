// Quality claims: opened with photos (each checked in the sandbox), listed, decided.
#include "http/handlers.hpp"
#include "http/routes/routes.hpp"

namespace keepsake::services {

namespace {

class ClaimHandlers : public Handlers {
 public:
  using Handlers::Handlers;
  void OpenClaim(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void ListClaims(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void GetClaim(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void DecideClaim(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void ReturnParcel(const Context& ctx, const httplib::Request& req, httplib::Response& res);
};

void ClaimHandlers::OpenClaim(const Context& ctx, const httplib::Request& req,
                              httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  if (!body->contains("item") || !(*body)["item"].is_number_integer()) {
    return ReplyInvalid(req, res, "item is required (the item's id)", "item");
  }
  orders::NewClaim claim;
  claim.item_id = (*body)["item"].get<int64_t>();
  claim.reason = body->value("reason", "");
  claim.description = body->value("description", "");
  claim.override_reason = body->value("override_reason", "");
  if (body->contains("evidence")) {
    const json& evidence = (*body)["evidence"];
    if (!evidence.is_array()) {
      return ReplyInvalid(req, res, "evidence is a list of photo asset ids", "evidence");
    }
    for (const json& e : evidence) {
      if (!e.is_string()) {
        return ReplyInvalid(req, res, "evidence is a list of photo asset ids", "evidence");
      }
      claim.evidence.push_back(e.get<std::string>());
    }
  }
  auto opened = store.Claims().OpenClaim(claim, ctx.actor, config.sla.claim_window_days);
  if (!opened) return ReplyError(req, res, opened.error());
  Reply(res, 201, ClaimJson(*opened, ctx.actor.role));
}
void ClaimHandlers::ListClaims(const Context& ctx, const httplib::Request& req,
                               httplib::Response& res) {
  int64_t order_id = 0;
  if (req.has_param("order")) {
    const std::string key = req.get_param_value("order");
    auto found = FindOrder(key);
    if (!found) return ReplyError(req, res, found.error());
    order_id = found->id;
  }
  auto claims = store.Claims().ListClaims(order_id, req.get_param_value("state"), 200);
  if (!claims) return ReplyError(req, res, claims.error());
  json list = json::array();
  for (const orders::Claim& c : *claims) list.push_back(ClaimJson(c, ctx.actor.role));
  Reply(res, 200, {{"claims", list}});
}
void ClaimHandlers::GetClaim(const Context& ctx, const httplib::Request& req,
                             httplib::Response& res) {
  auto claim = store.Claims().GetClaim(std::stoll(req.matches[1]));
  if (!claim) return ReplyError(req, res, claim.error());
  Reply(res, 200, ClaimJson(*claim, ctx.actor.role));
}
void ClaimHandlers::DecideClaim(const Context& ctx, const httplib::Request& req,
                                httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  orders::ClaimDecision decision;
  decision.event = body->value("event", "");
  decision.note = body->value("note", "");
  decision.refund_reference = body->value("refund_reference", "");
  if (body->contains("refund_cents")) {
    if (!(*body)["refund_cents"].is_number_integer()) {
      return ReplyInvalid(req, res, "refund_cents is a whole number of cents", "refund_cents");
    }
    decision.refund_cents = (*body)["refund_cents"].get<int64_t>();
  }
  if (!BodyVersion(*body, req, res, decision.expected_version)) return;
  auto claim = store.Claims().DecideClaim(std::stoll(req.matches[1]), decision, ctx.actor);
  if (!claim) return ReplyError(req, res, claim.error());
  Reply(res, 200, ClaimJson(*claim, ctx.actor.role));
}

// {"carrier": "sf"} books a parcel that brings the claimed piece back (the customer is the
// sender, the shop the recipient; the carrier's waybill goes to the customer), or records a
// waybill the customer's courier gave ({"carrier": ..., "tracking_number": ...}). Its scans
// arrive like any parcel's; the order does not follow it.
void ClaimHandlers::ReturnParcel(const Context& ctx, const httplib::Request& req,
                                 httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  auto claim = store.Claims().GetClaim(std::stoll(req.matches[1]));
  if (!claim) return ReplyError(req, res, claim.error());
  if (claim->state == "rejected" || claim->state == "closed" || claim->state == "fulfilled") {
    return ReplyError(req, res,
                      orders::Error{orders::Errc::kIllegalTransition,
                                    "claim " + std::to_string(claim->id) + " is " + claim->state +
                                        ": a piece is asked back while the claim is open",
                                    "state",
                                    {}});
  }
  logistics::Carrier* carrier = OfferedCarrier(body->value("carrier", ""), req, res);
  if (carrier == nullptr) return;
  // it brings the claimed item back (ItemsForParcel), numbered apart from the order's parcels
  logistics::NewShipment shipment{claim->order_id, carrier->Name(),
                                  body->value("tracking_number", ""), 0, ""};
  shipment.claim_id = claim->id;
  shipment.items = {claim->item_id};  // what the carrier is told it carries
  BookOrRecordParcel(*carrier, shipment, ctx, req, res);
}

}  // namespace

std::vector<Route> ClaimRoutes() {
  using H = ClaimHandlers;
  return {
      {"POST", "/api/v1/claims", "/api/v1/claims", {kCs, kAdmin, kChannel}, Call<H, &H::OpenClaim>},
      {"GET", "/api/v1/claims", "/api/v1/claims", {kCs, kAdmin}, Call<H, &H::ListClaims>},
      {"GET",
       "/api/v1/claims/([0-9]{1,18})",
       "/api/v1/claims/{id}",
       {kCs, kAdmin, kChannel},
       Call<H, &H::GetClaim>},
      {"POST",
       "/api/v1/claims/([0-9]{1,18})/transitions",
       "/api/v1/claims/{id}/transitions",
       {kCs, kAdmin, kLogistics},
       Call<H, &H::DecideClaim>},
      {"POST",
       "/api/v1/claims/([0-9]{1,18})/return-parcel",
       "/api/v1/claims/{id}/return-parcel",
       {kCs, kAdmin, kLogistics},
       Call<H, &H::ReturnParcel>},
  };
}

}  // namespace keepsake::services
