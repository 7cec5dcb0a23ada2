// The products with two sides, through `keepsake print render` with the shipped profiles
// (assets/print_profiles.json): a postcard's address side (red postcode boxes with their area
// kept clear, a stamp box, address lines, the customer's greeting in Chinese drawn from the
// Debian font's outlines) and a double-sided keychain's back, mirrored so that it registers
// with the front. Checked on renderings that are not ours: Ghostscript's pages and plates,
// poppler's page boxes.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "print_cli.hpp"
#include "test_support.hpp"

namespace keepsake::testing {
namespace {

namespace fs = std::filesystem;

using Rendered = PrintCliRun;

Rendered Render(const std::string& product, const std::string& image, const fs::path& out,
                const std::vector<std::string>& extra = {}) {
  return RunPrintRender(product, image, out, extra);
}

// One page rendered by Ghostscript at `dpi`, as BGR.
cv::Mat GhostscriptPage(const fs::path& pdf, int page, int dpi) {
  const fs::path png = pdf.parent_path() / ("page" + std::to_string(page) + ".png");
  int code = -1;
  RunCommand({"/usr/bin/gs", "-q", "-dBATCH", "-dNOPAUSE", "-dSAFER", "-sDEVICE=png16m",
              "-r" + std::to_string(dpi), "-dFirstPage=" + std::to_string(page),
              "-dLastPage=" + std::to_string(page), "-o", png.string(), pdf.string()},
             &code);
  EXPECT_EQ(code, 0);
  return cv::imread(png.string(), cv::IMREAD_COLOR);
}

std::string Image(const std::string& name) { return TestData("images/" + name); }

constexpr int kDpi = 100;

// A region given in mm from the trim's top left, as pixels of a page with `bleed_mm`.
cv::Rect Region(double x, double y, double w, double h, double bleed_mm) {
  const double px = kDpi / 25.4;
  return cv::Rect(static_cast<int>((bleed_mm + x) * px), static_cast<int>((bleed_mm + y) * px),
                  static_cast<int>(w * px), static_cast<int>(h * px));
}

int RedPixels(const cv::Mat& bgr) {
  cv::Mat red;
  cv::inRange(bgr, cv::Scalar(0, 0, 170), cv::Scalar(110, 110, 255), red);
  return cv::countNonZero(red);
}

int BlackPixels(const cv::Mat& bgr) {  // the greeting's 100 % K, not the grey lines
  cv::Mat black;
  cv::inRange(bgr, cv::Scalar(0, 0, 0), cv::Scalar(80, 80, 80), black);
  return cv::countNonZero(black);
}

// The postcard-cn address side (a landscape page image) as docs/print-specs.md specifies it.
void ExpectTheAddressSideAsSpecified(const cv::Mat& back, double bleed);

const char* kGreeting =
    "亲爱的小美：\n新年快乐！愿你在新的一年里万事如意，心想事成。这是我用AI做的狐狸女孩，"
    "送给你。Happy New Year from Shanghai!\n—— 阿明";

TEST(PostcardBack, PostcodeBoxesStampAndGreetingSitWhereTheSpecSays) {
  TempDir dir;
  const Rendered r = Render("postcard-cn", Image("portrait_anime_fennec_girl_1024.png"), dir.path(),
                            {"--text", kGreeting});
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.report["pages"], 2);
  EXPECT_EQ(r.report["back"]["postcode_boxes"], 6);
  EXPECT_GE(r.report["back"]["greeting_lines"].get<int>(), 4);  // wrapped, and its own breaks

