// Packing slips: one A5 page per order (its items with a picture and their QC state, its
// parcels, the recipient masked), drawn by imaging.
#include <nlohmann/json.hpp>

#include "keepsake/imaging/packing_slip.hpp"
#include "keepsake/logistics/labels.hpp"
#include "keepsake/logistics/shipment_repository.hpp"
#include "keepsake/orders/masking.hpp"
#include "keepsake/orders/state_names.hpp"
#include "logistics_settings.hpp"

namespace keepsake::logistics {

orders::Result<std::string> PrintPackingSlips(orders::Store& store,
                                              const orders::ProductCatalog& catalog,
                                              const std::string& assets_dir,
                                              const std::vector<int64_t>& order_ids,
                                              const ItemPicture& item_picture) {
  if (order_ids.empty()) return tl::unexpected(Invalid("no orders to pack", "orders"));
  auto loaded = LogisticsSettings(assets_dir);
  if (!loaded) return tl::unexpected(loaded.error());
  ShipmentRepository shipments(store);
  std::vector<imaging::PackingSlip> slips;
  for (int64_t id : order_ids) {
    auto order = store.Orders().GetOrder(id);
    if (!order) return tl::unexpected(order.error());
    if (!order->customer) {
      return tl::unexpected(
          Invalid("order " + order->number + " has no recipient (its data was purged)", "orders"));
    }
    imaging::PackingSlip slip;
    slip.order_number = order->number;
    slip.placed_on = "下单 Placed " + order->created_at.substr(0, 10);
    const orders::Customer& c = *order->customer;
    const orders::Address masked = orders::MaskAddress(c.address);
    slip.recipient = {orders::MaskName(c.name), orders::MaskPhone(c.phone),
                      masked.province + " " + masked.city + " " + masked.district + " ***"};
    slip.service_phone = loaded->value("service_phone", "");
    auto parcels = shipments.ShipmentsOfOrder(order->id);
    if (!parcels) return tl::unexpected(parcels.error());
    if (parcels->empty()) {
      slip.parcel = "包裹 Parcel: none yet";
    } else {
      for (size_t k = 0; k < parcels->size(); ++k) {
        const logistics::Shipment& p = (*parcels)[k];
        std::string line = (k == 0 ? "包裹 Parcel " : "; ") + std::to_string(k + 1) + "/" +
                           std::to_string(parcels->size()) + " " + p.tracking_number;
        if (p.weight_g > 0) line += " " + std::to_string(p.weight_g) + " g";
        if (!p.size_mm.empty()) line += " " + p.size_mm + " mm";
        slip.parcel += line;
      }
      if ((*parcels)[0].reshipment) slip.note = "补发 Reshipment (warranty reprint)";
    }
    for (const orders::Item& item : order->items) {
      imaging::PackingSlipItem line;
      const orders::Product* product = catalog.Find(item.product);
      // the slip goes in the parcel to the customer: the catalogue's Chinese title (the item's
      // product id follows on the detail line)
      line.title = product != nullptr ? product->title_zh : item.product;
      line.detail = "item " + std::to_string(item.position + 1) + " · " + item.product;
      for (const auto& [option, value] : item.options) {
        line.detail += " · " + option + " " + std::to_string(value);
      }
      line.qc = item.state == orders::item_state::kProduced ? "✓ QC passed"
                                                            : "✗ not produced (" + item.state + ")";
      if (item_picture) line.picture_png = item_picture(item.id);
      slip.items.push_back(std::move(line));
    }
    slips.push_back(std::move(slip));
  }
  auto pdf = imaging::PackingSlipsPdf(slips, Fonts(*loaded));
  if (!pdf) return tl::unexpected(Invalid(pdf.error().message, "orders"));
  return *pdf;
}

}  // namespace keepsake::logistics
