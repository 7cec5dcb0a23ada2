// Shipping labels checked by tools that are not ours: qpdf (structure), pdfinfo (pages and size
// in mm), pdftotext (the text is real text: the masked phone is there, in Chinese and digits),
// and zxing-cpp reading the barcodes back from poppler's rendering of the page.
#include "keepsake/imaging/label.hpp"

#include <gtest/gtest.h>

#include <ZXing/ReadBarcode.h>
#include <ZXing/TextUtfEncoding.h>

#include <cmath>
#include <fstream>
#include <regex>
#include <tuple>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "loopback_carriers.hpp"
#include "test_support.hpp"

namespace keepsake::imaging {
namespace {

using keepsake::testing::RunCommand;
using keepsake::testing::TempDir;

const LabelFonts kFonts{"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"};

ShippingLabel Label(int n) {
  char waybill[24];
  std::snprintf(waybill, sizeof waybill, "SF%010d", 1000000 + n);
  return {"Simulated Express",
          waybill,
          "杭州 西湖 A12",
          {"王*  138******78", "浙江省 杭州市 西湖区 文三路 90 号 3 幢 502 室"},
          {"Keepsake 工坊", "400-800-1234", "上海市 徐汇区"},
          "1 x 冰箱贴 fridge magnet",
          "KS" + std::to_string(10000000 + n),
          "https://keepsake.example/o/KS" + std::to_string(10000000 + n),
          "1/2",
          "0.32 kg"};
}

TEST(Label, ABatchOf200IsOneCheckedPdfWithReadableBarcodesAndText) {
  std::vector<ShippingLabel> labels;
  for (int n = 0; n < 200; ++n) labels.push_back(Label(n));
  auto pdf = LabelsPdf(labels, 100, 150, kFonts);
  ASSERT_TRUE(pdf) << pdf.error().message;
  TempDir dir;
  const std::string path = (dir.path() / "labels.pdf").string();
  std::ofstream(path, std::ios::binary) << *pdf;
  int code = -1;
  EXPECT_NE(RunCommand({"/usr/bin/qpdf", "--check", path}, &code).find("No syntax"),
            std::string::npos);
  const std::string info = RunCommand({"/usr/bin/pdfinfo", path}, &code);
  EXPECT_NE(info.find("Pages:           200"), std::string::npos) << info;
  EXPECT_NE(info.find("Page size:       283.465 x 425.197 pts"), std::string::npos) << info;
  const std::string text =
      RunCommand({"/usr/bin/pdftotext", "-f", "2", "-l", "2", "-enc", "UTF-8", path, "-"}, &code);
  EXPECT_NE(text.find("138******78"), std::string::npos) << text;
  EXPECT_NE(text.find("杭州 西湖"), std::string::npos) << text;
  EXPECT_NE(text.find("SF0001000001"), std::string::npos) << text;
  EXPECT_NE(text.find("KS10000001"), std::string::npos) << text;
  // page 2 at 300 dpi: both codes read back exactly
  RunCommand({"/usr/bin/pdftoppm", "-f", "2", "-l", "2", "-r", "300", "-gray", "-png", path,
              (dir.path() / "page").string()},
             &code);
  cv::Mat page = cv::imread((dir.path() / "page-002.png").string(), cv::IMREAD_GRAYSCALE);
  if (page.empty()) page = cv::imread((dir.path() / "page-2.png").string(), cv::IMREAD_GRAYSCALE);
  ASSERT_FALSE(page.empty());
  const ZXing::ImageView view(page.data, page.cols, page.rows, ZXing::ImageFormat::Lum);
  // one format at a time (zxing-cpp 1.4 asserts when it compares a linear with a 2D result)
  auto read = [&](ZXing::BarcodeFormat format) {
    ZXing::DecodeHints hints;
    hints.setFormats(format);
    const ZXing::Result r = ZXing::ReadBarcode(view, hints);
    return r.isValid() ? ZXing::TextUtfEncoding::ToUtf8(r.text()) : std::string("(none)");
  };
  EXPECT_EQ(read(ZXing::BarcodeFormat::Code128), "SF0001000001");
  EXPECT_EQ(read(ZXing::BarcodeFormat::QRCode), "https://keepsake.example/o/KS10000001");
}

// The text with its spaces taken out, as pdftotext's words and ZPL's fields join it.
std::string WithoutSpaces(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c != ' ') out += c;
  }
  return out;
}