  const fs::path pdf = dir.path() / "print.pdf";
  int code = -1;
  const std::string boxes =
      RunCommand({"/usr/bin/pdfinfo", "-f", "2", "-l", "2", "-box", pdf.string()}, &code);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      boxes, m, std::regex(R"(Page\s+2 TrimBox:\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+))")))
      << boxes;
  EXPECT_NEAR((std::stod(m[3]) - std::stod(m[1])) * 25.4 / 72, 148, 0.1);  // landscape, as listed
  EXPECT_NEAR((std::stod(m[4]) - std::stod(m[2])) * 25.4 / 72, 100, 0.1);
  EXPECT_EQ(r.report["back"]["turned_ccw_deg"], 0);  // a square picture: the card as listed

  const cv::Mat back = GhostscriptPage(pdf, 2, kDpi);
  ASSERT_FALSE(back.empty());
  ExpectTheAddressSideAsSpecified(back, r.report["bleed_mm"].get<double>());
}

// A portrait picture turns the picture side to portrait; the address side is drawn on a page
// of the same size and orientation, turned 90 degrees counter-clockwise, as the report says:
// imposition takes one page size for both sides.
TEST(PostcardBack, APortraitPictureTurnsTheAddressSideOnAPageOfTheFrontsSize) {
  TempDir dir;
  const Rendered r = Render("postcard-cn", Image("portrait_boxer_exif_prompt_1152x1752.jpg"),
                            dir.path(), {"--text", kGreeting});
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.report["back"]["turned_ccw_deg"], 90);
  EXPECT_EQ(r.report["back"]["page_size_as_front"], true);
  const fs::path pdf = dir.path() / "print.pdf";
  int code = -1;
  const std::string boxes =
      RunCommand({"/usr/bin/pdfinfo", "-f", "1", "-l", "2", "-box", pdf.string()}, &code);
  std::smatch one, two;
  ASSERT_TRUE(std::regex_search(boxes, one, std::regex(R"(Page\s+1 MediaBox:\s+([^\n]+))")));
  ASSERT_TRUE(std::regex_search(boxes, two, std::regex(R"(Page\s+2 MediaBox:\s+([^\n]+))")));
  EXPECT_EQ(one[1].str(), two[1].str()) << boxes;
  ASSERT_TRUE(std::regex_search(
      boxes, one, std::regex(R"(Page\s+1 TrimBox:\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+))")));
  EXPECT_NEAR((std::stod(one[3]) - std::stod(one[1])) * 25.4 / 72, 100, 0.1);  // portrait
  EXPECT_NEAR((std::stod(one[4]) - std::stod(one[2])) * 25.4 / 72, 148, 0.1);
  // turned back clockwise, the address side is the card as specified
  cv::Mat back = GhostscriptPage(pdf, 2, kDpi);
  ASSERT_FALSE(back.empty());
  EXPECT_GT(back.rows, back.cols);
  cv::rotate(back, back, cv::ROTATE_90_CLOCKWISE);
  ExpectTheAddressSideAsSpecified(back, r.report["bleed_mm"].get<double>());
}

void ExpectTheAddressSideAsSpecified(const cv::Mat& back, double bleed) {
  // six red boxes of 8 x 10 mm from (10, 8): their outlines are red, nothing else is
  const cv::Rect postcode = Region(9, 7, 60, 12, bleed);
  EXPECT_GT(RedPixels(back(postcode)), 6 * 100);
  EXPECT_EQ(RedPixels(back), RedPixels(back(postcode)));
  // the 80 x 26 mm at the top left hold the boxes only: no text, no line
  EXPECT_EQ(BlackPixels(back(Region(0, 0, 80, 26, bleed))), 0);
  // the greeting is in its box, in black, and nowhere else
  const cv::Rect greeting = Region(8, 32, 62, 58, bleed);
  EXPECT_GT(BlackPixels(back(greeting)), 1500);
  EXPECT_EQ(BlackPixels(back), BlackPixels(back(greeting)));
  // the stamp box (20 x 24 mm, 8 mm from the top right) is drawn: grey ink along its edge
  cv::Mat grey;
  cv::inRange(back(Region(148 - 8 - 20 - 1, 8 - 1, 22, 26, bleed)), cv::Scalar(60, 60, 60),
              cv::Scalar(200, 200, 200), grey);
  EXPECT_GT(cv::countNonZero(grey), 50);
}

