// codec/ read against OpenCV's own decoders (libpng, libjpeg-turbo and libwebp through
// imgcodecs: an independent reader of the same files), on the real sample pictures and on
// variants the test makes of them: every EXIF orientation, 16-bit and grey PNGs, lossless
// WebP with transparency; what codec writes read back by OpenCV; broken and oversized files
// refused with a reason.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "keepsake/codec/codec.hpp"
#include "test_support.hpp"

namespace keepsake::codec {
namespace {

using keepsake::testing::ReadFile;
using keepsake::testing::TestData;

cv::Mat AsMat(const Pixels& p) {
  return cv::Mat(p.height, p.width, CV_8UC(p.channels), const_cast<uint8_t*>(p.data.data()));
}

std::string Bytes(const std::vector<uchar>& v) { return std::string(v.begin(), v.end()); }

// The largest difference of any channel of any pixel.
double MaxDifference(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return 1e9;
  cv::Mat d;
  cv::absdiff(a, b, d);
  double most = 0;
  cv::minMaxLoc(d.reshape(1), nullptr, &most);
  return most;
}

// An APP1 segment holding only an EXIF IFD0 with Orientation = `value` (little-endian TIFF).
std::string ExifOrientationSegment(int value) {
  std::string tiff("II\x2a\0\x08\0\0\0", 8);                // header, IFD0 at 8
  tiff += std::string("\x01\0", 2);                         // one entry
  tiff += std::string("\x12\x01\x03\0\x01\0\0\0", 8);       // 0x0112, SHORT, count 1
  tiff += static_cast<char>(value) + std::string(3, '\0');  // the value, padded
  tiff += std::string(4, '\0');                             // no next IFD
  const std::string body = std::string("Exif\0\0", 6) + tiff;
  const size_t length = body.size() + 2;
  return std::string("\xFF\xE1", 2) + static_cast<char>(length >> 8) +
         static_cast<char>(length & 0xff) + body;
}

TEST(CodecJpeg, EveryExifOrientationStandsTheWayOpenCvTurnsIt) {
  const std::string original = ReadFile(TestData("images/lowres_portrait_exif_prompt_512x768.jpg"));
  ASSERT_GT(original.size(), 100u);
  for (int orientation = 1; orientation <= 8; ++orientation) {
    // our segment first, right after SOI: the first EXIF segment is the one readers take
    const std::string turned =
        original.substr(0, 2) + ExifOrientationSegment(orientation) + original.substr(2);
    auto ours = Decode(turned, 100'000'000);
    ASSERT_TRUE(ours) << orientation << ": " << ours.error().why;
    const cv::Mat theirs =
        cv::imdecode(std::vector<uchar>(turned.begin(), turned.end()), cv::IMREAD_COLOR);
    ASSERT_FALSE(theirs.empty());
    EXPECT_EQ(MaxDifference(AsMat(ours->pixels), theirs), 0) << "orientation " << orientation;
    EXPECT_EQ(ours->pixels.width, orientation >= 5 ? 768 : 512) << orientation;
  }
}

TEST(CodecPng, EightAndSixteenBitColourGreyAndAlphaReadAsOpenCvReadsThem) {
  const cv::Mat rgba =
      cv::imread(TestData("images/cutout_man_rgba_1024.png"), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(rgba.channels(), 4);
  auto same_file = Decode(ReadFile(TestData("images/cutout_man_rgba_1024.png")), 100'000'000);
  ASSERT_TRUE(same_file) << same_file.error().why;
  EXPECT_EQ(same_file->file_channels, 4);
  EXPECT_EQ(MaxDifference(AsMat(same_file->pixels), rgba), 0);
  // its transparency dropped, as OpenCV's IMREAD_COLOR drops it (a texture's colour)
  auto dropped =
      Decode(ReadFile(TestData("images/cutout_man_rgba_1024.png")), 100'000'000, Alpha::kDrop);
  ASSERT_TRUE(dropped) << dropped.error().why;
  EXPECT_EQ(dropped->file_channels, 4);
  EXPECT_EQ(
      MaxDifference(AsMat(dropped->pixels),
                    cv::imread(TestData("images/cutout_man_rgba_1024.png"), cv::IMREAD_COLOR)),
      0);

  cv::Mat bgr, grey, rgba16, bgr16;
  cv::cvtColor(rgba, bgr, cv::COLOR_BGRA2BGR);
  cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
  rgba.convertTo(rgba16, CV_16U, 257);
  bgr.convertTo(bgr16, CV_16U, 257);
  struct Case {
    const char* name;
    cv::Mat written;
    cv::Mat expected;  // BGR or BGRA, 8-bit
    int file_channels;
  };
  cv::Mat grey_bgr;
  cv::cvtColor(grey, grey_bgr, cv::COLOR_GRAY2BGR);
  for (const Case& c : {Case{"8-bit BGR", bgr, bgr, 3}, Case{"grey", grey, grey_bgr, 1},
                        Case{"16-bit BGR", bgr16, bgr, 3}, Case{"16-bit BGRA", rgba16, rgba, 4}}) {
    std::vector<uchar> png;
    ASSERT_TRUE(cv::imencode(".png", c.written, png)) << c.name;
    auto ours = Decode(Bytes(png), 100'000'000);
    ASSERT_TRUE(ours) << c.name << ": " << ours.error().why;
    EXPECT_EQ(ours->file_channels, c.file_channels) << c.name;
    // 16 bits back to 8 may round the other way; a transparent pixel's colour is not kept
    cv::Mat got = AsMat(ours->pixels);
    if (c.expected.channels() == 4) {
      cv::Mat opaque = cv::Mat::zeros(got.size(), CV_8U);
      std::vector<cv::Mat> planes;
      cv::split(c.expected, planes);
      opaque = planes[3] == 255;
      cv::Mat a, b;
      got.copyTo(a, opaque);
      c.expected.copyTo(b, opaque);
      EXPECT_LE(MaxDifference(a, b), 1) << c.name;
    } else {
      EXPECT_LE(MaxDifference(got, c.expected), 1) << c.name;
    }
  }
}

TEST(CodecWebp, LosslessWithTransparencyIsReadPixelForPixel) {
  const cv::Mat rgba =
      cv::imread(TestData("images/cutout_corgi_pixelart_rgba_1024.png"), cv::IMREAD_UNCHANGED);
  std::vector<uchar> webp;
  ASSERT_TRUE(cv::imencode(".webp", rgba, webp, {cv::IMWRITE_WEBP_QUALITY, 101}));  // lossless
  auto ours = Decode(Bytes(webp), 100'000'000);
  ASSERT_TRUE(ours) << ours.error().why;
  EXPECT_EQ(ours->file_channels, 4);
  // libwebp keeps the colour of fully transparent pixels only in its "exact" mode
  std::vector<cv::Mat> planes;
  cv::split(rgba, planes);
  const cv::Mat seen = planes[3] > 0;
  cv::Mat a, b;
  AsMat(ours->pixels).copyTo(a, seen);
  rgba.copyTo(b, seen);
  EXPECT_EQ(MaxDifference(a, b), 0);
}

TEST(CodecWrite, PngAndJpegAreReadBackByOpenCv) {
  const cv::Mat bgr = cv::imread(TestData("images/portrait_anime_fennec_girl_1024.png"));
  ASSERT_FALSE(bgr.empty());
  const std::string png = EncodePng(bgr.data, bgr.cols, bgr.rows, 3, bgr.step, 300);
  const cv::Mat back = cv::imdecode(std::vector<uchar>(png.begin(), png.end()), cv::IMREAD_COLOR);
  EXPECT_EQ(MaxDifference(back, bgr), 0);
  EXPECT_NE(png.find("sRGB"), std::string::npos);
  const size_t phys = png.find("pHYs");
  ASSERT_NE(phys, std::string::npos);
  const auto byte = [&png](size_t at) { return static_cast<uint8_t>(png[at]); };
  const uint32_t ppm =
      byte(phys + 4) << 24 | byte(phys + 5) << 16 | byte(phys + 6) << 8 | byte(phys + 7);
  EXPECT_EQ(ppm, 11811u);  // 300 dpi in pixels per metre

  const std::string jpeg = EncodeJpeg(bgr.data, bgr.cols, bgr.rows, bgr.step, 95, 300);
  const cv::Mat decoded =
      cv::imdecode(std::vector<uchar>(jpeg.begin(), jpeg.end()), cv::IMREAD_COLOR);
  ASSERT_EQ(decoded.size(), bgr.size());
  EXPECT_GT(cv::PSNR(decoded, bgr), 35);
  // JFIF: density unit 1 (dpi) and 300 across and down
  ASSERT_GT(jpeg.size(), 18u);
  EXPECT_EQ(jpeg.substr(6, 5), std::string("JFIF\0", 5));
  const auto jbyte = [&jpeg](size_t at) { return static_cast<uint8_t>(jpeg[at]); };
  EXPECT_EQ(jbyte(13), 1);
  EXPECT_EQ(jbyte(14) << 8 | jbyte(15), 300);
  EXPECT_EQ(jbyte(16) << 8 | jbyte(17), 300);
}

TEST(CodecBadInput, BrokenForeignAndOversizedFilesAreRefusedWithAReason) {
  const std::string png = ReadFile(TestData("images/cutout_man_rgba_1024.png"));
  const std::string jpeg = ReadFile(TestData("images/portrait_boxer_exif_prompt_1152x1752.jpg"));
  for (const std::string& truncated :
       {png.substr(0, png.size() / 3), png.substr(0, 40), jpeg.substr(0, 600)}) {
    auto r = Decode(truncated, 100'000'000);
    ASSERT_FALSE(r);
    EXPECT_FALSE(r.error().why.empty());
    EXPECT_FALSE(r.error().too_large);
  }
  auto gif = Decode(std::string("GIF89a\x01\0\x01\0", 10), 100'000'000);
  ASSERT_FALSE(gif);
  EXPECT_NE(gif.error().why.find("not a PNG, JPEG or WebP"), std::string::npos) << gif.error().why;
  // the limit from the header: 1024 x 1024 over a limit of a million pixels
  auto big = Decode(png, 1'000'000);
  ASSERT_FALSE(big);
  EXPECT_TRUE(big.error().too_large);
  EXPECT_NE(big.error().why.find("1024 x 1024"), std::string::npos) << big.error().why;
  auto tall = Decode(jpeg, 1'000'000);
  ASSERT_FALSE(tall);
  EXPECT_TRUE(tall.error().too_large);
  EXPECT_NE(tall.error().why.find("limit"), std::string::npos) << tall.error().why;
}

}  // namespace
}  // namespace keepsake::codec
