// Packing slips on A5, drawn through the same canvas as the labels (canvas.hpp).
#include "keepsake/imaging/packing_slip.hpp"

#include <algorithm>

#include "canvas.hpp"
#include "keepsake/imaging/barcode.hpp"
#include "keepsake/imaging/format.hpp"

namespace keepsake::imaging {

namespace {

constexpr double kWidthMm = 148, kHeightMm = 210;
constexpr size_t kItemsPerPage = 4;
constexpr double kRowMm = 25;

// The item's preview, decoded only when its header is a PNG of a sane size (the previews are
// ours, but a slip must not be the place where a bad file takes the server down).
tl::expected<cv::Mat, Error> DecodePicture(const std::string& png) {
  if (png.empty()) return cv::Mat();
  const auto format = SniffImageFormat(png);
  const auto size = format ? PeekImageSize(png, *format) : std::nullopt;
  if (format != ImageFormat::kPng || !size || size->width > 4096 || size->height > 4096) {
    return tl::unexpected(
        Error{Errc::kUnprintable, "an item's picture is not a PNG within 4096 x 4096"});
  }
  auto decoded = codec::Decode(png, int64_t{4096} * 4096, codec::Alpha::kDrop);
  if (!decoded) return tl::unexpected(Error{Errc::kUnprintable, "an item's picture is broken"});
  codec::Pixels& p = decoded->pixels;
  return cv::Mat(p.height, p.width, CV_8UC3, p.data.data()).clone();
}

tl::expected<void, Error> DrawPage(Canvas& page, const PackingSlip& slip, size_t first,
                                   size_t page_number, size_t pages) {
  std::string failure;
  auto text = [&](const std::string& t, double x, double y, double pt) {
    if (!failure.empty()) return;
    if (auto done = page.Text(t, x, y, pt); !done) failure = done.error().message;
  };
  text("装箱单 Packing slip", 10, 14, 14);
  text(slip.placed_on, 10, 20, 8);
  text(slip.order_number, 10, 31, 22);
  auto bars = Code128(slip.order_number);
  if (!bars) return tl::unexpected(bars.error());
  page.Modules(*bars, 88, 12, 50, 14);
  text(slip.parcel, 10, 38, 9);
  if (!slip.note.empty()) text(slip.note, 10, 43, 9);
  page.Line(8, 46, kWidthMm - 8, 46, 0.6);
  text("收件 To", 10, 52, 8);
  double y = 52;
  for (const std::string& line : slip.recipient) text(line, 10, y += 5, 10);
  y = std::max(y + 5, 72.0);
  page.Line(8, y, kWidthMm - 8, y, 0.6);
  const double header = y + 6;
  text("物品 Item", 10, header, 8);
  text("数量 Qty", 100, header, 8);
  text("质检 Quality check", 116, header, 8);
  double row = header + 3;
  for (size_t k = first; k < std::min(slip.items.size(), first + kItemsPerPage); ++k) {
    const PackingSlipItem& item = slip.items[k];
    auto picture = DecodePicture(item.picture_png);
    if (!picture) return tl::unexpected(picture.error());
    if (!picture->empty()) page.Picture(*picture, 10, row + 1.5, 22, 22);
    text(item.title, 36, row + 9, 10);
    text(item.detail, 36, row + 15, 8);
    text(std::to_string(item.quantity), 103, row + 9, 11);
    text(item.qc, 116, row + 9, 9);
    row += kRowMm;
    page.Line(10, row, kWidthMm - 10, row, 0.3);
  }
  if (page_number == pages) {
    int total = 0;
    for (const PackingSlipItem& item : slip.items) total += item.quantity;
    text("共 " + std::to_string(total) + " 件 · " + std::to_string(total) +
             (total == 1 ? " piece" : " pieces"),
         100, row + 7, 9);
  }
  page.Line(8, 192, kWidthMm - 8, 192, 0.6);
  text("客服电话 Customer service: " + slip.service_phone, 10, 199, 9);
  text("Thank you · 感谢您的订购", 10, 204, 8);
  const std::string numbering =
      "page " + std::to_string(page_number) + " of " + std::to_string(pages);
  text(numbering, kWidthMm - 28, 204, 8);
  if (!failure.empty()) return tl::unexpected(Error{Errc::kUnprintable, failure});
  return {};
}

}  // namespace

tl::expected<std::string, Error> PackingSlipsPdf(const std::vector<PackingSlip>& slips,
                                                 const LabelFonts& fonts) {
  if (slips.empty()) return tl::unexpected(Error{Errc::kUnprintable, "no packing slips to print"});
  auto pair = FontPair::Open(fonts);
  if (!pair) return tl::unexpected(pair.error());
  std::vector<PdfCanvas> pages;
  for (const PackingSlip& slip : slips) {
    const size_t count =
        std::max<size_t>(1, (slip.items.size() + kItemsPerPage - 1) / kItemsPerPage);
    for (size_t p = 0; p < count; ++p) {
      pages.emplace_back(**pair, kHeightMm);
      if (auto drawn = DrawPage(pages.back(), slip, p * kItemsPerPage, p + 1, count); !drawn) {
        return tl::unexpected(Error{drawn.error().code, "packing slip " + slip.order_number + ": " +
                                                            drawn.error().message});
      }
    }
  }
  return WriteCanvasPdf(**pair, pages, kWidthMm, kHeightMm, "Keepsake packing slips");
}

}  // namespace keepsake::imaging