TEST(PostcardBack, A6BackWithoutGreetingIsBlankWhereTheTextWouldGo) {
  TempDir dir;
  const Rendered r =
      Render("postcard-a6", Image("portrait_offcentre_face_qwen_1024.png"), dir.path());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.report["pages"], 2);
  const cv::Mat back = GhostscriptPage(dir.path() / "print.pdf", 2, kDpi);
  ASSERT_FALSE(back.empty());
  EXPECT_EQ(BlackPixels(back), 0);
  EXPECT_EQ(RedPixels(back), 0);  // no postcode boxes on the A6 card
}

TEST(PostcardBack, AGreetingThatCannotBePrintedIsRefusedInOneLine) {
  TempDir dir;
  const std::string image = Image("portrait_anime_fennec_girl_1024.png");
  std::string long_text;
  for (int i = 0; i < 30; ++i) long_text += "新年快乐，万事如意，身体健康。";
  const Rendered too_long =
      Render("postcard-cn", image, dir.path() / "long", {"--text", long_text});
  EXPECT_EQ(too_long.code, 2);
  EXPECT_NE(too_long.output.find("lines; the card has room for 10"), std::string::npos)
      << too_long.output;
  const Rendered emoji =
      Render("postcard-cn", image, dir.path() / "emoji", {"--text", "生日快乐\xF0\x9F\x8E\x82"});
  EXPECT_EQ(emoji.code, 2);
  EXPECT_NE(emoji.output.find("cannot print: U+1F382"), std::string::npos) << emoji.output;
  const Rendered broken = Render("postcard-cn", image, dir.path() / "utf8", {"--text", "ab\xff"});
  EXPECT_EQ(broken.code, 2);
  EXPECT_NE(broken.output.find("not valid UTF-8"), std::string::npos) << broken.output;
  const Rendered magnet = Render("magnet-rect", image, dir.path() / "magnet", {"--text", "hi"});
  EXPECT_EQ(magnet.code, 2);
  EXPECT_NE(magnet.output.find("magnet-rect has no room for a greeting"), std::string::npos);
  for (const char* name : {"long", "emoji", "utf8", "magnet"}) {
    EXPECT_FALSE(fs::exists(dir.path() / name / "print.pdf")) << name;
  }
}

// tiffsep writes one set of plates per page: sepN(CutContour).tif for page N.
cv::Mat Plate(const fs::path& dir, int page, const std::string& ink) {
  return cv::imread((dir / ("sep" + std::to_string(page) + "(" + ink + ").tif")).string(),
                    cv::IMREAD_GRAYSCALE);
}

// Of the ink in `a`, the share within 2 px of ink in `b`.
double InkOverlap(const cv::Mat& a, const cv::Mat& b) {
  const cv::Mat ink_a = a < 128, ink_b = b < 128;
  cv::Mat near_b;
  cv::dilate(ink_b, near_b, cv::Mat::ones(5, 5, CV_8U));
  const int total = cv::countNonZero(ink_a);
  return total == 0 ? 0 : static_cast<double>(cv::countNonZero(ink_a & near_b)) / total;
}

