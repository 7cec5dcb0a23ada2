// Packing slips: the sheet that goes into the parcel and that the packer checks the box
// against. A5 portrait, one order per slip (more pages when it has many items): the order
// number large with its Code 128 (the packer scans it), the parcel, the recipient (already
// masked by the caller), a line per item with a small picture of what was made, the quantity
// and its quality check, and the customer-service phone. Same fonts and PDF writer as the
// shipping labels (label.hpp).
#pragma once

#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "keepsake/imaging/inspect.hpp"
#include "keepsake/imaging/label.hpp"

namespace keepsake::imaging {

struct PackingSlipItem {
  std::string title;   // "Fridge magnet 80 x 53 mm"
  std::string detail;  // "item 2 · magnet-rect"
  int quantity = 1;
  std::string qc;           // "QC passed" or what is missing
  std::string picture_png;  // the item's preview (PNG), or empty
};

struct PackingSlip {
  std::string order_number;            // KS00000042
  std::string placed_on;               // 2026-11-23
  std::string parcel;                  // "parcel 1 of 2 · SF1234567890 · 320 g · 200x150x80 mm"
  std::vector<std::string> recipient;  // lines, masked
  std::vector<PackingSlipItem> items;
  std::string service_phone;  // customer service, printed at the foot
  std::string note;           // e.g. "reshipment of KS00000040", or empty
};

// Errors: kUnprintable (a character neither font has, a picture that is not a PNG within
// 4096 x 4096), kInternal (a font cannot be read).
tl::expected<std::string, Error> PackingSlipsPdf(const std::vector<PackingSlip>& slips,
                                                 const LabelFonts& fonts);

}  // namespace keepsake::imaging
