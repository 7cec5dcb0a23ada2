// Private: JSON shapes of the API (rendering of orders, items, events, jobs; parsing of a new
// order). Masking by role happens here, at the edge, through orders/masking.hpp.
#pragma once

#include <nlohmann/json.hpp>

#include "keepsake/logistics/shipment.hpp"
#include "keepsake/orders/error.hpp"
#include "keepsake/orders/state_machine.hpp"
#include "keepsake/orders/types.hpp"

namespace keepsake::services::api_json {

using nlohmann::json;

// Roles that see personal data unmasked: the channel sent it and owns it.
bool SeesPersonalData(orders::Role role);

json ItemJson(const orders::Item& item, orders::Role viewer);
json OrderJson(const orders::Order& order, orders::Role viewer);
json EventJson(const orders::Event& event);
json JobJson(const orders::Job& job);
json AssetJson(const orders::Asset& asset);
json StateMachineJson(const orders::StateMachine& machine);
json ShipmentJson(const logistics::Shipment& shipment);

// A body field that is missing or not what the route takes (a 422 invalid_field).
struct FieldError {
  std::string message;
  std::string field;
};
template <class T>
using Parsed = tl::expected<T, FieldError>;

// Parses the body of POST /api/v1/orders. Errors name the field.
Parsed<orders::NewOrder> ParseNewOrder(const json& body);

}  // namespace keepsake::services::api_json