TEST(DoubleSidedKeychain, TheBackIsTheFrontMirroredPlateByPlate) {
  TempDir dir;
  const Rendered r = Render("keychain-acrylic", Image("cutout_corgi_pixelart_rgba_1024.png"),
                            dir.path(), {"--option", "sides=2", "--option", "size_mm=50"});
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.report["pages"], 2);
  EXPECT_EQ(r.report["sides"], 2);
  int code = -1;
  RunCommand({"/usr/bin/gs", "-q", "-dBATCH", "-dNOPAUSE", "-dSAFER", "-sDEVICE=tiffsep",
              "-r" + std::to_string(kDpi), "-o", (dir.path() / "sep%d.tif").string(),
              (dir.path() / "print.pdf").string()},
             &code);
  ASSERT_EQ(code, 0);
  for (const std::string ink : {"CutContour", "White", "Cyan", "Magenta", "Black"}) {
    const cv::Mat front = Plate(dir.path(), 1, ink), back = Plate(dir.path(), 2, ink);
    ASSERT_FALSE(front.empty() || back.empty()) << "no " << ink << " plate";
    ASSERT_GT(cv::countNonZero(front < 128), 50) << ink;  // a plate with ink to compare
    cv::Mat mirrored;
    cv::flip(front, mirrored, 1);
    EXPECT_GT(InkOverlap(back, mirrored), 0.97) << ink;
    EXPECT_GT(InkOverlap(mirrored, back), 0.97) << ink;
    // and the back is not simply the front: the corgi is not symmetric
    if (ink == "Black") {
      EXPECT_LT(InkOverlap(back, front), 0.9);
    }
  }
  const Rendered magnet = Render("magnet-rect", Image("portrait_anime_fennec_girl_1024.png"),
                                 dir.path() / "magnet", {"--option", "sides=2"});
  EXPECT_EQ(magnet.code, 2);
  EXPECT_NE(magnet.output.find("magnet-rect is printed on one side only"), std::string::npos);
}

// Every product of assets/print_profiles.json, with the shipped numbers, from a real picture:
// qpdf finds the file sound, poppler's TrimBox is the report's trim, die-cuts are cut with
// corners no tighter than the minimum and a path that does not cross itself.
TEST(ShippedProfiles, EveryProductRendersWithItsOwnNumbers) {
  const std::string portrait = Image("portrait_photoreal_sd15_1280x1920.png");
  const std::string corgi = Image("cutout_corgi_pixelart_rgba_1024.png");
  const std::vector<std::pair<std::string, std::string>> products = {
      {"photo-print-5in", portrait},
      {"photo-print-6in", portrait},
      {"photo-print-7in", Image("portrait_boxer_exif_prompt_1152x1752.jpg")},
      {"postcard-cn", portrait},
      {"postcard-a6", portrait},
      {"magnet-rect", Image("portrait_offcentre_face_qwen_1024.png")},
      {"magnet-round-58", Image("portrait_offcentre_face_qwen_1024.png")},
      {"magnet-diecut", Image("cutout_man_rgba_1024.png")},
      {"keychain-acrylic", corgi}};
  TempDir dir;
  for (const auto& [product, image] : products) {
    SCOPED_TRACE(product);
    std::vector<std::string> extra = {"--allow-low-dpi"};  // the 7-inch print is below 150 dpi
    const Rendered r = Render(product, image, dir.path() / product, extra);
    ASSERT_EQ(r.code, 0) << r.output;
    const fs::path pdf = dir.path() / product / "print.pdf";
    int code = -1;
    EXPECT_NE(RunCommand({"/usr/bin/qpdf", "--check", pdf.string()}, &code).find("No syntax"),
              std::string::npos);
    const std::string boxes =
        RunCommand({"/usr/bin/pdfinfo", "-f", "1", "-l", "1", "-box", pdf.string()}, &code);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(
        boxes, m, std::regex(R"(Page\s+1 TrimBox:\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+))")))
        << boxes;
    EXPECT_NEAR((std::stod(m[3]) - std::stod(m[1])) * 25.4 / 72,
                r.report["trim_mm"][0].get<double>(), 0.05);
    EXPECT_NEAR((std::stod(m[4]) - std::stod(m[2])) * 25.4 / 72,
                r.report["trim_mm"][1].get<double>(), 0.05);
    if (r.report.contains("cut")) {
      EXPECT_TRUE(r.report["cut"]["corners_at_least_min_radius"].get<bool>());
      EXPECT_FALSE(r.report["cut"]["crosses_itself"].get<bool>());
    }
  }
}

}  // namespace
}  // namespace keepsake::testing