// A long address (a compound's full name, building, unit and room, in Chinese and in Latin
// letters) is broken onto lines that all stay inside the label's border, and nothing of it is
// lost; the sender's block below it is not overdrawn.
// Every word of a PDF's text with its box in points from the top left (pdftotext -bbox).
struct WordBox {
  double x_min, y_min, x_max, y_max;
  std::string text;
};
std::vector<WordBox> WordBoxes(const std::string& pdf) {
  TempDir dir;
  const std::string path = (dir.path() / "label.pdf").string();
  std::ofstream(path, std::ios::binary) << pdf;
  int code = -1;
  const std::string boxes = RunCommand({"/usr/bin/pdftotext", "-bbox", path, "-"}, &code);
  static const std::regex word(
      R"re(xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">([^<]*)<)re");
  std::vector<WordBox> out;
  for (auto it = std::sregex_iterator(boxes.begin(), boxes.end(), word);
       it != std::sregex_iterator(); ++it) {
    out.push_back({std::stod((*it)[1]), std::stod((*it)[2]), std::stod((*it)[3]),
                   std::stod((*it)[4]), (*it)[5].str()});
  }
  return out;
}

TEST(Label, ALongAddressIsBrokenToTheLabelsWidthAndKeptWhole) {
  ShippingLabel label = Label(7);
  const std::string address =
      "广东省 深圳市 南山区 粤海街道 科技园南区 高新南七道 深圳湾科技生态园 10 栋 B 座 "
      "2703 室 (Shenzhen Bay Eco-Technology Park, Building 10, Tower B, Room 2703)";
  label.recipient = {"李*  186******21", address};
  for (const auto& [w, h] : {std::pair{100.0, 150.0}, std::pair{76.0, 130.0}}) {
    auto pdf = LabelsPdf({label}, w, h, kFonts);
    ASSERT_TRUE(pdf) << pdf.error().message;
    // every word's box inside the border (2 mm in from each side)
    const double right_pt = (w - 2) / 25.4 * 72;
    std::string all;
    double address_bottom = 0, sender_top = 1e9;
    for (const WordBox& b : WordBoxes(*pdf)) {
      EXPECT_LE(b.x_max, right_pt) << b.text << " at " << w << " mm";
      all += b.text;
      if (b.text == "2703)") address_bottom = b.y_max;
      if (b.text == "寄件") sender_top = b.y_min;
    }
    EXPECT_NE(all.find(WithoutSpaces(address)), std::string::npos) << all;
    EXPECT_GT(address_bottom, 0);
    EXPECT_LT(address_bottom, sender_top) << "the address runs into the sender";
  }
  // and for a Zebra printer: the same address over several ^FD fields, nothing dropped
  auto zpl = LabelsZpl({label}, 100, 150);
  ASSERT_TRUE(zpl) << zpl.error().message;
  std::string fields;
  for (size_t at = 0; (at = zpl->find("^FD", at)) != std::string::npos; at += 3) {
    fields += zpl->substr(at + 3, zpl->find("^FS", at) - at - 3) + " ";
  }
  EXPECT_NE(WithoutSpaces(fields).find(WithoutSpaces(address)), std::string::npos) << *zpl;
}

