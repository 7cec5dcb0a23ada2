#include "logistics_settings.hpp"

#include <algorithm>

#include <fstream>
#include <map>

namespace keepsake::logistics {

using nlohmann::json;

orders::Result<json> LogisticsSettings(const std::string& assets_dir) {
  std::ifstream settings_file(assets_dir + "/logistics.json");
  json settings = json::parse(settings_file, nullptr, false);
  if (!settings.is_object()) {
    return tl::unexpected(
        orders::Error{orders::Errc::kStorage, "assets/logistics.json cannot be read", "", {}});
  }
  return settings;
}

imaging::LabelFonts Fonts(const json& settings) {
  const json fonts = settings.value("fonts", json::object());
  return {fonts.value("latin", ""), fonts.value("cjk", "")};
}

std::string ContentsSummary(const orders::Order& order, const orders::ProductCatalog& catalog,
                            const std::vector<int64_t>& items) {
  std::map<std::string, int> counts;
  for (const orders::Item& item : order.items) {
    // a parcel of a split order holds only its items
    if (!items.empty() && std::find(items.begin(), items.end(), item.id) == items.end()) continue;
    ++counts[item.product];
  }
  std::string contents;
  for (const auto& [product, n] : counts) {
    const orders::Product* p = catalog.Find(product);
    contents += (contents.empty() ? "" : ", ") + std::to_string(n) + " x " +
                (p != nullptr ? p->title : product);
  }
  return contents;
}

orders::Result<Party> SenderContact(const json& settings) {
  const json contact = settings.value("sender_contact", json::object());
  Party p;
  const std::pair<const char*, std::string*> fields[] = {
      {"name", &p.name}, {"phone", &p.phone},       {"province", &p.province},
      {"city", &p.city}, {"district", &p.district}, {"address", &p.address}};
  for (const auto& [name, target] : fields) {
    if (!contact.is_object() || !contact.contains(name) || !contact[name].is_string() ||
        contact[name].get<std::string>().empty()) {
      return tl::unexpected(Invalid(std::string("assets/logistics.json has no sender_contact.") +
                                        name + ": a carrier books nothing without the sender",
                                    "carrier"));
    }
    *target = contact[name].get<std::string>();
  }
  p.company = contact.value("company", "");
  return p;
}

}  // namespace keepsake::logistics
