// The White underbase of a clear-acrylic keychain, read back the way the shop's RIP sees it:
// Ghostscript's tiffsep renders the White plate at 1200 dpi and the colour plates at the
// artwork's own 300 dpi, and the choke is measured between them (never on Keepsake's own
// numbers). (Scaled up, Ghostscript draws an image about a quarter of its pixel, 0.02 mm, up
// and left of where it lies at its own resolution; at 300 dpi it lands on its pixels.) The
// layers are read back with qpdf: the White and the cut each on a named layer, and the print
// mode in the file's Info.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "print_cli.hpp"
#include "test_support.hpp"

namespace keepsake::testing {
namespace {

namespace fs = std::filesystem;

constexpr double kWhitePxPerMm = 1200 / 25.4;
constexpr double kColourPxPerMm = 300 / 25.4;
const double kPi = std::acos(-1.0);

// A red disc on a transparent picture with a transparent hole in it; its edges soft over
// `soft` pixels (as a cut-out's are; 0: hard), alpha crossing 128 at `radius` exactly.
cv::Mat Disc(int size, double radius, double hole_radius, double soft) {
  cv::Mat rgba(size, size, CV_8UC4);
  const double c = (size - 1) / 2.0;
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      const double r = std::hypot(x - c, y - c);
      const double outer = soft > 0 ? std::clamp(0.5 + (radius - r) / soft, 0.0, 1.0)
                                    : static_cast<double>(r < radius);
      const double hole = soft > 0 ? std::clamp(0.5 + (r - hole_radius) / soft, 0.0, 1.0)
                                   : static_cast<double>(r >= hole_radius);
      rgba.at<cv::Vec4b>(y, x) = {30, 20, 210,
                                  static_cast<uint8_t>(std::lround(255 * outer * hole))};
    }
  }
  return rgba;
}

// One plate of page 1 rendered by Ghostscript at `px_per_mm`: its ink, 0-255.
cv::Mat Plate(const fs::path& dir, const std::string& ink, double px_per_mm) {
  const std::string dpi = std::to_string(static_cast<int>(std::lround(px_per_mm * 25.4)));
  int code = -1;
  RunCommand({"/usr/bin/gs", "-q", "-dBATCH", "-dNOPAUSE", "-dSAFER", "-sDEVICE=tiffsep",
              "-r" + dpi, "-dFirstPage=1", "-dLastPage=1", "-o",
              (dir / ("sep" + dpi + ".tif")).string(), (dir / "print.pdf").string()},
             &code);
  EXPECT_EQ(code, 0);
  const cv::Mat plate =
      cv::imread((dir / ("sep" + dpi + "(" + ink + ").tif")).string(), cv::IMREAD_GRAYSCALE);
  return plate.empty() ? plate : 255 - plate;  // tiffsep plates: dark is ink
}

// Where `inside` (a plate at `px_per_mm`) holds along the ray from `centre` (mm) in the
// direction `angle`, sampled every 0.002 mm: the distance (mm) to the first point and to the
// last one (the edge of a hole round the centre, and the outer edge).
std::pair<double, double> EdgesAlong(const cv::Mat& inside, double px_per_mm, cv::Point2d centre,
                                     double angle) {
  double first = -1, last = 0;
  for (double r = 0; r < inside.cols / px_per_mm; r += 0.002) {
    const int x = static_cast<int>(std::floor((centre.x + r * std::cos(angle)) * px_per_mm));
    const int y = static_cast<int>(std::floor((centre.y + r * std::sin(angle)) * px_per_mm));
    if (x < 0 || y < 0 || x >= inside.cols || y >= inside.rows) break;
    if (inside.at<uint8_t>(y, x) == 0) continue;
    if (first < 0) first = r;
    last = r;
  }
  return {first, last};
}

