#include <cstdio>

#include "break_to_width.hpp"
#include "keepsake/imaging/barcode.hpp"
#include "keepsake/imaging/label.hpp"

namespace keepsake::imaging {

namespace {

constexpr double kDotsPerMm = 8;  // 203 dpi

std::string Dots(double mm) { return std::to_string(static_cast<int>(mm * kDotsPerMm + 0.5)); }

// ZPL field data may not hold its own command characters: ^ and ~ become spaces.
std::string FieldData(std::string text) {
  for (char& c : text) {
    if (c == '^' || c == '~') c = ' ';
  }
  return text;
}

bool Ascii(const std::string& text) {
  for (unsigned char c : text) {
    if (c >= 0x80) return false;
  }
  return true;
}

}  // namespace

tl::expected<std::string, Error> LabelsZpl(const std::vector<ShippingLabel>& labels,
                                           double width_mm, double height_mm) {
  if (labels.empty()) return tl::unexpected(Error{Errc::kUnprintable, "no labels to print"});
  const double sx = width_mm / 100, sy = height_mm / 150, s = std::min(sx, sy);
  std::string zpl;
  for (const ShippingLabel& label : labels) {
    if (auto code = Code128(label.waybill); !code) {
      return tl::unexpected(
          Error{Errc::kUnprintable, "label " + label.waybill + ": " + code.error().message});
    }
    // a text field at (x, y) mm, its height in mm
    auto text = [&](const std::string& t, double x, double y, double h) {
      const std::string font = Ascii(t) ? "^A0N," : "^A@N,";
      const std::string size = Dots(h * s) + "," + Dots(h * s);
      return "^FO" + Dots(x * sx) + "," + Dots(y * sy) + font + size +
             (Ascii(t) ? "" : ",E:SIMSUN.TTF") + "^FD" + FieldData(t) + "^FS\n";
    };
    zpl += "^XA\n^CI28\n^PW" + Dots(width_mm) + "\n^LL" + Dots(height_mm) + "\n";
    zpl += "^FO" + Dots(2 * sx) + "," + Dots(2 * sy) + "^GB" + Dots(96 * sx) + "," +
           Dots(146 * sy) + ",3^FS\n";
    zpl += text(label.carrier, 5, 5, 5);
    zpl += text(label.route_code, 5, 13, 9);
    zpl += "^FO" + Dots(8 * sx) + "," + Dots(30 * sy) + "^BY2^BCN," + Dots(20 * sy) + ",Y,N,N^FD" +
           FieldData(label.waybill) + "^FS\n";
    double y = 62;
    zpl += text("收件 To", 5, y, 3);
    // the printer draws the text: lines broken by an estimate of its font's widths
    for (const std::string& line : label.recipient) {
      for (const std::string& piece :
           BreakToWidth(line, 88, [](std::string_view t) { return EstimatedWidth(t, 4); })) {
        zpl += text(piece, 5, y += 5.5, 4);
      }
    }
    y = std::max(y + 6, 95.0);
    zpl += text("寄件 From", 5, y, 3);
    for (const std::string& line : label.sender) zpl += text(line, 5, y += 4.5, 3);
    zpl += text("Contents: " + label.contents, 5, 121, 3);
    zpl += text("Order: " + label.reference, 5, 127, 3);
    if (const std::string line = ParcelLine(label); !line.empty()) zpl += text(line, 5, 133, 3);
    zpl += "^FO" + Dots(72 * sx) + "," + Dots(120 * sy) + "^BQN,2," +
           std::to_string(std::max(2, static_cast<int>(4 * s))) + "^FDMA," +
           FieldData(label.qr_text) + "^FS\n";
    zpl += "^XZ\n";
  }
  return zpl;
}

}  // namespace keepsake::imaging
