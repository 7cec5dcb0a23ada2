// The route table: every resource's rows (http/routes/<resource>.cpp) in one list, built once.
// A path is matched whole, so the order of rows decides nothing.
#include "http/routes/routes.hpp"

namespace keepsake::services {

const std::vector<Route>& AllRoutes() {
  static const std::vector<Route> routes = [] {
    std::vector<Route> all;
    for (auto rows : {MetaRoutes, SessionRoutes, AssetRoutes, OrderRoutes, ItemRoutes,
                      SupportRoutes, ClaimRoutes, ShipmentRoutes, PackingRoutes, AdminRoutes}) {
      for (Route& row : rows()) all.push_back(std::move(row));
    }
    return all;
  }();
  return routes;
}

}  // namespace keepsake::services
