// What any caller may ask of the server itself: health, the API document, metrics, the state
// machines and the product catalogue.
#include "http/api_json.hpp"
#include "http/handlers.hpp"
#include "http/routes/routes.hpp"
#include "keepsake/logistics/shipment_state_machine.hpp"
#include "keepsake/orders/state_machine.hpp"

namespace keepsake::services {

namespace {

class MetaHandlers : public Handlers {
 public:
  using Handlers::Handlers;
  void Healthz(const Context&, const httplib::Request&, httplib::Response& res);
  void OpenApi(const Context&, const httplib::Request& req, httplib::Response& res);
  void MetricsText(const Context&, const httplib::Request& req, httplib::Response& res);
  void StateMachines(const Context&, const httplib::Request&, httplib::Response& res);
  void Products(const Context&, const httplib::Request&, httplib::Response& res);
};

void MetaHandlers::Healthz(const Context&, const httplib::Request&, httplib::Response& res) {
  Reply(res, 200, {{"status", "ok"}});
}
void MetaHandlers::OpenApi(const Context&, const httplib::Request& req, httplib::Response& res) {
  if (api.openapi.is_null()) {
    return ReplyProblem(req, res, ToProblem(ApiErrc::kInternal, "the API document is missing"));
  }
  res.status = 200;
  res.set_content(api.openapi.dump(), "application/json");
}
void MetaHandlers::MetricsText(const Context&, const httplib::Request& req,
                               httplib::Response& res) {
  auto jobs = store.Jobs().CountJobsByState();
  if (!jobs) return ReplyError(req, res, jobs.error());
  res.status = 200;
  res.set_content(api.metrics.Render(*jobs), "text/plain; version=0.0.4");
}
void MetaHandlers::StateMachines(const Context&, const httplib::Request&, httplib::Response& res) {
  Reply(res, 200,
        {{"order", api_json::StateMachineJson(orders::OrderStateMachine())},
         {"item", api_json::StateMachineJson(orders::ItemStateMachine())},
         {"ticket", api_json::StateMachineJson(orders::TicketStateMachine())},
         {"claim", api_json::StateMachineJson(orders::ClaimStateMachine())},
         {"shipment", api_json::StateMachineJson(logistics::ShipmentStateMachine())}});
}
void MetaHandlers::Products(const Context&, const httplib::Request&, httplib::Response& res) {
  json products = json::array();
  for (const orders::Product& p : catalog.Products()) {
    json options = json::object();
    for (const orders::ProductOption& o : p.options) {
      options[o.name] = {{"values", o.values}, {"default", o.default_value}};
    }
    products.push_back({{"id", p.id},
                        {"title", p.title},
                        {"title_zh", p.title_zh},
                        {"kind", p.kind == orders::ProductKind::kFigure ? "figure" : "print2d"},
                        {"options", options}});
    if (p.parcel_weight_g > 0) {
      products.back()["parcel"] = {{"weight_g", p.parcel_weight_g}, {"box_mm", p.parcel_box_mm}};
    }
  }
  Reply(res, 200, {{"products", products}});
}

}  // namespace

std::vector<Route> MetaRoutes() {
  using H = MetaHandlers;
  return {
      {"GET", "/healthz", "/healthz", {}, Call<H, &H::Healthz>},
      {"GET", "/metrics", "/metrics", {kAdmin}, Call<H, &H::MetricsText>},
      {"GET", "/api/v1/openapi.json", "/api/v1/openapi.json", {}, Call<H, &H::OpenApi>},
      {"GET", "/api/v1/state-machines", "/api/v1/state-machines", Everyone(),
       Call<H, &H::StateMachines>},
      {"GET", "/api/v1/products", "/api/v1/products", Everyone(), Call<H, &H::Products>},
  };
}

}  // namespace keepsake::services
