// Shipping labels: a batch from parcels, drawn by imaging (PDF, PNG or ZPL), or in a PDF the
// carrier's own where it drew one of the size asked for; each parcel marked label_printed with
// the batch id.
#include "keepsake/logistics/labels.hpp"

#include <cstdio>
#include <functional>
#include <map>

#include <nlohmann/json.hpp>

#include "keepsake/imaging/label.hpp"
#include "keepsake/logistics/carrier.hpp"
#include "keepsake/logistics/shipment_repository.hpp"
#include "keepsake/logistics/shipment_state_machine.hpp"
#include "keepsake/orders/crypto.hpp"
#include "keepsake/orders/masking.hpp"
#include "logistics_settings.hpp"

namespace keepsake::logistics {

using nlohmann::json;

namespace {

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

// "浙江省 杭州市 西湖区 文三路 100 号 3 幢 501 室": province to room, the parts that are there.
std::string FullAddress(const orders::Address& a) {
  std::string out;
  for (const std::string* part : {&a.province, &a.city, &a.district, &a.street, &a.detail}) {
    if (part->empty()) continue;
    out += (out.empty() ? "" : " ") + *part;
  }
  return out;
}

// The request's size, format and dpi as the printers take them.
orders::Result<void> CheckRequest(const LabelRequest& request) {
  const std::string& format = request.format;
  if (request.size != "100x150" && request.size != "76x130") {
    return tl::unexpected(Invalid("size is 100x150 or 76x130 (mm)", "size", {"100x150", "76x130"}));
  }
  if (format != "pdf" && format != "png" && format != "zpl") {
    return tl::unexpected(Invalid("format is pdf, png or zpl", "format", {"pdf", "png", "zpl"}));
  }
  if (format == "png" && request.dpi != 203 && request.dpi != 300) {
    return tl::unexpected(Invalid("dpi is 203 or 300 (the printer's head)", "dpi", {"203", "300"}));
  }
  if (request.shipments.empty()) {
    return tl::unexpected(Invalid("no parcels to print", "shipments"));
  }
  if (format == "png" && request.shipments.size() > 1) {
    return tl::unexpected(
        Invalid("a png is one label; print a batch as pdf (a label per page) or zpl", "format",
                {"pdf", "zpl"}));
  }
  return {};
}

// What goes on one parcel's label.
imaging::ShippingLabel LabelFor(const Shipment& shipment, const orders::Order& order,
                                const orders::Customer& c, const orders::ProductCatalog& catalog,
                                const json& settings, const std::string& parcel) {
  imaging::ShippingLabel label;
  label.carrier = CarrierDisplayName(shipment.carrier);
  label.waybill = shipment.tracking_number;
  // the carrier's own routing code when it booked the parcel (what its sorters read), else
  // the destination area
  label.route_code = shipment.routing_code.empty()
                         ? RouteCode(c.address)
                         : shipment.routing_code +
                               (shipment.sorting_code.empty() ? "" : "  " + shipment.sorting_code);
  label.parcel = parcel;
  if (shipment.weight_g > 0) {
    char kg[32];
    std::snprintf(kg, sizeof kg, "%.2f kg", shipment.weight_g / 1000.0);
    label.weight = kg;
  }
  // the recipient as GB/T 41833-2022 asks of waybills: family name, six digits of the phone
  // hidden (the courier calls through the carrier's number); the address in full, down to the
  // room, since it is what the courier delivers to. Screens and logs keep it masked.
  label.recipient = {orders::MaskName(c.name) + "  " + orders::MaskPhone(c.phone),
                     FullAddress(c.address)};
  for (const json& line : settings.value("sender", json::array())) {
    if (line.is_string()) label.sender.push_back(line.get<std::string>());
  }
  label.contents = ContentsSummary(order, catalog, shipment.items);
  label.reference =
      order.number + (shipment.reshipment || shipment.replaces != 0 ? " (reshipment)" : "");
  if (shipment.claim_id != 0) {
    // a return: from the customer (masked, as any waybill) to the shop
    label.sender = label.recipient;
    label.recipient.clear();
    for (const json& line : settings.value("sender", json::array())) {
      if (line.is_string()) label.recipient.push_back(line.get<std::string>());
    }
    if (shipment.routing_code.empty()) label.route_code = "RETURN";
    label.reference = order.number + " (return, claim " + std::to_string(shipment.claim_id) + ")";
  }
  label.qr_text = order.number;
  return label;
}

using Drawn = tl::expected<std::string, imaging::Error>;
using Draw = std::function<Drawn(const std::vector<imaging::ShippingLabel>&)>;

// Draws the labels; when one spoils the batch, finds which (alone, it cannot be drawn), lists
// it in `failed` and draws the others. `labels` and `parcels` keep what was drawn.
Drawn DrawSieved(const Draw& draw, std::vector<imaging::ShippingLabel>& labels,
                 std::vector<Shipment>& parcels, std::vector<LabelFailure>& failed) {
  if (labels.empty()) return std::string();
  auto bytes = draw(labels);
  if (bytes) return bytes;
  if (labels.size() == 1) {
    failed.push_back({parcels.front().id, bytes.error().message});
    labels.clear();
    parcels.clear();
    return std::string();
  }
  std::vector<imaging::ShippingLabel> good_labels;
  std::vector<Shipment> good_parcels;
  for (size_t k = 0; k < labels.size(); ++k) {
    auto alone = draw({labels[k]});
    if (alone) {
      good_labels.push_back(labels[k]);
      good_parcels.push_back(parcels[k]);
    } else {
      failed.push_back({parcels[k].id, alone.error().message});
    }
  }
  labels = std::move(good_labels);
  parcels = std::move(good_parcels);
  return labels.empty() ? Drawn(std::string()) : draw(labels);
}

}  // namespace

orders::Result<LabelBatch> PrintLabelBatch(orders::Store& store,
                                           const orders::ProductCatalog& catalog,
                                           const std::string& assets_dir,
                                           const LabelRequest& request,
                                           const orders::Actor& actor) {
  if (auto checked = CheckRequest(request); !checked) return tl::unexpected(checked.error());
  auto loaded = LogisticsSettings(assets_dir);
  if (!loaded) return tl::unexpected(loaded.error());
  const json& settings = *loaded;
  std::vector<Shipment> parcels;
  std::vector<imaging::ShippingLabel> labels;
  LabelBatch out;
  ShipmentRepository shipments(store);
  for (int64_t id : request.shipments) {
    auto shipment = shipments.GetShipment(id);
    if (!shipment) return tl::unexpected(shipment.error());
    auto order = store.Orders().GetOrder(shipment->order_id);
    if (!order) return tl::unexpected(order.error());
    if (!order->customer) {
      out.failed.push_back(
          {id, "order " + order->number + " has no recipient (its data was purged)"});
      continue;
    }
    // this parcel's place among the order's parcels that travel (1/2, 2/2)
    auto siblings = shipments.ShipmentsOfOrder(order->id);
    if (!siblings) return tl::unexpected(siblings.error());
    int place = 0, count = 0;
    for (const Shipment& s : *siblings) {
      if (s.state == shipment_state::kCancelled || (s.claim_id != 0) != (shipment->claim_id != 0)) {
        continue;  // outbound parcels count among themselves, returns among themselves
      }
      ++count;
      if (s.id == shipment->id) place = count;
    }
    const std::string parcel =
        place > 0 ? std::to_string(place) + "/" + std::to_string(count) : std::string();
    labels.push_back(LabelFor(*shipment, *order, *order->customer, catalog, settings, parcel));
    // the label the carrier drew, in a PDF of its size (a PNG or ZPL, or another size, is our
    // drawing of the same codes)
    if (request.format == "pdf" && shipment->carrier_label_size == request.size) {
      auto own = shipments.CarrierLabelPdf(id);
      if (!own) return tl::unexpected(own.error());
      labels.back().carrier_pdf = std::move(*own);
    }
    parcels.push_back(*shipment);
  }
  const std::string& format = request.format;
  const bool large = request.size == "100x150";
  const double w = large ? 100 : 76, h = large ? 150 : 130;
  const Draw draw = [&](const std::vector<imaging::ShippingLabel>& some) -> Drawn {
    if (format == "pdf") return imaging::LabelsPdf(some, w, h, Fonts(settings));
    if (format == "zpl") return imaging::LabelsZpl(some, w, h);
    auto pngs = imaging::LabelsPng(some, w, h, Fonts(settings), request.dpi);
    if (!pngs) return tl::unexpected(pngs.error());
    return std::move(pngs->front());
  };
  auto bytes = DrawSieved(draw, labels, parcels, out.failed);
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
  out.batch = "B" + orders::NowUtcIso().substr(0, 19) + "-" + orders::NewRequestId().substr(0, 6);
  out.content_type = format == "pdf"   ? "application/pdf"
                     : format == "png" ? "image/png"
                                       : "application/vnd.zebra.zpl";
  out.extension = format;
  for (const Shipment& parcel : parcels) {
    const bool reprint = parcel.state != shipment_state::kCreated;
    // a parcel already handed over keeps its state (its label was only printed again)
    (void)shipments.TransitionShipment(
        parcel.id, std::string(shipment_event::kPrintLabel), actor, std::nullopt,
        (reprint ? "label reprinted in batch " : "label printed in batch ") + out.batch);
  }
  return out;
}

}  // namespace keepsake::logistics
