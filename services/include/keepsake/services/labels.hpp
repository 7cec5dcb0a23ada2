// A batch of shipping labels from parcels: the recipient masked as waybills require, the
// route from city and district, our sender block (assets/logistics.json), contents from the
// catalogue; one PDF or ZPL stream; each parcel marked label_printed with the batch id (a
// second print recorded as a reprint). Shared by POST /api/v1/labels and `keepsake label
// render`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keepsake/orders/product_catalog.hpp"
#include "keepsake/orders/store.hpp"

namespace keepsake::services {

struct LabelBatch {
  std::string bytes;
  std::string batch;  // B2026-11-23T10:00:00-ab12cd
  std::string content_type;
  std::string extension;  // pdf or zpl
};

// size: 100x150 or 76x130; format: pdf or zpl. Errors: kInvalidArgument (size, format, a
// parcel whose order has no recipient any more, a label that cannot be drawn), kNotFound.
orders::Result<LabelBatch> PrintLabelBatch(orders::Store& store,
                                           const orders::ProductCatalog& catalog,
                                           const std::string& assets_dir,
                                           const std::vector<int64_t>& shipment_ids,
                                           const std::string& size, const std::string& format,
                                           const orders::Actor& actor);

}  // namespace keepsake::services
