// `keepsake label render`: the labels of parcels in one file (PDF, a label per page; ZPL; or
// one PNG). A parcel whose label cannot be drawn is left out with its reason (exit 3).
#include <iostream>

#include "cli/command.hpp"
#include "keepsake/logistics/labels.hpp"
#include "keepsake/orders/product_catalog.hpp"
#include "keepsake/services/asset_files.hpp"

namespace keepsake::services::cli {

namespace {

struct LabelOptions {
  ServerConfig config;
  std::vector<int64_t> shipments;
  std::string size = "100x150", format = "pdf", out, assets;
  int dpi = 203;
};

int Render(const LabelOptions& o) {
  const std::string assets_dir = FindAssetsDir(o.assets);
  auto catalog = orders::ProductCatalog::Load(assets_dir + "/products.json");
  if (!catalog) return Die(catalog.error().message);
  auto store = OpenExistingStore(o.config);
  if (!store) return Die(store.error().message);
  auto printed = logistics::PrintLabelBatch(
      **store, *catalog, assets_dir, {o.shipments, o.size, o.format, o.dpi},
      orders::Actor{"keepsake label render", orders::Role::kLogistics});
  if (!printed) return Die(printed.error().message);
  if (!WriteFileAtomically(o.out, printed->bytes)) return Die("cannot write " + o.out);
  std::cout << o.shipments.size() - printed->failed.size() << " label(s), batch " << printed->batch
            << ", written to " << o.out << std::endl;
  for (const logistics::LabelFailure& f : printed->failed) {
    std::cerr << "keepsake label render: parcel " << f.shipment << " left out: " << f.reason
              << std::endl;
  }
  return printed->failed.empty() ? 0 : 3;
}

}  // namespace

std::vector<Command> AddLabel(CLI::App& app) {
  auto o = std::make_shared<LabelOptions>();
  auto* label = app.add_subcommand("label", "Shipping labels");
  label->require_subcommand(1);
  auto* render = label->add_subcommand(
      "render", "Labels of parcels into one file (PDF, a label per page; ZPL; or one PNG)");
  AddDataOption(*render, o->config);
  render->add_option("--shipment", o->shipments, "Parcel id (repeat for a batch)")->required();
  render->add_option("--size", o->size, "100x150 or 76x130 (mm)")->capture_default_str();
  render->add_option("--format", o->format, "pdf, png (one parcel) or zpl")->capture_default_str();
  render->add_option("--dpi", o->dpi, "png: 203 or 300")->capture_default_str();
  render->add_option("--out", o->out, "The file to write")->required();
  render->add_option("--assets", o->assets, "Folder with products.json, logistics.json");
  return {{render, [o] { return Render(*o); }}};
}

}  // namespace keepsake::services::cli
