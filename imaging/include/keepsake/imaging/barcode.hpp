// Barcodes for shipping labels, encoded by zxing-cpp (Debian's libzxing): Code 128 for the
// waybill number, QR for the order. The result is the module grid, which each output draws
// itself (vector bars in a PDF, pixels in a PNG, or a printer's own command in ZPL).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "keepsake/imaging/inspect.hpp"

namespace keepsake::imaging {

struct BarcodeModules {
  int width = 0;              // modules across (without quiet zone)
  int height = 0;             // 1 for a linear code
  std::vector<uint8_t> dark;  // row by row, 1 = a dark module
  bool Dark(int x, int y) const { return dark[static_cast<size_t>(y) * width + x] != 0; }
};

// Errors (kUnprintable): text Code 128 cannot carry (it takes printable ASCII), or too long.
tl::expected<BarcodeModules, Error> Code128(const std::string& text);
tl::expected<BarcodeModules, Error> QrCode(const std::string& text);

}  // namespace keepsake::imaging
