// The logistics lead's paper: label batches (PDF, PNG or ZPL), packing slips, and the list of
// orders to pack with the next step on each.
#include <algorithm>

#include "http/api_json.hpp"
#include "http/handlers.hpp"
#include "http/routes/routes.hpp"
#include "keepsake/logistics/labels.hpp"
#include "keepsake/services/item_pictures.hpp"

namespace keepsake::services {

namespace {

class PackingHandlers : public Handlers {
 public:
  using Handlers::Handlers;
  void PrintLabels(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void PrintPackingSlips(const Context&, const httplib::Request& req, httplib::Response& res);
  void PackingQueue(const Context&, const httplib::Request& req, httplib::Response& res);
};

void PackingHandlers::PrintLabels(const Context& ctx, const httplib::Request& req,
                                  httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  if (!body->contains("shipments") || !(*body)["shipments"].is_array() ||
      (*body)["shipments"].empty() || (*body)["shipments"].size() > 1000) {
    return ReplyInvalid(req, res, "shipments is a list of 1 to 1000 parcel ids", "shipments");
  }
  logistics::LabelRequest request;
  for (const json& id : (*body)["shipments"]) {
    if (!id.is_number_integer()) {
      return ReplyInvalid(req, res, "parcel ids are numbers", "shipments");
    }
    request.shipments.push_back(id.get<int64_t>());
  }
  for (const char* field : {"size", "format"}) {
    if (body->contains(field) && !(*body)[field].is_string()) {
      return ReplyInvalid(req, res, std::string(field) + " is a string", field);
    }
  }
  if (body->contains("dpi") && !(*body)["dpi"].is_number_integer()) {
    return ReplyInvalid(req, res, "dpi is 203 or 300", "dpi");
  }
  request.size = body->value("size", "100x150");
  request.format = body->value("format", "pdf");
  request.dpi = body->value("dpi", 203);
  auto printed = logistics::PrintLabelBatch(store, catalog, config.assets_dir, request, ctx.actor);
  if (!printed) return ReplyError(req, res, printed.error());
  res.set_header("X-Keepsake-Batch", printed->batch);
  if (!printed->failed.empty()) {
    // the file holds the labels that could be made; these parcels were left out (and stay
    // unprinted), each with its reason, ASCII-escaped for a header
    json failed = json::array();
    for (const logistics::LabelFailure& f : printed->failed) {
      failed.push_back({{"shipment", f.shipment}, {"reason", f.reason}});
    }
    res.set_header("X-Keepsake-Failed", failed.dump(-1, ' ', true));
  }
  res.set_header("Content-Disposition", "attachment; filename=\"labels-" + printed->batch + "." +
                                            printed->extension + "\"");
  res.status = 200;
  res.set_content(printed->bytes, printed->content_type);
}
// {"orders": ["KS00000042", 43, ...]}: one PDF, a packing slip per order
void PackingHandlers::PrintPackingSlips(const Context&, const httplib::Request& req,
                                        httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  if (!body->contains("orders") || !(*body)["orders"].is_array() || (*body)["orders"].empty() ||
      (*body)["orders"].size() > 500) {
    return ReplyInvalid(req, res, "orders is a list of 1 to 500 order numbers or ids", "orders");
  }
  std::vector<int64_t> ids;
  for (const json& key : (*body)["orders"]) {
    if (!key.is_string() && !key.is_number_integer()) {
      return ReplyInvalid(req, res, "orders are numbers (KS00000042) or ids", "orders");
    }
    auto found =
        FindOrder(key.is_string() ? key.get<std::string>() : std::to_string(key.get<int64_t>()));
    if (!found) return ReplyError(req, res, found.error());
    ids.push_back(found->id);
  }
  auto pdf = logistics::PrintPackingSlips(store, catalog, config.assets_dir, ids,
                                          PreviewPictures(store, config.data_dir));
  if (!pdf) return ReplyError(req, res, pdf.error());
  res.set_header("Content-Disposition", "attachment; filename=\"packing-slips.pdf\"");
  res.status = 200;
  res.set_content(*pdf, "application/pdf");
}
// The lead's work list: orders to pack (and packed ones not yet handed over), the longest
// waiting first, with their parcels and what is left to do on each.
void PackingHandlers::PackingQueue(const Context&, const httplib::Request& req,
                                   httplib::Response& res) {
  std::optional<int64_t> limit = 500;
  if (!QueryInteger(req, res, "limit", 1, 2000, limit)) return;
  auto queue = shipping.PackingQueue(static_cast<int>(*limit));
  if (!queue) return ReplyError(req, res, queue.error());
  const int64_t now = orders::UnixMsFromIso(orders::NowUtcIso());
  json list = json::array();
  for (const logistics::PackingQueueEntry& entry : *queue) {
    json row = {{"order", entry.order.number},
                {"id", entry.order.id},
                {"state", entry.order.state},
                {"version", entry.order.version},
                {"ready_since", entry.ready_since},
                {"waiting_hours", (now - orders::UnixMsFromIso(entry.ready_since)) / 3'600'000},
                {"items", json::array()},
                {"parcels", json::array()}};
    for (const orders::Item& item : entry.order.items) {
      const orders::Product* product = catalog.Find(item.product);
      row["items"].push_back({{"id", item.id},
                              {"product", item.product},
                              {"title", product != nullptr ? product->title : item.product},
                              {"title_zh", product != nullptr ? product->title_zh : item.product},
                              {"state", item.state}});
    }
    int unprinted = 0, on_the_bench = 0;
    for (const logistics::Shipment& parcel : entry.parcels) {
      row["parcels"].push_back(api_json::ShipmentJson(parcel));
      if (parcel.state == "created") ++unprinted;
      if (parcel.state == "created" || parcel.state == "label_printed") ++on_the_bench;
    }
    // of the items in no parcel yet: made (ready to go), or still being made
    json ready = json::array();
    int waiting = 0;
    for (const orders::Item& item : entry.order.items) {
      if (std::find(entry.unparcelled.begin(), entry.unparcelled.end(), item.id) ==
          entry.unparcelled.end()) {
        continue;
      }
      if (item.state == "produced") {
        ready.push_back(item.id);
      } else {
        ++waiting;
      }
    }
    row["unparcelled_ready"] = ready;
    row["items_in_production"] = waiting;
    const bool in_production = entry.order.state == "in_production";
    // the next step, so that the list reads as a to-do list; "ship" is left for a packed order
    // whose parcels were all handed over before it was packed (handing over the last parcel of
    // a packed order ships it by itself). An order still in production shows only when some
    // of it is ready: the lead sends that ahead ("send what is ready") or waits for the rest.
    row["next"] = unprinted > 0                          ? "print labels"
                  : in_production && on_the_bench > 0    ? "hand over"
                  : in_production                        ? "send what is ready"
                  : !ready.empty()                       ? "create a parcel"
                  : entry.order.state == "ready_to_pack" ? "pack"
                  : on_the_bench > 0                     ? "hand over"
                                                         : "ship";
    list.push_back(std::move(row));
  }
  Reply(res, 200, json{{"orders", list}, {"count", list.size()}});
}

}  // namespace

std::vector<Route> PackingRoutes() {
  using H = PackingHandlers;
  return {
      {"POST", "/api/v1/labels", "/api/v1/labels", {kLogistics}, Call<H, &H::PrintLabels>},
      {"POST",
       "/api/v1/packing-slips",
       "/api/v1/packing-slips",
       {kLogistics},
       Call<H, &H::PrintPackingSlips>},
      {"GET",
       "/api/v1/packing/queue",
       "/api/v1/packing/queue",
       {kLogistics, kCs, kAdmin},
       Call<H, &H::PackingQueue>},
  };
}

}  // namespace keepsake::services
