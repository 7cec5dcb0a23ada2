// Private: what the label and the packing slip share: the shop's settings
// (assets/logistics.json: the sender block, the fonts, the service phone) and the refusal.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "keepsake/imaging/label.hpp"
#include "keepsake/logistics/carrier.hpp"
#include "keepsake/orders/error.hpp"
#include "keepsake/orders/product_catalog.hpp"
#include "keepsake/orders/types.hpp"

namespace keepsake::logistics {

// A request the label or slip cannot be made from: the field it names, the values it takes.
inline orders::Error Invalid(const std::string& message, const std::string& field,
                             std::vector<std::string> allowed = {}) {
  return orders::Error{orders::Errc::kInvalidArgument, message, field, std::move(allowed)};
}

// assets/logistics.json; kStorage when it cannot be read.
orders::Result<nlohmann::json> LogisticsSettings(const std::string& assets_dir);

imaging::LabelFonts Fonts(const nlohmann::json& settings);

// "1 x Photo magnet, 2 x Postcard": what the parcel holds, by the catalogue's titles.
std::string ContentsSummary(const orders::Order& order, const orders::ProductCatalog& catalog,
                            const std::vector<int64_t>& items = {});

// The shop as a carrier's sender (settings.sender_contact: name, phone, company, province,
// city, district, address). Errors: kInvalidArgument naming the missing field.
orders::Result<Party> SenderContact(const nlohmann::json& settings);

}  // namespace keepsake::logistics