struct WhiteAndColour {
  cv::Mat white;          // the White plate at 1200 dpi: 255 where it has ink
  cv::Mat colour;         // the Magenta plate at 300 dpi: 255 where it has half its ink or more
  cv::Mat colour_fine;    // the same at the White's resolution (each pixel 4 x 4)
  cv::Mat magenta_fine;   // the Magenta ink (0-255) at the White's resolution
  cv::Point2d centre_mm;  // of the colour
  double choke = 0;       // mm, as the report states it
};

// The keychain made from `picture` and its plates read back.
void RenderAndSeparate(const cv::Mat& picture, const fs::path& dir, WhiteAndColour& p) {
  const fs::path file = dir / "disc.png";
  ASSERT_TRUE(cv::imwrite(file.string(), picture));
  const PrintCliRun r = RunPrintRender("keychain-acrylic", file.string(), dir / "out");
  ASSERT_EQ(r.code, 0) << r.output;
  ASSERT_TRUE(r.report.contains("white")) << r.report.dump();
  p.choke = r.report["white"]["choke_mm"].get<double>();
  ASSERT_GE(p.choke, 0.1);
  ASSERT_LE(p.choke, 0.2);
  const cv::Mat white_ink = Plate(dir / "out", "White", kWhitePxPerMm);
  const cv::Mat magenta = Plate(dir / "out", "Magenta", kColourPxPerMm);
  ASSERT_FALSE(white_ink.empty()) << "no White plate";
  ASSERT_FALSE(magenta.empty()) << "no Magenta plate";
  p.white = white_ink >= 128;
  p.colour = magenta >= 128;
  const cv::Moments m = cv::moments(p.colour, true);
  ASSERT_GT(m.m00, 1000);
  p.centre_mm = {(m.m10 / m.m00 + 0.5) / kColourPxPerMm, (m.m01 / m.m00 + 0.5) / kColourPxPerMm};
  const cv::Rect common(0, 0, std::min(4 * magenta.cols, p.white.cols),
                        std::min(4 * magenta.rows, p.white.rows));
  cv::resize(p.colour, p.colour_fine, cv::Size(), 4, 4, cv::INTER_NEAREST);
  cv::resize(magenta, p.magenta_fine, cv::Size(), 4, 4, cv::INTER_NEAREST);
  p.colour_fine = p.colour_fine(common);
  p.magenta_fine = p.magenta_fine(common);
  p.white = p.white(common);
}

cv::Mat DiscKernel(double radius_mm) {
  const int r = static_cast<int>(radius_mm * kWhitePxPerMm);
  return cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * r + 1, 2 * r + 1));
}

// The White lies inside the colour by the stated choke, all the way round and round the hole.
// A hard-edged picture, so that where the colour stops is where alpha crosses the threshold.
TEST(WhiteUnderbase, IsChokedInsideTheColourAllRound) {
  TempDir dir;
  WhiteAndColour p;
  RenderAndSeparate(Disc(900, 400, 90, 0), dir.path(), p);
  if (HasFatalFailure()) return;
  const double choke = p.choke;
  const cv::Point2d centre = p.centre_mm;
  // along 72 rays, the colour's outer edge less the White's, and the White's edge round the
  // hole less the colour's
  std::vector<double> gaps;
  constexpr int kRays = 72;
  for (int i = 0; i < kRays; ++i) {
    const double angle = 2 * kPi * i / kRays;
    const auto [colour_in, colour_out] = EdgesAlong(p.colour, kColourPxPerMm, centre, angle);
    const auto [white_in, white_out] = EdgesAlong(p.white, kWhitePxPerMm, centre, angle);
    ASSERT_GT(colour_in, 4.0) << "the hole is not clear of colour";
    ASSERT_GT(white_in, 4.0) << "White in the hole";
    gaps.push_back(colour_out - white_out);
    gaps.push_back(white_in - colour_in);
  }
  double sum = 0;
  for (double gap : gaps) sum += gap;
  const auto [least, most] = std::minmax_element(gaps.begin(), gaps.end());
  // the colour is pixels of the 300 dpi artwork (0.085 mm squares): its edge is only known to
  // within half of one; the White is a curve
  EXPECT_NEAR(sum / static_cast<double>(gaps.size()), choke, 0.03) << "mean choke, mm";
  EXPECT_GT(*least, choke - 0.06) << "the White comes nearer the colour's edge than the choke";
  EXPECT_LT(*most, choke + 0.06) << "the White falls further back than the choke";
}

