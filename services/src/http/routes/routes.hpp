// The route rows of each resource, in http/routes/<resource>.cpp; the table that serves them
// all is AllRoutes() (http/route_table.cpp).
#pragma once

#include <vector>

#include "http/handlers.hpp"

namespace keepsake::services {

inline std::vector<Role> Everyone() {
  return {kChannel, kModeler, kCs, kLogistics, kProduction, kAdmin};
}

std::vector<Route> MetaRoutes();
std::vector<Route> SessionRoutes();
std::vector<Route> AssetRoutes();
std::vector<Route> OrderRoutes();
std::vector<Route> ItemRoutes();
std::vector<Route> SupportRoutes();
std::vector<Route> ClaimRoutes();
std::vector<Route> ShipmentRoutes();
std::vector<Route> PackingRoutes();
std::vector<Route> AdminRoutes();

// Every route the server serves, in one table built once.
const std::vector<Route>& AllRoutes();

}  // namespace keepsake::services
