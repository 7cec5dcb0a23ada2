// The formats each recipient takes besides the press PDF, read back as the recipient's software
// would: a photo lab's tagged sRGB JPEG (its JFIF density and ICC profile read from the bytes,
// the picture decoded by OpenCV), the sRGB-tagged PNG, and for die-cut pieces a transparent PNG
// whose opaque area is the piece and an SVG cut file that agrees with the PDF's CutContour.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <regex>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "print_cli.hpp"
#include "test_support.hpp"

namespace keepsake::testing {
namespace {

namespace fs = std::filesystem;

std::string Image(const std::string& name) { return TestData("images/" + name); }

// The JFIF APP0's density (units 1 = dots per inch) and whether an APP2 ICC_PROFILE segment
// holding an sRGB profile comes before the image data.
struct JpegTags {
  int units = -1, x_density = 0, y_density = 0;
  bool srgb_profile = false;
};

JpegTags ReadJpegTags(const std::string& jpeg) {
  JpegTags tags;
  size_t at = 2;  // after SOI
  while (at + 4 <= jpeg.size() && static_cast<unsigned char>(jpeg[at]) == 0xFF) {
    const unsigned char marker = static_cast<unsigned char>(jpeg[at + 1]);
    const size_t length =
        (static_cast<unsigned char>(jpeg[at + 2]) << 8) | static_cast<unsigned char>(jpeg[at + 3]);
    const std::string body = jpeg.substr(at + 4, length - 2);
    if (marker == 0xE0 && body.compare(0, 5, std::string("JFIF\0", 5)) == 0) {
      tags.units = body[7];
      tags.x_density =
          (static_cast<unsigned char>(body[8]) << 8) | static_cast<unsigned char>(body[9]);
      tags.y_density =
          (static_cast<unsigned char>(body[10]) << 8) | static_cast<unsigned char>(body[11]);
    }
    if (marker == 0xE2 && body.compare(0, 12, std::string("ICC_PROFILE\0", 12)) == 0) {
      const std::string icc = body.substr(14);
      // an ICC header: RGB data, XYZ connection space, and a description naming sRGB
      tags.srgb_profile = icc.size() > 128 && icc.substr(16, 4) == "RGB " &&
                          icc.substr(20, 4) == "XYZ " && icc.find("sRGB") != std::string::npos;
    }
    if (marker == 0xDA) break;  // start of scan
    at += 2 + length;
  }
  return tags;
}

TEST(PrintFormats, APhotoPrintAlsoComesAsATaggedSrgbJpegAt300Dpi) {
  TempDir dir;
  const PrintCliRun r =
      RunPrintRender("photo-print-6in", Image("portrait_photoreal_sd15_1280x1920.png"), dir.path());
  ASSERT_EQ(r.code, 0) << r.output;
  ASSERT_TRUE(r.report["files"].contains("print.jpg")) << r.report["files"].dump();
  const std::string jpeg = ReadFile(dir.path() / "print.jpg");
  const JpegTags tags = ReadJpegTags(jpeg);
  EXPECT_EQ(tags.units, 1);
  EXPECT_EQ(tags.x_density, 300);
  EXPECT_EQ(tags.y_density, 300);
  EXPECT_TRUE(tags.srgb_profile);
  // the same picture as print.png, within JPEG's loss
  const cv::Mat from_jpeg = cv::imread((dir.path() / "print.jpg").string(), cv::IMREAD_COLOR);
  const cv::Mat from_png = cv::imread((dir.path() / "print.png").string(), cv::IMREAD_COLOR);
  ASSERT_FALSE(from_jpeg.empty() || from_png.empty());
  ASSERT_EQ(from_jpeg.size(), from_png.size());
  cv::Mat difference;
  cv::absdiff(from_jpeg, from_png, difference);
  const cv::Scalar mean = cv::mean(difference);
  EXPECT_LT(mean[0] + mean[1] + mean[2], 6.0);
  // print.png says it is sRGB (its sRGB chunk comes before the pixels)
  const std::string png = ReadFile(dir.path() / "print.png");
  EXPECT_LT(png.find("sRGB"), png.find("IDAT"));
  // products that are not photo prints make no JPEG
  const PrintCliRun magnet = RunPrintRender(
      "magnet-rect", Image("portrait_anime_fennec_girl_1024.png"), dir.path() / "magnet");
  ASSERT_EQ(magnet.code, 0) << magnet.output;
  EXPECT_FALSE(fs::exists(dir.path() / "magnet" / "print.jpg"));
}

// The SVG's outline path as points in mm, and its circles (centre and radius), read with
// regular expressions as a cutter's import would read the plain geometry.
struct SvgCut {
  double width_mm = 0, height_mm = 0;
  std::vector<cv::Point2d> outline;
  int curves = 0, lines = 0;  // the outline's segments: cubic Beziers and straight lines
  std::vector<cv::Vec3d> circles;
};

SvgCut ReadSvgCut(const std::string& svg) {
  SvgCut cut;
  std::smatch m;
  if (std::regex_search(svg, m, std::regex(R"re(width="([\d.]+)mm" height="([\d.]+)mm")re"))) {
    cut.width_mm = std::stod(m[1]);
    cut.height_mm = std::stod(m[2]);
  }
  if (std::regex_search(svg, m, std::regex(R"re(<path d="([^"]+)")re"))) {
    // M x y, then L x y (straight) or C x1 y1 x2 y2 x y (cubic Bezier, sampled at eight
    // points), closed by Z
    const std::string d = m[1];
    const std::regex command(R"(([MLC])((?: ?[\d.]+ [\d.]+)+))");
    const std::regex pair(R"(([\d.]+) ([\d.]+))");
    for (auto it = std::sregex_iterator(d.begin(), d.end(), command); it != std::sregex_iterator();
         ++it) {
      const std::string args = (*it)[2];
      std::vector<cv::Point2d> p;
      for (auto q = std::sregex_iterator(args.begin(), args.end(), pair);
           q != std::sregex_iterator(); ++q) {
        p.emplace_back(std::stod((*q)[1]), std::stod((*q)[2]));
      }
      if ((*it)[1].str() == "C") ++cut.curves;
      if ((*it)[1].str() == "L") ++cut.lines;
      if ((*it)[1].str() != "C" || p.size() != 3 || cut.outline.empty()) {
        cut.outline.insert(cut.outline.end(), p.begin(), p.end());
        continue;
      }
      const cv::Point2d from = cut.outline.back();
      for (int k = 1; k <= 8; ++k) {
        const double t = k / 8.0, u = 1 - t;
        cut.outline.push_back(u * u * u * from + 3 * u * u * t * p[0] + 3 * u * t * t * p[1] +
                              t * t * t * p[2]);
      }
    }
  }
  const std::regex circle(R"re(<circle cx="([\d.]+)" cy="([\d.]+)" r="([\d.]+)")re");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), circle); it != std::sregex_iterator();
       ++it) {
    cut.circles.emplace_back(std::stod((*it)[1]), std::stod((*it)[2]), std::stod((*it)[3]));
  }
  return cut;
}

TEST(PrintFormats, ADieCutPieceAlsoComesAsATransparentPngAndAnSvgCutFile) {
  TempDir dir;
  const PrintCliRun r =
      RunPrintRender("keychain-acrylic", Image("cutout_corgi_pixelart_rgba_1024.png"), dir.path());
  ASSERT_EQ(r.code, 0) << r.output;
  const SvgCut svg = ReadSvgCut(ReadFile(dir.path() / "cut.svg"));
  const double page = 60 + 2 * r.report["bleed_mm"].get<double>();
  EXPECT_NEAR(svg.width_mm, page, 1e-3);
  EXPECT_NEAR(svg.height_mm, page, 1e-3);
  ASSERT_GT(svg.outline.size(), 20u);
  // smooth curves for the cutter, not the pixel staircase (a polygon of 235-347 segments,
  // 30-55 % of them under 0.3 mm, before potrace traced it)
  std::printf("cut: %d curves, %d lines\n", svg.curves, svg.lines);
  EXPECT_GT(svg.curves, 8);
  EXPECT_LT(svg.curves + svg.lines, 120);
  ASSERT_EQ(svg.circles.size(), 1u);
  EXPECT_NEAR(svg.circles[0][2], 2.0, 1e-3);  // the 4 mm ring hole

  // cut.png: opaque exactly on the piece: its alpha's area is the SVG outline's area less the
  // hole, within a pixel's width along the edge
  const cv::Mat rgba = cv::imread((dir.path() / "cut.png").string(), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(rgba.channels(), 4);
  cv::Mat alpha;
  cv::extractChannel(rgba, alpha, 3);
  const double px_per_mm = rgba.cols / page;
  std::vector<cv::Point2f> outline_px;
  for (const cv::Point2d& q : svg.outline) outline_px.emplace_back(q * px_per_mm);
  const double piece_mm2 = cv::contourArea(outline_px) / (px_per_mm * px_per_mm) -
                           std::acos(-1.0) * svg.circles[0][2] * svg.circles[0][2];
  const double alpha_mm2 = cv::countNonZero(alpha > 127) / (px_per_mm * px_per_mm);
  const double perimeter_mm = cv::arcLength(outline_px, true) / px_per_mm;
  EXPECT_NEAR(alpha_mm2, piece_mm2, perimeter_mm * 1.5 / px_per_mm + 1.0);
  // the hole is transparent, the picture's middle opaque
  const cv::Point hole(static_cast<int>(svg.circles[0][0] * px_per_mm),
                       static_cast<int>(svg.circles[0][1] * px_per_mm));
  EXPECT_EQ(alpha.at<uint8_t>(hole), 0);
  EXPECT_EQ(alpha.at<uint8_t>(alpha.rows / 2, alpha.cols / 2), 255);
}

}  // namespace
}  // namespace keepsake::testing