// A Kuaidi100 bulkpen with its sorting code is wider than the routing code's 24 pt, and an
// order of several products has a long contents line: both keep inside the border, and the
// lines of the bottom block keep left of the QR code (smaller, or on a second line).
TEST(Label, ALongRoutingCodeAndContentsKeepInsideTheBorderAndClearOfTheQr) {
  ShippingLabel label = Label(8);
  label.route_code = "杭州转 西湖 A12  571-A12";
  label.contents =
      "1 x Fridge magnet, rectangle (80 x 53 mm), 2 x China standard postcard (148 x 100 mm), "
      "1 x Acrylic keychain";
  for (const auto& [w, h] : {std::pair{100.0, 150.0}, std::pair{76.0, 130.0}}) {
    auto pdf = LabelsPdf({label}, w, h, kFonts);
    ASSERT_TRUE(pdf) << pdf.error().message;
    const auto pt = [](double mm) { return mm / 25.4 * 72; };
    const double sx = w / 100, sy = h / 150, scale = std::min(sx, sy);
    const double qr_left = pt(w - 4 * sx - 24 * scale), bottom_block = pt(118 * sy);
    std::string all;
    for (const WordBox& b : WordBoxes(*pdf)) {
      EXPECT_LE(b.x_max, pt(w - 2)) << b.text << " at " << w << " mm";
      if (b.y_min > bottom_block) {
        EXPECT_LE(b.x_max, qr_left) << b.text << " at " << w << " mm";
      }
      all += b.text;
    }
    EXPECT_NE(all.find("571-A12"), std::string::npos) << all;
    EXPECT_NE(all.find("keychain"), std::string::npos) << all;  // nothing cut off
  }
}

// The dpi a PNG says of itself in its pHYs chunk (pixels per metre), or 0.
int PngDpi(const std::string& png) {
  const size_t at = png.find("pHYs");
  if (at == std::string::npos || at + 12 > png.size()) return 0;
  uint32_t ppm = 0;
  for (int k = 0; k < 4; ++k) ppm = ppm << 8 | static_cast<unsigned char>(png[at + 4 + k]);
  return static_cast<int>(std::lround(ppm * 0.0254));
}

std::string ReadCode(const cv::Mat& grey, ZXing::BarcodeFormat format) {
  const ZXing::ImageView view(grey.data, grey.cols, grey.rows, ZXing::ImageFormat::Lum);
  ZXing::DecodeHints hints;
  hints.setFormats(format);
  const ZXing::Result r = ZXing::ReadBarcode(view, hints);
  return r.isValid() ? ZXing::TextUtfEncoding::ToUtf8(r.text()) : std::string("(none)");
}

TEST(Label, PngsAt203And300DpiSayTheirDpiAndTheirCodesReadBack) {
  for (const auto& [w, h, dpi] : {std::tuple{100.0, 150.0, 203}, std::tuple{100.0, 150.0, 300},
                                  std::tuple{76.0, 130.0, 203}}) {
    auto pngs = LabelsPng({Label(42)}, w, h, kFonts, dpi);
    ASSERT_TRUE(pngs) << pngs.error().message;
    ASSERT_EQ(pngs->size(), 1u);
    EXPECT_EQ(PngDpi(pngs->front()), dpi);
    const std::vector<uchar> bytes(pngs->front().begin(), pngs->front().end());
    const cv::Mat page = cv::imdecode(bytes, cv::IMREAD_GRAYSCALE);
    ASSERT_FALSE(page.empty());
    EXPECT_EQ(page.cols, std::lround(w / 25.4 * dpi));
    EXPECT_EQ(page.rows, std::lround(h / 25.4 * dpi));
    EXPECT_EQ(ReadCode(page, ZXing::BarcodeFormat::Code128), "SF0001000042") << w << " " << dpi;
    EXPECT_EQ(ReadCode(page, ZXing::BarcodeFormat::QRCode),
              "https://keepsake.example/o/KS10000042");
    // text is drawn: the label is not just bars (ink below the barcode, in the recipient block)
    const cv::Mat recipient = page(cv::Rect(0, page.rows * 60 / 150, page.cols, page.rows / 5));
    EXPECT_GT(cv::countNonZero(recipient < 128), 200);
  }
  EXPECT_FALSE(LabelsPng({Label(1)}, 100, 150, kFonts, 150));
}

