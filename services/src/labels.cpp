#include "keepsake/services/labels.hpp"

#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "keepsake/imaging/label.hpp"
#include "keepsake/logistics/tracking.hpp"
#include "keepsake/services/crypto.hpp"
#include "keepsake/services/masking.hpp"

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

}  // namespace

orders::Result<LabelBatch> PrintLabelBatch(orders::Store& store,
                                           const orders::ProductCatalog& catalog,
                                           const std::string& assets_dir,
                                           const std::vector<int64_t>& shipment_ids,
                                           const std::string& size, const std::string& format,
                                           const orders::Actor& actor) {
  if (size != "100x150" && size != "76x130") {
    return tl::unexpected(Invalid("size is 100x150 or 76x130 (mm)", "size", {"100x150", "76x130"}));
  }
  if (format != "pdf" && format != "zpl") {
    return tl::unexpected(Invalid("format is pdf or zpl", "format", {"pdf", "zpl"}));
  }
  if (shipment_ids.empty()) return tl::unexpected(Invalid("no parcels to print", "shipments"));
  std::ifstream settings_file(assets_dir + "/logistics.json");
  const json settings = json::parse(settings_file, nullptr, false);
  if (!settings.is_object()) {
    return tl::unexpected(
        orders::Error{orders::Errc::kStorage, "assets/logistics.json cannot be read", "", {}});
  }
  std::vector<orders::Shipment> parcels;
  std::vector<imaging::ShippingLabel> labels;
  for (int64_t id : shipment_ids) {
    auto shipment = store.GetShipment(id);
    if (!shipment) return tl::unexpected(shipment.error());
    auto order = store.GetOrder(shipment->order_id);
    if (!order) return tl::unexpected(order.error());
    if (!order->customer) {
      return tl::unexpected(Invalid(
          "order " + order->number + " has no recipient (its data was purged)", "shipments"));
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
  const json fonts = settings.value("fonts", json::object());
  const double w = size == "100x150" ? 100 : 76, h = size == "100x150" ? 150 : 130;
  auto bytes =
      format == "pdf"
          ? imaging::LabelsPdf(labels, w, h, {fonts.value("latin", ""), fonts.value("cjk", "")})
          : imaging::LabelsZpl(labels, w, h);
  if (!bytes) return tl::unexpected(Invalid(bytes.error().message, "shipments"));
  LabelBatch out;
  out.bytes = std::move(*bytes);
  out.batch = "B" + orders::NowUtcIso().substr(0, 19) + "-" + NewRequestId().substr(0, 6);
  out.content_type = format == "pdf" ? "application/pdf" : "application/vnd.zebra.zpl";
  out.extension = format;
  for (const orders::Shipment& parcel : parcels) {
    const bool reprint = parcel.state != "created";
    // a parcel already handed over keeps its state (its label was only printed again)
    (void)store.TransitionShipment(
        parcel.id, "print_label", actor, std::nullopt, logistics::DecideShipmentEvent,
        (reprint ? "label reprinted in batch " : "label printed in batch ") + out.batch);
  }
  return out;
}

}  // namespace keepsake::services
