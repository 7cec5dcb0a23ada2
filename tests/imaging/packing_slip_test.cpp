// Packing slips checked by poppler (pages, A5 size, the text, the pictures) and zxing-cpp (the
// order's barcode, read back from poppler's rendering of the page).
#include "keepsake/imaging/packing_slip.hpp"

#include <gtest/gtest.h>

#include <ZXing/ReadBarcode.h>
#include <ZXing/TextUtfEncoding.h>

#include <fstream>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "test_support.hpp"

namespace keepsake::imaging {
namespace {

using keepsake::testing::ReadFile;
using keepsake::testing::RunCommand;
using keepsake::testing::TempDir;
using keepsake::testing::TestData;

const LabelFonts kFonts{"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"};

PackingSlip Slip(int items) {
  PackingSlip slip;
  slip.order_number = "KS00000042";
  slip.placed_on = "下单 Placed 2026-11-23";
  slip.parcel = "包裹 Parcel 1/1 SIM0000000042 320 g 200x150x80 mm";
  slip.recipient = {"王*", "139******78", "浙江省 杭州市 西湖区 ***"};
  slip.service_phone = "400-800-1234";
  const std::string picture = ReadFile(TestData("images/cutout_corgi_pixelart_rgba_1024.png"));
  for (int k = 0; k < items; ++k) {
    slip.items.push_back({"冰箱贴 Fridge magnet",
                          "item " + std::to_string(k + 1) + " · magnet-rect", 1, "✓ QC passed",
                          picture});
  }
  return slip;
}

TEST(PackingSlip, SixItemsMakeTwoA5PagesWithPicturesTextAndAReadableOrderCode) {
  auto pdf = PackingSlipsPdf({Slip(6)}, kFonts);
  ASSERT_TRUE(pdf) << pdf.error().message;
  TempDir dir;
  const std::string path = (dir.path() / "slips.pdf").string();
  std::ofstream(path, std::ios::binary) << *pdf;
  int code = -1;
  EXPECT_NE(RunCommand({"/usr/bin/qpdf", "--check", path}, &code).find("No syntax"),
            std::string::npos);
  const std::string info = RunCommand({"/usr/bin/pdfinfo", path}, &code);
  EXPECT_NE(info.find("Pages:           2"), std::string::npos) << info;
  EXPECT_NE(info.find("419.528 x 595.276 pts"), std::string::npos) << info;
  const std::string images = RunCommand({"/usr/bin/pdfimages", "-list", path}, &code);
  size_t jpegs = 0;
  for (size_t at = images.find(" jpeg "); at != std::string::npos;
       at = images.find(" jpeg ", at + 1)) {
    ++jpegs;
  }
  EXPECT_EQ(jpegs, 6u) << images;
  const std::string text = RunCommand({"/usr/bin/pdftotext", "-enc", "UTF-8", path, "-"}, &code);
  for (const char* expected : {"KS00000042", "139******78", "✓ QC passed", "400-800-1234", "item 6",
                               "共 6 件", "page 2 of 2"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
  RunCommand({"/usr/bin/pdftoppm", "-f", "1", "-l", "1", "-r", "200", "-gray", "-png", path,
              (dir.path() / "page").string()},
             &code);
  cv::Mat page = cv::imread((dir.path() / "page-1.png").string(), cv::IMREAD_GRAYSCALE);
  ASSERT_FALSE(page.empty());
  const ZXing::ImageView view(page.data, page.cols, page.rows, ZXing::ImageFormat::Lum);
  ZXing::DecodeHints hints;
  hints.setFormats(ZXing::BarcodeFormat::Code128);
  const ZXing::Result r = ZXing::ReadBarcode(view, hints);
  ASSERT_TRUE(r.isValid());
  EXPECT_EQ(ZXing::TextUtfEncoding::ToUtf8(r.text()), "KS00000042");
}

TEST(PackingSlip, APictureThatIsNotAPngIsRefusedByName) {
  PackingSlip slip = Slip(1);
  slip.items[0].picture_png = ReadFile(TestData("images/lowres_portrait_exif_prompt_512x768.jpg"));
  auto refused = PackingSlipsPdf({slip}, kFonts);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("KS00000042"), std::string::npos);
  EXPECT_NE(refused.error().message.find("not a PNG"), std::string::npos);
  slip.items[0].picture_png = "\x89PNG\r\n\x1a\n truncated";
  EXPECT_FALSE(PackingSlipsPdf({slip}, kFonts));
  slip.items[0].picture_png.clear();  // no picture: the line is printed without one
  EXPECT_TRUE(PackingSlipsPdf({slip}, kFonts));
}

}  // namespace
}  // namespace keepsake::imaging
