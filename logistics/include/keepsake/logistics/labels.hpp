// A batch of shipping labels from parcels: the recipient masked as waybills require, the
// route from city and district, our sender block (assets/logistics.json), contents from the
// catalogue; one PDF or ZPL stream; each parcel marked label_printed with the batch id (a
// second print recorded as a reprint). Shared by POST /api/v1/labels and `keepsake label
// render`. Packing slips for the same parcels' orders come from here too.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "keepsake/orders/product_catalog.hpp"
#include "keepsake/orders/store.hpp"

namespace keepsake::logistics {

struct LabelFailure {
  int64_t shipment = 0;
  std::string reason;
};

struct LabelBatch {
  std::string bytes;
  std::string batch;  // B2026-11-23T10:00:00-ab12cd
  std::string content_type;
  std::string extension;             // pdf or zpl
  std::vector<LabelFailure> failed;  // parcels left out (not marked printed), with the reason
};

struct LabelRequest {
  std::vector<int64_t> shipments;
  std::string size = "100x150";  // or 76x130
  std::string format = "pdf";    // pdf, png (one parcel at a time) or zpl
  int dpi = 203;                 // png: 203 or 300
};

// A parcel whose label cannot be made (its order has no recipient any more, a character no
// font has) is left out and listed in `failed`; the rest of the batch prints. Errors:
// kInvalidArgument (size, format, dpi, several parcels as png, no label could be made),
// kNotFound.
orders::Result<LabelBatch> PrintLabelBatch(orders::Store& store,
                                           const orders::ProductCatalog& catalog,
                                           const std::string& assets_dir,
                                           const LabelRequest& request, const orders::Actor& actor);

// The picture of an item on its packing slip (PNG bytes), or empty for none.
using ItemPicture = std::function<std::string(int64_t item_id)>;

// Packing slips (one PDF, A5, a slip per order in the order given): items with their picture,
// the QC state, the parcels, the recipient masked, the customer-service phone from
// assets/logistics.json. Errors: kNotFound, kInvalidArgument (an order with no recipient any
// more, a slip that cannot be drawn).
orders::Result<std::string> PrintPackingSlips(orders::Store& store,
                                              const orders::ProductCatalog& catalog,
                                              const std::string& assets_dir,
                                              const std::vector<int64_t>& order_ids,
                                              const ItemPicture& item_picture);

}  // namespace keepsake::logistics
