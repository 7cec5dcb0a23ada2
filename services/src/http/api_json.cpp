#include "http/api_json.hpp"

#include "http/edge_checks.hpp"
#include "keepsake/orders/masking.hpp"

namespace keepsake::services::api_json {

namespace {
tl::unexpected<FieldError> Fail(std::string message, std::string field) {
  return tl::unexpected<FieldError>(FieldError{std::move(message), std::move(field)});
}
}  // namespace

bool SeesPersonalData(orders::Role role) { return role == orders::Role::kChannel; }

json ItemJson(const orders::Item& item, orders::Role viewer) {
  return {
      {"id", item.id},
      {"position", item.position},
      {"product", item.product},
      {"options", item.options},
      {"asset", item.asset_id.empty() ? json(nullptr) : json(item.asset_id)},
      {"state", item.state},
      {"print_file", item.print_file.empty() ? json(nullptr) : json(item.print_file)},
      {"tuning", json::parse(item.tuning, nullptr, false)},
      // the greeting is the customer's own words: staff see it on the preview, where it
      // is checked, not in every listing
      {"text", SeesPersonalData(viewer) && !item.text.empty() ? json(item.text) : json(nullptr)},
      {"has_text", !item.text.empty()},
      {"version", item.version},
      {"allowed_events", orders::ItemStateMachine().AllowedEvents(item.state, viewer)},
      {"created_at", item.created_at},
      {"updated_at", item.updated_at}};
}

json OrderJson(const orders::Order& order, orders::Role viewer) {
  json customer = nullptr;
  // the print room prints files and needs nothing of the customer, not even masked
  if (order.customer && viewer != orders::Role::kProduction) {
    const bool full = SeesPersonalData(viewer);
    const orders::Customer& c = *order.customer;
    const orders::Address a = full ? c.address : orders::MaskAddress(c.address);
    customer = {{"name", full ? c.name : orders::MaskName(c.name)},
                {"phone", full ? c.phone : orders::MaskPhone(c.phone)},
                {"masked", !full},
                {"address",
                 {{"province", a.province},
                  {"city", a.city},
                  {"district", a.district},
                  {"street", a.street},
                  {"detail", a.detail}}}};
  }
  json items = json::array();
  for (const orders::Item& item : order.items) items.push_back(ItemJson(item, viewer));
  json out = {{"id", order.id},
              {"number", order.number},
              {"channel_ref", order.channel_ref},
              {"channel", order.channel},
              {"state", order.state},
              {"version", order.version},
              {"customer", customer},
              {"items", items},
              {"allowed_events", orders::OrderStateMachine().AllowedEvents(order.state, viewer)},
              {"created_at", order.created_at},
              {"updated_at", order.updated_at}};
  if (!order.held_from.empty()) out["held_from"] = order.held_from;
  return out;
}

json EventJson(const orders::Event& e) {
  json out = {{"id", e.id},     {"at", e.at},           {"actor", e.actor}, {"role", e.role},
              {"kind", e.kind}, {"from", e.from_state}, {"to", e.to_state}, {"reason", e.reason}};
  if (e.item_id) out["item"] = *e.item_id;
  json detail = json::parse(e.detail, nullptr, false);
  out["detail"] = detail.is_discarded() ? json::object() : detail;
  return out;
}

json JobJson(const orders::Job& job) {
  json result = job.result.empty() ? json(nullptr) : json::parse(job.result, nullptr, false);
  if (result.is_discarded()) result = nullptr;
  return {{"id", job.id},
          {"kind", job.kind},
          {"item", job.item_id},
          {"asset", job.asset_id},
          {"state", job.state},
          {"attempts", job.attempts},
          {"max_attempts", job.max_attempts},
          {"progress", job.progress},
          {"phase", job.phase},
          {"error", job.error.empty() ? json(nullptr) : json(job.error)},
          {"error_code", job.error_code.empty() ? json(nullptr) : json(job.error_code)},
          {"result", result},
          {"created_at", job.created_at},
          {"updated_at", job.updated_at}};
}

json AssetJson(const orders::Asset& asset) {
  return {{"id", asset.id},         {"sha256", asset.id},   {"kind", asset.kind},
          {"format", asset.format}, {"bytes", asset.bytes}, {"created_at", asset.created_at}};
}

json StateMachineJson(const orders::StateMachine& machine) {
  json transitions = json::array();
  for (const orders::Transition& t : machine.Transitions()) {
    json roles = json::array();
    for (orders::Role r : t.roles) roles.push_back(orders::RoleName(r));
    transitions.push_back({{"from", t.from}, {"event", t.event}, {"to", t.to}, {"roles", roles}});
  }
  json states = json::array();
  for (auto s : machine.States()) states.push_back(s);
  return {{"name", machine.Name()}, {"states", states}, {"transitions", transitions}};
}

namespace {

Parsed<std::string> RequiredString(const json& obj, const char* key, const std::string& path,
                                   bool required = true) {
  const std::string field = path.empty() ? key : path + "." + key;
  if (!obj.contains(key) || obj[key].is_null()) {
    if (!required) return std::string();
    return Fail(field + " is required", field);
  }
  if (!obj[key].is_string()) return Fail(field + " must be a string", field);
  return obj[key].get<std::string>();
}

// A customer's name or address part goes on labels, slips and screens as it is: refused when
// it holds what a printer or a terminal would act on instead of print.
Parsed<std::string> PrintableString(const json& obj, const char* key, const std::string& path,
                                    bool required = true) {
  auto value = RequiredString(obj, key, path, required);
  if (!value) return value;
  if (auto why = UnprintableCharacterIn(*value)) {
    const std::string field = path.empty() ? key : path + "." + key;
    return Fail(field + " cannot be printed on a label: " + *why, field);
  }
  return value;
}

}  // namespace

Parsed<orders::NewOrder> ParseNewOrder(const json& body) {
  if (!body.is_object()) return Fail("the body must be a JSON object", "");
  orders::NewOrder order;
  auto ref = RequiredString(body, "channel_ref", "");
  if (!ref) return tl::unexpected(ref.error());
  order.channel_ref = *ref;

  if (!body.contains("customer") || !body["customer"].is_object()) {
    return Fail("customer is required (an object)", "customer");
  }
  const json& c = body["customer"];
  auto name = PrintableString(c, "name", "customer");
  if (!name) return tl::unexpected(name.error());
  auto phone = PrintableString(c, "phone", "customer");
  if (!phone) return tl::unexpected(phone.error());
  order.customer.name = *name;
  order.customer.phone = *phone;
  if (!c.contains("address") || !c["address"].is_object()) {
    return Fail("customer.address is required (an object)", "customer.address");
  }
  const json& a = c["address"];
  std::string* fields[] = {&order.customer.address.province, &order.customer.address.city,
                           &order.customer.address.district, &order.customer.address.street,
                           &order.customer.address.detail};
  const char* names[] = {"province", "city", "district", "street", "detail"};
  for (int i = 0; i < 5; ++i) {
    const bool required = i == 0 || i == 1 || i == 4;
    auto value = PrintableString(a, names[i], "customer.address", required);
    if (!value) return tl::unexpected(value.error());
    *fields[i] = *value;
  }

  if (!body.contains("items") || !body["items"].is_array()) {
    return Fail("items is required (an array)", "items");
  }
  const json& items = body["items"];
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string path = "items[" + std::to_string(i) + "]";
    if (!items[i].is_object()) return Fail(path + " must be an object", path);
    orders::NewItem item;
    auto product = RequiredString(items[i], "product", path);
    if (!product) return tl::unexpected(product.error());
    item.product = *product;
    auto asset = RequiredString(items[i], "asset", path, /*required=*/false);
    if (!asset) return tl::unexpected(asset.error());
    item.asset_id = *asset;
    if (items[i].contains("options") && !items[i]["options"].is_null()) {
      const json& options = items[i]["options"];
      if (!options.is_object()) {
        return Fail(path + ".options must be an object", path + ".options");
      }
      for (const auto& [key, value] : options.items()) {
        if (!value.is_number_integer()) {
          return Fail(path + ".options." + key + " must be an integer", path + ".options." + key);
        }
        item.options[key] = value.get<int64_t>();
      }
    }
    if (items[i].contains("text") && !items[i]["text"].is_null()) {
      if (!items[i]["text"].is_string()) {
        return Fail(path + ".text must be a string", path + ".text");
      }
      item.text = items[i]["text"].get<std::string>();
      // a greeting may break lines (CR LF taken as LF); nothing else unprintable
      for (size_t at = item.text.find("\r\n"); at != std::string::npos;
           at = item.text.find("\r\n", at)) {
        item.text.erase(at, 1);
      }
      std::string without_breaks = item.text;
      std::erase(without_breaks, '\n');
      if (auto why = UnprintableCharacterIn(without_breaks)) {
        return Fail(path + ".text cannot be printed: " + *why, path + ".text");
      }
    }
    order.items.push_back(std::move(item));
  }
  return order;
}