TEST(Label, FontsAreEmbeddedAsSubsetsSoOneLabelIsSmall) {
  auto pdf = LabelsPdf({Label(3)}, 100, 150, kFonts);
  ASSERT_TRUE(pdf) << pdf.error().message;
  // Droid Sans Fallback whole is 4 MB; the glyphs of one label are a few kilobytes
  EXPECT_LT(pdf->size(), 200u * 1024);
  TempDir dir;
  const std::string path = (dir.path() / "label.pdf").string();
  std::ofstream(path, std::ios::binary) << *pdf;
  int code = -1;
  const std::string fonts = RunCommand({"/usr/bin/pdffonts", path}, &code);
  EXPECT_EQ(code, 0);
  // name, type, encoding, emb, sub, uni: both fonts embedded, subset, with ToUnicode
  EXPECT_NE(fonts.find("+DejaVuSans"), std::string::npos) << fonts;
  EXPECT_NE(fonts.find("+DroidSansFallback"), std::string::npos) << fonts;
  size_t subset_rows = 0;
  for (size_t at = fonts.find("yes yes yes"); at != std::string::npos;
       at = fonts.find("yes yes yes", at + 1)) {
    ++subset_rows;
  }
  EXPECT_EQ(subset_rows, 2u) << fonts;
  const std::string text = RunCommand({"/usr/bin/pdftotext", "-enc", "UTF-8", path, "-"}, &code);
  EXPECT_NE(text.find("王*"), std::string::npos) << text;
  EXPECT_NE(text.find("上海市 徐汇区"), std::string::npos) << text;
}

// A carrier's own label (SF's cloud print, as the loopback SF draws it: a PDF of another
// writer, with a font it does not embed) goes in its label's place, copied whole.
TEST(Label, ACarriersOwnPdfIsPrintedInItsPlaceAndItsSizeRead) {
  const std::string sf =
      testing::LoopbackCarriers::CloudPrintPdf("SF1000000000042", "571WT-571AB", "139****5678");
  auto sizes = CarrierPdfPages(sf);
  ASSERT_TRUE(sizes) << sizes.error().message;
  ASSERT_EQ(sizes->size(), 1u);
  EXPECT_NEAR(sizes->front().width_mm, 100, 0.1);
  EXPECT_NEAR(sizes->front().height_mm, 150, 0.1);
  for (const std::string bad : {std::string("<html>not found</html>"),
                                std::string("%PDF-1.4\n") + std::string(300, 'x'), std::string()}) {
    auto refused = CarrierPdfPages(bad);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().code, Errc::kUnreadable);
  }
  auto two = JoinPdfs({sf, sf});
  ASSERT_TRUE(two) << two.error().message;
  EXPECT_EQ(CarrierPdfPages(*two)->size(), 2u);

  ShippingLabel own = Label(2);
  own.carrier_pdf = sf;
  auto pdf = LabelsPdf({Label(1), own, Label(3)}, 100, 150, kFonts);
  ASSERT_TRUE(pdf) << pdf.error().message;
  TempDir dir;
  const std::string path = (dir.path() / "mixed.pdf").string();
  std::ofstream(path, std::ios::binary) << *pdf;
  int code = -1;
  const std::string checked = RunCommand({"/usr/bin/qpdf", "--check", path}, &code);
  EXPECT_EQ(code, 0) << checked;
  auto page = [&](int n) {
    return RunCommand({"/usr/bin/pdftotext", "-enc", "UTF-8", "-f", std::to_string(n), "-l",
                       std::to_string(n), path, "-"},
                      &code);
  };
  EXPECT_NE(page(1).find("KS10000001"), std::string::npos) << page(1);
  EXPECT_NE(page(2).find("SF CLOUD PRINT"), std::string::npos) << page(2);
  EXPECT_EQ(page(2).find("KS10000002"), std::string::npos) << "ours is not drawn for it";
  EXPECT_NE(page(3).find("KS10000003"), std::string::npos) << page(3);
  EXPECT_EQ(page(4), "");
}

TEST(Label, TheSmallOnePlySizeAndRefusals) {
  auto small = LabelsPdf({Label(7)}, 76, 130, kFonts);
  ASSERT_TRUE(small) << small.error().message;
  ShippingLabel bad = Label(1);
  bad.waybill = "顺丰12345";  // Code 128 carries ASCII only
  EXPECT_FALSE(LabelsPdf({bad}, 100, 150, kFonts));
  ShippingLabel odd = Label(2);
  odd.contents = "magnet \xF4\x8F\xBF\xBD";  // U+10FFFD, private use: no font has it
  auto refused = LabelsPdf({odd}, 100, 150, kFonts);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("U+10FFFD"), std::string::npos);
}

}  // namespace
}  // namespace keepsake::imaging
