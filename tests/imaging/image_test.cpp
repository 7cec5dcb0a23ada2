// Sniffing and decoding of real AI-generated images (tests/data/images, SOURCES.md there).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "keepsake/imaging/format.hpp"
#include "keepsake/imaging/inspect.hpp"
#include "test_support.hpp"

namespace keepsake::imaging {
namespace {

using keepsake::testing::ReadFile;
using keepsake::testing::TempDir;
using keepsake::testing::TestData;
using keepsake::testing::TexturedFigureGlb;

std::string Image(const std::string& name) { return TestData("images/" + name); }

TEST(ImageFormat, RecognisesPngAndJpegByContent) {
  EXPECT_EQ(SniffImageFormat(ReadFile(Image("cutout_corgi_pixelart_rgba_1024.png"))),
            ImageFormat::kPng);
  EXPECT_EQ(SniffImageFormat(ReadFile(Image("portrait_boxer_exif_prompt_1152x1752.jpg"))),
            ImageFormat::kJpeg);
  EXPECT_EQ(SniffImageFormat(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16)), ImageFormat::kWebp);
}

TEST(ImageFormat, RefusesOtherBytes) {
  EXPECT_FALSE(SniffImageFormat(""));
  EXPECT_FALSE(SniffImageFormat("GIF89a"));
  EXPECT_FALSE(SniffImageFormat(TexturedFigureGlb()));
}

TEST(InspectImage, ReportsSizeAndAlpha) {
  auto rgba = InspectImage(Image("cutout_corgi_pixelart_rgba_1024.png"), ImageFormat::kPng, 1e8);
  ASSERT_TRUE(rgba) << rgba.error().message;
  EXPECT_EQ(rgba->width_px, 1024);
  EXPECT_EQ(rgba->height_px, 1024);
  EXPECT_TRUE(rgba->has_alpha);
  auto jpeg =
      InspectImage(Image("portrait_boxer_exif_prompt_1152x1752.jpg"), ImageFormat::kJpeg, 1e8);
  ASSERT_TRUE(jpeg);
  EXPECT_EQ(jpeg->width_px, 1152);
  EXPECT_EQ(jpeg->height_px, 1752);
  EXPECT_FALSE(jpeg->has_alpha);
}

TEST(InspectImage, TruncatedFileIsUnreadable) {
  TempDir dir;
  const std::string full = ReadFile(Image("cutout_corgi_pixelart_rgba_1024.png"));
  std::ofstream(dir.path() / "cut.png", std::ios::binary) << full.substr(0, 100);
  auto image = InspectImage((dir.path() / "cut.png").string(), ImageFormat::kPng, 1e8);
  ASSERT_FALSE(image);
  EXPECT_EQ(image.error().code, Errc::kUnreadable);
}

TEST(InspectImage, PixelLimitIsEnforced) {
  auto image = InspectImage(Image("cutout_corgi_pixelart_rgba_1024.png"), ImageFormat::kPng, 1000);
  ASSERT_FALSE(image);
  EXPECT_EQ(image.error().code, Errc::kTooLarge);
}

}  // namespace
}  // namespace keepsake::imaging