json ShipmentJson(const logistics::Shipment& s) {
  return {{"id", s.id},
          {"order", s.order_number},
          {"carrier", s.carrier},
          {"tracking_number", s.tracking_number},
          {"state", s.state},
          {"reshipment", s.reshipment},
          {"replaces", s.replaces != 0 ? json(s.replaces) : json(nullptr)},
          {"weight_g", s.weight_g},
          {"size_mm", s.size_mm},
          {"created_by", s.created_by},
          {"created_at", s.created_at},
          {"updated_at", s.updated_at},
          {"version", s.version},
          {"last_scan_at", s.last_scan_at.empty() ? json(nullptr) : json(s.last_scan_at)},
          {"carrier_order_id", s.carrier_order_id},
          {"routing_code", s.routing_code},
          {"sorting_code", s.sorting_code},
          {"items", s.items},
          {"claim", s.claim_id != 0 ? json(s.claim_id) : json(nullptr)},
          {"pickup_at", s.pickup_at.empty() ? json(nullptr) : json(s.pickup_at)},
          // the carrier drew its own label of this size: a PDF of that size prints it
          {"carrier_label_size",
           s.carrier_label_size.empty() ? json(nullptr) : json(s.carrier_label_size)}};
}

}  // namespace keepsake::services::api_json
