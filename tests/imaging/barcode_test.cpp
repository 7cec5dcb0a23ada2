// Barcodes for labels, drawn as a label would draw them and read back by zxing-cpp's reader (the
// same library's other half, independent of how we laid out the modules).
#include "keepsake/imaging/barcode.hpp"

#include <gtest/gtest.h>

#include <ZXing/ReadBarcode.h>
#include <ZXing/TextUtfEncoding.h>

#include <opencv2/core.hpp>

namespace keepsake::imaging {
namespace {

// The modules at `scale` pixels each with a 10-module quiet zone; linear codes 60 px tall.
cv::Mat Draw(const BarcodeModules& m, int scale) {
  const int quiet = 10 * scale;
  const int rows = m.height == 1 ? 60 : m.height * scale;
  cv::Mat image(rows + 2 * quiet, m.width * scale + 2 * quiet, CV_8U, cv::Scalar(255));
  for (int y = 0; y < rows; ++y) {
    for (int x = 0; x < m.width * scale; ++x) {
      if (m.Dark(x / scale, m.height == 1 ? 0 : y / scale))
        image.at<uint8_t>(quiet + y, quiet + x) = 0;
    }
  }
  return image;
}

std::string Read(const cv::Mat& image) {
  const ZXing::ImageView view(image.data, image.cols, image.rows, ZXing::ImageFormat::Lum);
  const ZXing::Result result = ZXing::ReadBarcode(view);
  return result.isValid() ? ZXing::TextUtfEncoding::ToUtf8(result.text()) : std::string();
}

TEST(Barcode, WaybillNumbersAndOrderQrReadBack) {
  for (const std::string waybill :
       {"SF1234567890", "YT9988776655", "SIM000042010123", "JD0A-7b/9"}) {
    auto code = Code128(waybill);
    ASSERT_TRUE(code) << code.error().message;
    EXPECT_EQ(code->height, 1);
    EXPECT_EQ(Read(Draw(*code, 2)), waybill);
  }
  auto qr = QrCode("https://keepsake.example/o/KS00000042");
  ASSERT_TRUE(qr);
  EXPECT_EQ(qr->width, qr->height);
  EXPECT_EQ(Read(Draw(*qr, 4)), "https://keepsake.example/o/KS00000042");
}

TEST(Barcode, TextCode128CannotCarryIsRefused) {
  EXPECT_FALSE(Code128("顺丰1234"));
  EXPECT_FALSE(Code128("tab\there"));
  EXPECT_FALSE(Code128(""));
  EXPECT_FALSE(Code128(std::string(81, '1')));
}

}  // namespace
}  // namespace keepsake::imaging
