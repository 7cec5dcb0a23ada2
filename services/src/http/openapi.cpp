// The API document: assets/openapi.json describes what each route takes and answers; who may
// call it, its path parameters and its problem answers come from the route table, so they
// cannot drift.
#include <algorithm>
#include <regex>

#include "http/server_impl.hpp"

namespace keepsake::services {

// assets/openapi.json describes what each route takes and answers; who may call it, its path
// parameters and its problem answers come from the route table here, so they cannot drift.
json MergeRouteTable(json doc, const std::vector<Route>& routes) {
  static const std::regex placeholder(R"(\{([a-z_]+)\})");
  static const std::regex group(R"(\(([^()]*)\))");
  for (const auto& route : routes) {
    std::string method = route.method;
    std::transform(method.begin(), method.end(), method.begin(), ::tolower);
    const json::json_pointer where = json::json_pointer("/paths") / route.path / method;
    if (!doc.contains(where)) continue;  // OpenApiTest names the undocumented route
    json& op = doc[where];
    json roles = json::array();
    for (Role r : route.roles) roles.push_back(std::string(orders::RoleName(r)));
    op["x-roles"] = roles;
    op["security"] =
        route.roles.empty()
            ? json::array()
            : json::array({{{"bearer", json::array()}}, {{"consoleSession", json::array()}}});
    const std::string who = route.roles.empty() ? "public" : "roles: " + json(roles).dump();
    op["description"] = op.value("description", "") + (op.contains("description") ? "\n\n" : "") +
                        "Who may call it: " + who + ".";
    // the nth {name} of the template is the nth group of the route's regex
    const std::string path = route.path, regex = route.regex;
    auto names = std::sregex_iterator(path.begin(), path.end(), placeholder);
    auto groups = std::sregex_iterator(regex.begin(), regex.end(), group);
    for (; names != std::sregex_iterator() && groups != std::sregex_iterator(); ++names, ++groups) {
      op["parameters"].push_back(
          {{"name", (*names)[1].str()},
           {"in", "path"},
           {"required", true},
           {"schema", {{"type", "string"}, {"pattern", "^" + (*groups)[1].str() + "$"}}}});
    }
    json& responses = op["responses"];
    const auto problem = [&](const char* status) {
      if (!responses.contains(status)) {
        responses[status] = {{"$ref", "#/components/responses/Problem"}};
      }
    };
    if (!route.roles.empty()) {
      problem("401");
      problem("403");
    }
    if (method == "post") {
      problem("400");
      problem("422");
    }
    problem("500");
  }
  return doc;
}

}  // namespace keepsake::services
