#include "keepsake/imaging/barcode.hpp"

#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>

#include <exception>

namespace keepsake::imaging {

namespace {

tl::expected<BarcodeModules, Error> Encode(ZXing::BarcodeFormat format, const std::string& text) {
  try {
    ZXing::MultiFormatWriter writer(format);
    writer.setMargin(0);  // the quiet zone is the drawing's business
    if (format == ZXing::BarcodeFormat::QRCode) writer.setEccLevel(2);  // M: 15 % recovery
    const ZXing::BitMatrix matrix = writer.encode(text, 0, 0);
    BarcodeModules out;
    out.width = matrix.width();
    // zxing draws a linear code as a band of identical rows: one row is the code
    out.height = format == ZXing::BarcodeFormat::Code128 ? 1 : matrix.height();
    out.dark.resize(static_cast<size_t>(out.width) * out.height);
    for (int y = 0; y < out.height; ++y) {
      for (int x = 0; x < out.width; ++x) {
        out.dark[static_cast<size_t>(y) * out.width + x] = matrix.get(x, y) ? 1 : 0;
      }
    }
    return out;
  } catch (const std::exception& e) {
    return tl::unexpected(
        Error{Errc::kUnprintable, std::string("the barcode cannot be made: ") + e.what()});
  }
}

}  // namespace

tl::expected<BarcodeModules, Error> Code128(const std::string& text) {
  if (text.empty() || text.size() > 80) {
    return tl::unexpected(Error{Errc::kUnprintable, "a Code 128 carries 1 to 80 characters"});
  }
  for (unsigned char c : text) {
    if (c < 0x20 || c > 0x7E) {
      return tl::unexpected(Error{Errc::kUnprintable,
                                  "Code 128 carries printable ASCII only: letters, digits, signs"});
    }
  }
  return Encode(ZXing::BarcodeFormat::Code128, text);
}

tl::expected<BarcodeModules, Error> QrCode(const std::string& text) {
  if (text.empty() || text.size() > 1000) {
    return tl::unexpected(Error{Errc::kUnprintable, "a QR code here carries 1 to 1000 bytes"});
  }
  return Encode(ZXing::BarcodeFormat::QRCode, text);
}

}  // namespace keepsake::imaging
