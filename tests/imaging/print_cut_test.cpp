// The cut a cutter or a badge press gets, read back from the print file the way the shop's RIP
// sees it: Ghostscript's tiffsep renders the CutContour plate alone, and the geometry is
// measured on that plate (never on Keepsake's own numbers). Round magnets are cut as a circle
// at the trim; a badge's disc is the shell's face plus the wrap; a keychain's ring sits on the
// piece's balance line, so it hangs straight, and its hole is a true circle.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "print_cli.hpp"
#include "test_support.hpp"

namespace keepsake::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kDpi = 300;
constexpr double kPxPerMm = kDpi / 25.4;
const double kPi = std::acos(-1.0);

struct Rendered : PrintCliRun {
  cv::Mat cut;  // the CutContour plate of page 1: 255 where the cutter runs
};

Rendered Render(const std::string& product, const std::string& image, const fs::path& out,
                const std::vector<std::string>& extra = {}) {
  Rendered r;
  static_cast<PrintCliRun&>(r) = RunPrintRender(product, image, out, extra);
  if (r.code != 0) return r;
  RunCommand({"/usr/bin/gs", "-q", "-dBATCH", "-dNOPAUSE", "-dSAFER", "-sDEVICE=tiffsep",
              "-r" + std::to_string(kDpi), "-dFirstPage=1", "-dLastPage=1", "-o",
              (out / "sep.tif").string(), (out / "print.pdf").string()});
  const cv::Mat plate = cv::imread((out / "sep(CutContour).tif").string(), cv::IMREAD_GRAYSCALE);
  if (!plate.empty()) r.cut = plate < 128;  // tiffsep plates: dark is ink
  return r;
}

std::string Image(const std::string& name) { return TestData("images/" + name); }

// The page's size in mm, from pdfinfo's MediaBox.
std::array<double, 2> PageMm(const fs::path& pdf) {
  int code = -1;
  const std::string info = RunCommand({"/usr/bin/pdfinfo", "-box", pdf.string()}, &code);
  std::smatch m;
  EXPECT_TRUE(std::regex_search(
      info, m, std::regex(R"(MediaBox:\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+))")))
      << info;
  return {(std::stod(m[3]) - std::stod(m[1])) * 25.4 / 72,
          (std::stod(m[4]) - std::stod(m[2])) * 25.4 / 72};
}

// Every ink pixel of the plate at `radius_mm` (+- tolerance) from the page's centre, and the
// circle inked all the way round (every degree has ink).
void ExpectACircleAroundTheCentre(const cv::Mat& cut, double radius_mm) {
  ASSERT_FALSE(cut.empty()) << "no CutContour plate";
  const cv::Point2d centre(cut.cols / 2.0, cut.rows / 2.0);
  std::vector<cv::Point> ink;
  cv::findNonZero(cut, ink);
  ASSERT_GT(ink.size(), 500u);
  std::vector<bool> degrees(360, false);
  double worst = 0;
  for (const cv::Point& p : ink) {
    const cv::Point2d d = cv::Point2d(p) + cv::Point2d(0.5, 0.5) - centre;
    worst = std::max(worst, std::abs(std::hypot(d.x, d.y) / kPxPerMm - radius_mm));
    const int deg = static_cast<int>(std::floor((std::atan2(d.y, d.x) + kPi) * 180 / kPi)) % 360;
    degrees[static_cast<size_t>(deg)] = true;
  }
  EXPECT_LT(worst, 0.3) << "mm off the circle of radius " << radius_mm;
  EXPECT_EQ(std::count(degrees.begin(), degrees.end(), true), 360);
}

TEST(RoundCut, AFlatRoundMagnetIsCutAsACircleAtItsTrim) {
  TempDir dir;
  const Rendered r =
      Render("magnet-round-58", Image("portrait_offcentre_face_qwen_1024.png"), dir.path());
  ASSERT_EQ(r.code, 0) << r.output;
  const double bleed = r.report["bleed_mm"];
  const auto page = PageMm(dir.path() / "print.pdf");
  EXPECT_NEAR(page[0], 58 + 2 * bleed, 0.05);
  ASSERT_EQ(r.report["cut"]["circles"].size(), 1u);
  EXPECT_NEAR(r.report["cut"]["circles"][0]["diameter_mm"].get<double>(), 58, 0.01);
  ExpectACircleAroundTheCentre(r.cut, 29);
}

// A 58 mm button: the printed disc wraps 6 mm round the shell's edge on each side, so the shop's
// circle cutter takes 70 mm discs; the picture fills the disc, wrap included.
TEST(RoundCut, ABadgeDiscIsTheShellFacePlusItsWrap) {
  TempDir dir;
  const Rendered r =
      Render("badge-magnet-58", Image("portrait_offcentre_face_qwen_1024.png"), dir.path());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.report["badge"]["shell_face_mm"], 58);
  EXPECT_EQ(r.report["badge"]["disc_mm"], 70);
  const double bleed = r.report["bleed_mm"];
  const auto page = PageMm(dir.path() / "print.pdf");
  EXPECT_NEAR(page[0], 70 + 2 * bleed, 0.05);
  EXPECT_NEAR(page[1], 70 + 2 * bleed, 0.05);
  ExpectACircleAroundTheCentre(r.cut, 35);
  // the artwork reaches into the wrap: ink between the face's edge and the disc's
  cv::Mat inked = cv::Mat::zeros(r.cut.size(), CV_8U);
  for (const std::string ink : {"Cyan", "Magenta", "Yellow", "Black"}) {
    const cv::Mat plate =
        cv::imread((dir.path() / ("sep(" + ink + ").tif")).string(), cv::IMREAD_GRAYSCALE);
    ASSERT_FALSE(plate.empty()) << ink;
    inked |= plate < 250;
  }
  cv::Mat ring = cv::Mat::zeros(inked.size(), CV_8U);
  const cv::Point centre(inked.cols / 2, inked.rows / 2);
  cv::circle(ring, centre, static_cast<int>(34 * kPxPerMm), cv::Scalar(255), cv::FILLED);
  cv::circle(ring, centre, static_cast<int>(30 * kPxPerMm), cv::Scalar(0), cv::FILLED);
  EXPECT_GT(cv::countNonZero(inked & ring), cv::countNonZero(ring) * 9 / 10);
}

