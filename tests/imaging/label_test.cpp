// Shipping labels checked by tools that are not ours: qpdf (structure), pdfinfo (pages and size
// in mm), pdftotext (the text is real text: the masked phone is there, in Chinese and digits),
// and zxing-cpp reading the barcodes back from poppler's rendering of the page.
#include "keepsake/imaging/label.hpp"

#include <gtest/gtest.h>

#include <ZXing/ReadBarcode.h>
#include <ZXing/TextUtfEncoding.h>

#include <fstream>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

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
          {"王*", "138******78", "浙江省 杭州市 西湖区 ***"},
          {"Keepsake 工坊", "400-800-1234", "上海市 徐汇区"},
          "1 x 冰箱贴 fridge magnet",
          "KS" + std::to_string(10000000 + n),
          "https://keepsake.example/o/KS" + std::to_string(10000000 + n)};
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
