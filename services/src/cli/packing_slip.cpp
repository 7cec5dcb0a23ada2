// `keepsake packing-slip render`: the packing slips of orders in one PDF (A5, a slip per order).
#include <iostream>

#include "cli/command.hpp"
#include "keepsake/logistics/labels.hpp"
#include "keepsake/orders/product_catalog.hpp"
#include "keepsake/services/asset_files.hpp"
#include "keepsake/services/item_pictures.hpp"

namespace keepsake::services::cli {

namespace {

struct SlipOptions {
  ServerConfig config;
  std::vector<std::string> orders;
  std::string out, assets;
};

int Render(const SlipOptions& o) {
  const std::string assets_dir = FindAssetsDir(o.assets);
  auto catalog = orders::ProductCatalog::Load(assets_dir + "/products.json");
  if (!catalog) return Die(catalog.error().message);
  auto store = OpenExistingStore(o.config);
  if (!store) return Die(store.error().message);
  std::vector<int64_t> ids;
  for (const std::string& key : o.orders) {
    const bool is_id =
        !key.empty() && key.size() < 18 && key.find_first_not_of("0123456789") == std::string::npos;
    auto order = is_id ? (*store)->Orders().GetOrder(std::stoll(key))
                       : (*store)->Orders().GetOrderByNumber(key);
    if (!order) return Die(order.error().message);
    ids.push_back(order->id);
  }
  auto pdf = logistics::PrintPackingSlips(**store, *catalog, assets_dir, ids,
                                          PreviewPictures(**store, o.config.data_dir));
  if (!pdf) return Die(pdf.error().message);
  if (!WriteFileAtomically(o.out, *pdf)) return Die("cannot write " + o.out);
  std::cout << ids.size() << " packing slip(s) written to " << o.out << std::endl;
  return 0;
}

}  // namespace

std::vector<Command> AddPackingSlip(CLI::App& app) {
  auto o = std::make_shared<SlipOptions>();
  auto* slip = app.add_subcommand("packing-slip", "Packing slips");
  slip->require_subcommand(1);
  auto* render =
      slip->add_subcommand("render", "Packing slips of orders into one PDF (A5, a slip per order)");
  AddDataOption(*render, o->config);
  render->add_option("--order", o->orders, "Order number or id (repeat for a batch)")->required();
  render->add_option("--out", o->out, "The PDF to write")->required();
  render->add_option("--assets", o->assets, "Folder with products.json, logistics.json");
  return {{render, [o] { return Render(*o); }}};
}

}  // namespace keepsake::services::cli
