#include "keepsake/services/labels.hpp"

#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "keepsake/imaging/label.hpp"
#include "keepsake/imaging/packing_slip.hpp"
#include "keepsake/logistics/tracking.hpp"
#include "keepsake/services/crypto.hpp"
#include "keepsake/services/masking.hpp"
#include "keepsake/services/paths.hpp"

namespace keepsake::services {

using nlohmann::json;

namespace {

orders::Error Invalid(const std::string& message, const std::string& field,
                      std::vector<std::string> allowed = {}) {
  return orders::Error{orders::Errc::kInvalidArgument, message, field, std::move(allowed)};
}

// "浙江省 杭州市 西湖区" -> "杭州 西湖": the destination area a sorter reads first.
std::string RouteCode(const orders::Address& a) {
  auto trim = [](std::string name) {
    for (const std::string suffix : {"市", "区", "县", "省"}) {
      if (name.size() > suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        return name.substr(0, name.size() - suffix.size());
      }
    }
    return name;
  };
  return trim(a.city) + (a.district.empty() ? "" : " " + trim(a.district));
}

// assets/logistics.json: the sender block, the fonts, the service phone
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

}  // namespace

orders::Result<LabelBatch> PrintLabelBatch(orders::Store& store,
                                           const orders::ProductCatalog& catalog,
                                           const std::string& assets_dir,
                                           const LabelRequest& request,
                                           const orders::Actor& actor) {
  const std::string& size = request.size;
  const std::string& format = request.format;
  if (size != "100x150" && size != "76x130") {
    return tl::unexpected(Invalid("size is 100x150 or 76x130 (mm)", "size", {"100x150", "76x130"}));
  }
  if (format != "pdf" && format != "png" && format != "zpl") {
    return tl::unexpected(Invalid("format is pdf, png or zpl", "format", {"pdf", "png", "zpl"}));
  }
  if (format == "png" && request.dpi != 203 && request.dpi != 300) {
    return tl::unexpected(Invalid("dpi is 203 or 300 (the printer's head)", "dpi", {"203", "300"}));
  }
  const std::vector<int64_t>& shipment_ids = request.shipments;
  if (shipment_ids.empty()) return tl::unexpected(Invalid("no parcels to print", "shipments"));
  if (format == "png" && shipment_ids.size() > 1) {
    return tl::unexpected(
        Invalid("a png is one label; print a batch as pdf (a label per page) or zpl", "format",
                {"pdf", "zpl"}));
  }
  auto loaded = LogisticsSettings(assets_dir);
  if (!loaded) return tl::unexpected(loaded.error());
  const json& settings = *loaded;
  std::vector<orders::Shipment> parcels;
  std::vector<imaging::ShippingLabel> labels;
  LabelBatch out;
  for (int64_t id : shipment_ids) {
    auto shipment = store.Shipments().GetShipment(id);
    if (!shipment) return tl::unexpected(shipment.error());
    auto order = store.Orders().GetOrder(shipment->order_id);
    if (!order) return tl::unexpected(order.error());
    if (!order->customer) {
      out.failed.push_back(
          {id, "order " + order->number + " has no recipient (its data was purged)"});
      continue;
    }
    const orders::Customer& c = *order->customer;
    const orders::Address masked = MaskAddress(c.address);
    imaging::ShippingLabel label;
    label.carrier = shipment->carrier == "simulated" ? "Simulated Express" : shipment->carrier;
    label.waybill = shipment->tracking_number;
    label.route_code = RouteCode(c.address);
    // the recipient as GB/T 41833-2022 asks of waybills: family name, six digits hidden, no
    // street, unit or room
    label.recipient = {MaskName(c.name), MaskPhone(c.phone),
                       masked.province + " " + masked.city + " " + masked.district + " ***"};
    for (const json& line : settings.value("sender", json::array())) {
      if (line.is_string()) label.sender.push_back(line.get<std::string>());
    }
    std::map<std::string, int> counts;
    for (const orders::Item& item : order->items) ++counts[item.product];
    for (const auto& [product, n] : counts) {
      const orders::Product* p = catalog.Find(product);
      label.contents += (label.contents.empty() ? "" : ", ") + std::to_string(n) + " x " +
                        (p != nullptr ? p->title : product);
    }
    label.reference = order->number + (shipment->reshipment ? " (reshipment)" : "");
    label.qr_text = order->number;
    labels.push_back(std::move(label));
    parcels.push_back(*shipment);
  }
  const double w = size == "100x150" ? 100 : 76, h = size == "100x150" ? 150 : 130;
  const auto draw = [&](const std::vector<imaging::ShippingLabel>& some)
      -> tl::expected<std::string, imaging::Error> {
    if (format == "pdf") return imaging::LabelsPdf(some, w, h, Fonts(settings));
    if (format == "zpl") return imaging::LabelsZpl(some, w, h);
    auto pngs = imaging::LabelsPng(some, w, h, Fonts(settings), request.dpi);
    if (!pngs) return tl::unexpected(pngs.error());
    return std::move(pngs->front());
  };
  auto bytes =
      labels.empty() ? tl::expected<std::string, imaging::Error>(std::string()) : draw(labels);
  if (!bytes && labels.size() > 1) {
    // one label spoils the batch: find which, alone, cannot be drawn, and print the others
    std::vector<imaging::ShippingLabel> good_labels;
    std::vector<orders::Shipment> good_parcels;
    for (size_t k = 0; k < labels.size(); ++k) {
      auto alone = draw({labels[k]});
      if (alone) {
        good_labels.push_back(labels[k]);
        good_parcels.push_back(parcels[k]);
      } else {
        out.failed.push_back({parcels[k].id, alone.error().message});
      }
    }
    labels = std::move(good_labels);
    parcels = std::move(good_parcels);
    bytes =
        labels.empty() ? tl::expected<std::string, imaging::Error>(std::string()) : draw(labels);
  } else if (!bytes) {
    out.failed.push_back({parcels.front().id, bytes.error().message});
    labels.clear();
    parcels.clear();
    bytes = std::string();
  }
  if (!bytes) return tl::unexpected(Invalid(bytes.error().message, "shipments"));
  if (labels.empty()) {
    std::string reasons;
    for (const LabelFailure& f : out.failed) {
      reasons += (reasons.empty() ? "" : "; ") + std::string("parcel ") +
                 std::to_string(f.shipment) + ": " + f.reason;
    }
    return tl::unexpected(Invalid("no label could be made: " + reasons, "shipments"));
  }
  out.bytes = std::move(*bytes);
  out.batch = "B" + orders::NowUtcIso().substr(0, 19) + "-" + NewRequestId().substr(0, 6);
  out.content_type = format == "pdf"   ? "application/pdf"
                     : format == "png" ? "image/png"
                                       : "application/vnd.zebra.zpl";
  out.extension = format;
  for (const orders::Shipment& parcel : parcels) {
    const bool reprint = parcel.state != "created";
    // a parcel already handed over keeps its state (its label was only printed again)
    (void)store.Shipments().TransitionShipment(
        parcel.id, "print_label", actor, std::nullopt, logistics::DecideShipmentEvent,
        (reprint ? "label reprinted in batch " : "label printed in batch ") + out.batch);
  }
  return out;
}

std::string NewestPreviewAsset(orders::Store& store, int64_t item_id) {
  auto jobs = store.Jobs().JobsForItem(item_id);
  if (!jobs) return "";
  for (auto job = jobs->rbegin(); job != jobs->rend(); ++job) {
    const json result = json::parse(job->result, nullptr, false);
    if (result.is_object() && result.contains("files") && result["files"].is_object() &&
        result["files"].contains("preview.png") && result["files"]["preview.png"].is_object()) {
      return result["files"]["preview.png"].value("asset", "");
    }
  }
  return "";
}

orders::Result<std::string> PrintPackingSlips(orders::Store& store,
                                              const orders::ProductCatalog& catalog,
                                              const std::string& assets_dir,
                                              const std::string& data_dir,
                                              const std::vector<int64_t>& order_ids) {
  if (order_ids.empty()) return tl::unexpected(Invalid("no orders to pack", "orders"));
  auto loaded = LogisticsSettings(assets_dir);
  if (!loaded) return tl::unexpected(loaded.error());
  const DataPaths paths(data_dir);
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
    const orders::Address masked = MaskAddress(c.address);
    slip.recipient = {MaskName(c.name), MaskPhone(c.phone),
                      masked.province + " " + masked.city + " " + masked.district + " ***"};
    slip.service_phone = loaded->value("service_phone", "");
    auto parcels = store.Shipments().ShipmentsOfOrder(order->id);
    if (!parcels) return tl::unexpected(parcels.error());
    if (parcels->empty()) {
      slip.parcel = "包裹 Parcel: none yet";
    } else {
      for (size_t k = 0; k < parcels->size(); ++k) {
        const orders::Shipment& p = (*parcels)[k];
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
      line.title = product != nullptr ? product->title : item.product;
      line.detail = "item " + std::to_string(item.position + 1) + " · " + item.product;
      for (const auto& [option, value] : item.options) {
        line.detail += " · " + option + " " + std::to_string(value);
      }
      line.qc = item.state == "produced" ? "✓ QC passed" : "✗ not produced (" + item.state + ")";
      const std::string preview = NewestPreviewAsset(store, item.id);
      if (!preview.empty()) {
        std::ifstream file(paths.AssetFile(preview), std::ios::binary);
        std::stringstream bytes;
        bytes << file.rdbuf();
        line.picture_png = bytes.str();
      }
      slip.items.push_back(std::move(line));
    }
    slips.push_back(std::move(slip));
  }
  auto pdf = imaging::PackingSlipsPdf(slips, Fonts(*loaded));
  if (!pdf) return tl::unexpected(Invalid(pdf.error().message, "orders"));
  return *pdf;
}

}  // namespace keepsake::services
