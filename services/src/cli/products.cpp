// `keepsake products`: every product with its options, a figure's material and a print
// product's numbers, so that staff can answer "what size is the magnet?" without the code.
#include <cstdio>

#include "cli/command.hpp"
#include "keepsake/orders/product_catalog.hpp"
#include "keepsake/services/print_command.hpp"

namespace keepsake::services::cli {

namespace {

void PrintProfileLine(const imaging::PrintProfile& r) {
  std::printf(
      "%-18s   print %.0f x %.0f mm%s, bleed %.1f mm, safe %.1f mm, %d dpi (warn below %d, "
      "refuse below %d), press %s\n",
      "", r.trim_width_mm, r.trim_height_mm,
      r.shape == imaging::PrintShape::kDieCut  ? " die-cut"
      : r.shape == imaging::PrintShape::kRound ? " round"
                                               : "",
      r.bleed_mm, r.safe_mm, r.target_dpi, r.warn_below_dpi, r.refuse_below_dpi, r.press.c_str());
}

int ListProducts(const std::string& assets_dir) {
  auto catalog = orders::ProductCatalog::Load(assets_dir + "/products.json");
  if (!catalog) return Die(catalog.error().message);
  auto print = LoadPrintSettings(assets_dir);
  if (!print) return Die(print.error());
  for (const orders::Product& p : catalog->Products()) {
    std::printf("%-18s %s\n", p.id.c_str(), p.title.c_str());
    for (const orders::ProductOption& o : p.options) {
      std::string values;
      for (int64_t v : o.values) values += (values.empty() ? "" : ", ") + std::to_string(v);
      std::printf("%-18s   option %s: %s (default %lld)\n", "", o.name.c_str(), values.c_str(),
                  static_cast<long long>(o.default_value));
    }
    if (const orders::Material* m = catalog->FindMaterial(p.material)) {
      std::printf("%-18s   material %s: minimum wall %.1f mm%s\n", "", m->title.c_str(),
                  m->min_wall_mm, m->colour ? ", full colour" : "");
    }
    const auto profile = print->profiles.find(p.id);
    if (profile != print->profiles.end()) PrintProfileLine(profile->second);
  }
  return 0;
}

}  // namespace

std::vector<Command> AddProducts(CLI::App& app) {
  auto* products = app.add_subcommand("products", "List the catalogue and its print numbers");
  return {{products, [] { return ListProducts(FindAssetsDir("")); }, false}};
}

}  // namespace keepsake::services::cli