// Over the White's outer 0.2 mm the colour is the picture's red at full strength, not paled by
// the soft edge of the cut-out (a light rim on the White).
TEST(WhiteUnderbase, KeepsThePicturesColourOverItsEdge) {
  TempDir dir;
  WhiteAndColour p;
  RenderAndSeparate(Disc(900, 400, 90, 8), dir.path(), p);
  if (HasFatalFailure()) return;
  cv::Mat inner;
  cv::erode(p.white, inner, DiscKernel(0.2));
  const cv::Mat band = p.white & ~inner;
  ASSERT_GT(cv::countNonZero(band), 1000);
  const cv::Mat pale = (p.magenta_fine < 0.85 * 255) & band;
  EXPECT_LT(cv::countNonZero(pale), cv::countNonZero(band) / 100)
      << "the colour over the White's edge is paled: " << cv::countNonZero(pale) << " of "
      << cv::countNonZero(band) << " pixels under 85 % magenta";
}

// The White and the cut are each on a named layer (optional content) with the PDF/X-4
// configuration rules, and the file says how the sheet is printed.
TEST(WhiteUnderbase, WhiteAndCutAreNamedLayersAndThePrintModeIsStated) {
  TempDir dir;
  const PrintCliRun r =
      RunPrintRender("keychain-acrylic", TestData("images/cutout_man_rgba_1024.png"), dir.path());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.report["print_mode"], "white_then_colour");
  int code = -1;
  const std::string json = RunCommand(
      {"/usr/bin/qpdf", "--json=2", "--json-key=qpdf", (dir.path() / "print.pdf").string()}, &code);
  ASSERT_EQ(code, 0) << json;
  // qpdf's JSON v2: {"qpdf": [header, {"obj:N 0 R": {"value": ...}, "trailer": ...}]}
  const nlohmann::json objects = nlohmann::json::parse(json)["qpdf"][1];
  auto object = [&objects](const nlohmann::json& ref) {
    const std::string key = "obj:" + ref.get<std::string>();
    return objects.contains(key) ? objects[key].value("value", nlohmann::json()) : nlohmann::json();
  };
  const nlohmann::json trailer = objects["trailer"]["value"];
  const nlohmann::json catalog = object(trailer["/Root"]);
  const nlohmann::json info = object(trailer["/Info"]);
  ASSERT_TRUE(catalog.contains("/OCProperties")) << catalog.dump();
  const nlohmann::json& properties = catalog["/OCProperties"];
  std::vector<std::string> layer_names;
  for (const auto& ref : properties["/OCGs"]) {
    const nlohmann::json group = object(ref);
    EXPECT_EQ(group.value("/Type", ""), "/OCG");
    layer_names.push_back(group.value("/Name", ""));
  }
  std::sort(layer_names.begin(), layer_names.end());
  EXPECT_EQ(layer_names, (std::vector<std::string>{"u:CutContour", "u:White"}));
  EXPECT_TRUE(properties["/D"].contains("/Name")) << "PDF/X-4: the default configuration is named";
  EXPECT_FALSE(properties["/D"].contains("/AS")) << "PDF/X-4: no /AS in a configuration";
  EXPECT_EQ(properties["/D"]["/ON"].size(), 2u);
  EXPECT_EQ(info.value("/KeepsakePrintMode", ""), "u:white_then_colour");
  // a double-sided piece says so
  TempDir both;
  const PrintCliRun two =
      RunPrintRender("keychain-acrylic", TestData("images/cutout_man_rgba_1024.png"), both.path(),
                     {"--option", "sides=2"});
  ASSERT_EQ(two.code, 0) << two.output;
  EXPECT_EQ(two.report["print_mode"], "white_then_colour_both_faces");
}

}  // namespace
}  // namespace keepsake::testing
