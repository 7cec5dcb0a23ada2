#include "logistics_settings.hpp"

#include <fstream>

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

}  // namespace keepsake::logistics
