// Shipping labels: one drawing per label (canvas.hpp), written as a PDF batch (vector bars,
// real text in embedded subset fonts) or as PNGs at a thermal printer's dpi.
#include <algorithm>
#include <string_view>
#include <tuple>

#include "break_to_width.hpp"
#include "canvas.hpp"
#include "keepsake/imaging/barcode.hpp"
#include "keepsake/imaging/label.hpp"
#include "pdf_pages.hpp"

namespace keepsake::imaging {

namespace {

tl::expected<void, Error> DrawLabel(Canvas& page, const ShippingLabel& label, double w, double h) {
  const double sx = w / 100, sy = h / 150, s = std::min(sx, sy);  // laid out for 100 x 150
  auto text = [&](const std::string& t, double x, double y, double pt) {
    return page.Text(t, x * sx, y * sy, pt * s);
  };
  page.Line(2 * sx, 2 * sy, (100 - 2) * sx, 2 * sy, 0.8);
  page.Line(2 * sx, (150 - 2) * sy, (100 - 2) * sx, (150 - 2) * sy, 0.8);
  page.Line(2 * sx, 2 * sy, 2 * sx, (150 - 2) * sy, 0.8);
  page.Line((100 - 2) * sx, 2 * sy, (100 - 2) * sx, (150 - 2) * sy, 0.8);
  if (auto done = text(label.carrier, 5, 10, 13); !done) return tl::unexpected(done.error());
  // the routing code as large as the label's width lets it (a Kuaidi100 bulkpen with its
  // sorting code can be wider than 24 pt allows)
  const auto fitted = [&](const std::string& t, double pt, double min_pt, double width_mm) {
    auto measured = page.Measure(t, pt * s);
    if (!measured || *measured <= width_mm * sx) return pt;
    return std::max(min_pt, pt * width_mm * sx / *measured);
  };
  if (auto done = text(label.route_code, 5, 23, fitted(label.route_code, 24, 10, 90)); !done) {
    return tl::unexpected(done.error());
  }
  page.Line(2 * sx, 27 * sy, 98 * sx, 27 * sy, 0.8);
  // the waybill: Code 128 bars across the label, its characters centred under them
  auto bars = Code128(label.waybill);
  if (!bars) return tl::unexpected(bars.error());
  page.Modules(*bars, 8 * sx, 30 * sy, (100 - 16) * sx, 20 * sy);
  auto width = page.Measure(label.waybill, 11 * s);
  if (!width) return tl::unexpected(width.error());
  if (auto done = page.Text(label.waybill, (w - *width) / 2, 55 * sy, 11 * s); !done) {
    return tl::unexpected(done.error());
  }
  page.Line(2 * sx, 58 * sy, 98 * sx, 58 * sy, 0.8);
  double y = 64;
  if (auto done = text("收件 To", 5, y, 8); !done) return tl::unexpected(done.error());
  // the recipient's lines broken to the label's width; a long address in a smaller size, so
  // that it keeps to its block above the sender
  std::vector<std::string> lines;
  double pt = 10;
  for (; pt >= 7; pt -= 1) {
    lines.clear();
    for (const std::string& line : label.recipient) {
      for (std::string& piece : BreakToWidth(line, 88 * sx, [&](std::string_view t) {
             auto measured = page.Measure(std::string(t), pt * s);
             return measured ? *measured : 1e9;  // a character no font has: Text says which below
           })) {
        lines.push_back(std::move(piece));
      }
    }
    if (lines.size() * pt * 0.55 <= 26) break;
  }
  pt = std::max(pt, 7.0);
  for (const std::string& line : lines) {
    y += pt * 0.55;
    if (auto done = text(line, 5, y, pt); !done) return tl::unexpected(done.error());
  }
  y = std::max(y + 4, 92.0);
  page.Line(2 * sx, y * sy, 98 * sx, y * sy, 0.5);
  y += 6;
  if (auto done = text("寄件 From", 5, y, 8); !done) return tl::unexpected(done.error());
  for (const std::string& line : label.sender) {
    y += 4.5;
    if (auto done = text(line, 5, y, 8); !done) return tl::unexpected(done.error());
  }
  page.Line(2 * sx, 118 * sy, 98 * sx, 118 * sy, 0.5);
  // the QR code at the bottom right, 24 mm (scaled); the lines beside it keep left of it, in a
  // smaller size or on a second line when they are long
  auto qr = QrCode(label.qr_text);
  if (!qr) return tl::unexpected(qr.error());
  const double side = 24 * s, qx = w - 4 * sx - side, qy = h - 4 * sy - side;
  const double beside_mm = (qx / sx) - 5 - 2;
  double yy = 119;
  for (const std::string& t :
       {"内容 Contents: " + label.contents, "订单 Order: " + label.reference, ParcelLine(label)}) {
    if (t.empty()) continue;
    const double size = fitted(t, 8, 6, beside_mm);
    for (const std::string& piece : BreakToWidth(t, beside_mm * sx, [&](std::string_view part) {
           auto measured = page.Measure(std::string(part), size * s);
           return measured ? *measured : 1e9;
         })) {
      yy += size * 0.75;
      if (auto done = text(piece, 5, yy, size); !done) return tl::unexpected(done.error());
    }
  }
  page.Modules(*qr, qx, qy, side, side);
  return {};
}

}  // namespace

std::string ParcelLine(const ShippingLabel& label) {
  std::string line;
  if (!label.parcel.empty()) line = "件数 Parcel " + label.parcel;
  if (!label.weight.empty()) line += (line.empty() ? "" : "   ") + ("重量 Weight " + label.weight);
  return line;
}

tl::expected<std::string, Error> LabelsPdf(const std::vector<ShippingLabel>& labels,
                                           double width_mm, double height_mm,
                                           const LabelFonts& fonts) {
  if (labels.empty()) return tl::unexpected(Error{Errc::kUnprintable, "no labels to print"});
  auto pair = FontPair::Open(fonts);
  if (!pair) return tl::unexpected(pair.error());
  std::vector<PdfCanvas> pages;
  pages.reserve(labels.size());
  for (const ShippingLabel& label : labels) {
    if (!label.carrier_pdf.empty()) continue;  // the carrier drew it
    pages.emplace_back(**pair, height_mm);
    if (auto drawn = DrawLabel(pages.back(), label, width_mm, height_mm); !drawn) {
      return tl::unexpected(
          Error{drawn.error().code, "label " + label.waybill + ": " + drawn.error().message});
    }
  }
  const std::string title = "Keepsake shipping labels";
  if (pages.size() == labels.size())
    return WriteCanvasPdf(**pair, pages, width_mm, height_mm, title);
  // carriers' own labels among ours: each in its place, its pages copied as they are
  std::string ours;
  if (!pages.empty()) {
    auto written = WriteCanvasPdf(**pair, pages, width_mm, height_mm, title);
    if (!written) return tl::unexpected(written.error());
    ours = std::move(*written);
  }
  std::vector<PdfPart> parts;
  int next_ours = 0;
  for (const ShippingLabel& label : labels) {
    if (label.carrier_pdf.empty()) {
      parts.push_back({&ours, next_ours++});
    } else {
      parts.push_back({&label.carrier_pdf, -1});
    }
  }
  return AssemblePdf(parts, title);
}

tl::expected<std::vector<std::string>, Error> LabelsPng(const std::vector<ShippingLabel>& labels,
                                                        double width_mm, double height_mm,
                                                        const LabelFonts& fonts, int dpi) {
  if (labels.empty()) return tl::unexpected(Error{Errc::kUnprintable, "no labels to print"});
  if (dpi != 203 && dpi != 300) {
    return tl::unexpected(Error{Errc::kUnprintable, "labels are drawn at 203 or 300 dpi"});
  }
  auto pair = FontPair::Open(fonts);
  if (!pair) return tl::unexpected(pair.error());
  std::vector<std::string> pngs;
  for (const ShippingLabel& label : labels) {
    RasterCanvas page(**pair, width_mm, height_mm, dpi);
    if (auto drawn = DrawLabel(page, label, width_mm, height_mm); !drawn) {
      return tl::unexpected(
          Error{drawn.error().code, "label " + label.waybill + ": " + drawn.error().message});
    }
    pngs.push_back(page.Png());
  }
  return pngs;
}

}  // namespace keepsake::imaging