// The keychain's outline (filled) and its ring hole, from the CutContour plate: the outer
// contour filled, the hole the inner contour. How it hangs: the angle between the vertical and
// the line from the hole's centre to the piece's centre of mass.
double HangDegrees(const cv::Mat& cut, cv::Point2d* hole_centre, double* hole_radius_spread) {
  std::vector<std::vector<cv::Point>> contours;
  std::vector<cv::Vec4i> hierarchy;
  cv::findContours(cut.clone(), contours, hierarchy, cv::RETR_CCOMP, cv::CHAIN_APPROX_NONE);
  size_t outer = 0;
  for (size_t c = 1; c < contours.size(); ++c) {
    if (cv::contourArea(contours[c]) > cv::contourArea(contours[outer])) outer = c;
  }
  cv::Mat piece = cv::Mat::zeros(cut.size(), CV_8U);
  cv::drawContours(piece, contours, static_cast<int>(outer), cv::Scalar(255), cv::FILLED);
  // the hole: inside the outline, the stroke's ring around it separates it from the rest
  cv::Mat stroke;  // a pixel wider, so that no diagonal gap joins the hole to the rest
  cv::dilate(cut, stroke, cv::Mat::ones(3, 3, CV_8U));
  cv::Mat inside = piece & ~stroke;
  // the part whose area is nearest a 4 mm disc's (the hole sits inside the piece's interior,
  // so parts are told apart as connected components, not as outer contours)
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(inside, labels, stats, centroids, 4);
  const double disc = kPi * std::pow(2 * kPxPerMm, 2);
  int hole = 1;
  for (int c = 2; c < n; ++c) {
    if (std::abs(stats.at<int>(c, cv::CC_STAT_AREA) - disc) <
        std::abs(stats.at<int>(hole, cv::CC_STAT_AREA) - disc)) {
      hole = c;
    }
  }
  std::vector<std::vector<cv::Point>> parts;
  cv::findContours(labels == hole, parts, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
  const size_t hole_part = 0;
  cv::Point2f centre;
  float radius = 0;
  cv::minEnclosingCircle(parts[hole_part], centre, radius);
  double lo = 1e9, hi = 0;
  for (const cv::Point& p : parts[hole_part]) {
    const double d = cv::norm(cv::Point2d(p) - cv::Point2d(centre));
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  *hole_radius_spread = (hi - lo) / kPxPerMm;
  *hole_centre = centre;
  cv::Mat solid = piece.clone();
  solid.setTo(0, labels == hole);
  const cv::Moments m = cv::moments(solid, true);
  const cv::Point2d mass(m.m10 / m.m00, m.m01 / m.m00);
  return std::atan2(std::abs(mass.x - centre.x), mass.y - centre.y) * 180 / kPi;
}

class KeychainHang : public ::testing::TestWithParam<const char*> {};

TEST_P(KeychainHang, TheRingSitsOnTheBalanceLineSoThePieceHangsStraight) {
  TempDir dir;
  const Rendered r = Render("keychain-acrylic", Image(GetParam()), dir.path());
  ASSERT_EQ(r.code, 0) << r.output;
  ASSERT_FALSE(r.cut.empty());
  cv::Point2d hole;
  double spread = 0;
  const double hang = HangDegrees(r.cut, &hole, &spread);
  EXPECT_LT(hang, 5.0) << "degrees from vertical";
  EXPECT_NEAR(r.report["hang_deg"].get<double>(), hang, 1.5);
  // the hole is a true circle: its inner edge is as round as the plate's pixels allow
  EXPECT_LT(spread, 0.15) << "mm between the hole's nearest and farthest edge points";
  ASSERT_EQ(r.report["cut"]["circles"].size(), 1u);
  EXPECT_NEAR(r.report["cut"]["circles"][0]["diameter_mm"].get<double>(), 4, 0.01);
}

INSTANTIATE_TEST_SUITE_P(Pictures, KeychainHang,
                         ::testing::Values("cutout_corgi_pixelart_rgba_1024.png",
                                           "cutout_man_rgba_1024.png"),
                         [](const auto& param) {
                           return std::string(param.index == 0 ? "Corgi" : "Man");
                         });

// The reviewer may move the ring off the balance line: the piece then hangs askew, and the
// report says by how much and warns.
TEST(KeychainHangOffset, AMovedRingIsReportedWithItsAngle) {
  TempDir dir;
  const Rendered r = Render("keychain-acrylic", Image("cutout_corgi_pixelart_rgba_1024.png"),
                            dir.path(), {"--ring-offset-mm", "12"});
  ASSERT_EQ(r.code, 0) << r.output;
  cv::Point2d hole;
  double spread = 0;
  const double hang = HangDegrees(r.cut, &hole, &spread);
  EXPECT_GT(hang, 5.0);
  EXPECT_NEAR(r.report["hang_deg"].get<double>(), hang, 1.5);
  bool warned = false;
  for (const auto& w : r.report["warnings"]) warned |= w["code"] == "hangs_askew";
  EXPECT_TRUE(warned) << r.report["warnings"].dump();
}

}  // namespace
}  // namespace keepsake::testing
