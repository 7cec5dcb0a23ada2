// Print files for the 2D products from real AI-generated images (tests/data/images and
// the generators' input pictures), checked by tools that are not ours: qpdf (structure, and
// the PDF/X-4 requirements read back with its object model: tests/support/pdfx_check.hpp),
// poppler's pdfinfo (page boxes, the XMP), Ghostscript (renders the PDF; inkcov says the page
// is CMYK, tiffsep gives each plate for the total ink), and a plain read of the PNG's pHYs.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <zlib.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "keepsake/imaging/print.hpp"
#include "pdfx_check.hpp"
#include "test_support.hpp"

namespace keepsake::imaging {
namespace {

using keepsake::testing::RunCommand;
using keepsake::testing::TempDir;
using keepsake::testing::TestData;

constexpr double kPtPerMm = 72.0 / 25.4;

std::string Image(const std::string& name) { return TestData("images/" + name); }

// The press condition assets/print_profiles.json separates for by default (FOGRA39).
PressCondition Press() {
  const nlohmann::json doc = nlohmann::json::parse(
      keepsake::testing::ReadFile(keepsake::testing::SourceDir() + "/assets/print_profiles.json"));
  const std::string id = doc["defaults"]["press"];
  const nlohmann::json& p = doc["presses"][id];
  PressCondition press;
  press.id = id;
  press.icc_path = p["icc"];
  press.identifier = p["output_condition_identifier"];
  press.registry = p["registry"];
  press.condition = p["output_condition"];
  press.total_ink_limit_percent = p["total_ink_limit_percent"];
  return press;
}

PrintInputs Inputs(const std::string& image) {
  PrintInputs in;
  in.image_path = image;
  in.press = Press();
  in.face_model_path = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml";
  return in;
}

PrintProfile Profile(const std::string& id, double w, double h, double bleed, double safe,
                     PrintShape shape = PrintShape::kRectangle) {
  PrintProfile p;
  p.id = id;
  p.trim_width_mm = w;
  p.trim_height_mm = h;
  p.bleed_mm = bleed;
  p.safe_mm = safe;
  p.shape = shape;
  p.may_rotate = shape == PrintShape::kRectangle;
  return p;
}

// The four numbers of a box line of `pdfinfo -box`, e.g. "TrimBox: 5.67 5.67 289.13 425.20".
std::array<double, 4> BoxOf(const std::string& pdfinfo, const std::string& name) {
  std::smatch m;
  const std::regex line(name + R"(:\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+))");
  EXPECT_TRUE(std::regex_search(pdfinfo, m, line)) << pdfinfo;
  if (m.size() < 5) return {};
  return {std::stod(m[1]), std::stod(m[2]), std::stod(m[3]), std::stod(m[4])};
}

uint32_t PngPixelsPerMetre(const std::string& png) {
  const size_t at = png.find("pHYs");
  if (at == std::string::npos || at + 12 > png.size()) return 0;
  const auto* b = reinterpret_cast<const unsigned char*>(png.data() + at + 4);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

struct ProductCase {
  PrintProfile profile;
  std::string image;
};

class PrintProduct : public ::testing::TestWithParam<ProductCase> {};

TEST_P(PrintProduct, PdfBoxesCmykAndPngDpiAreRight) {
  const ProductCase& c = GetParam();
  auto r = RenderPrint(Inputs(c.image), c.profile);
  ASSERT_TRUE(r) << r.error().message;
  TempDir dir;
  const std::string pdf = (dir.path() / "print.pdf").string();
  std::ofstream(pdf, std::ios::binary) << r->pdf;

  int code = -1;
  const std::string check = RunCommand({"/usr/bin/qpdf", "--check", pdf}, &code);
  EXPECT_EQ(code, 0) << check;
  EXPECT_NE(check.find("No syntax or stream encoding errors"), std::string::npos) << check;

  const std::string info = RunCommand({"/usr/bin/pdfinfo", "-box", pdf}, &code);
  ASSERT_EQ(code, 0) << info;
  const auto media = BoxOf(info, "MediaBox");
  const auto trim = BoxOf(info, "TrimBox");
  const auto bleed = BoxOf(info, "BleedBox");
  EXPECT_NEAR((trim[2] - trim[0]) / kPtPerMm, r->trim_width_mm, 0.05);
  EXPECT_NEAR((trim[3] - trim[1]) / kPtPerMm, r->trim_height_mm, 0.05);
  EXPECT_NEAR(trim[0] / kPtPerMm, c.profile.bleed_mm, 0.05);
  EXPECT_NEAR((media[2] - media[0]) / kPtPerMm, r->trim_width_mm + 2 * c.profile.bleed_mm, 0.05);
  EXPECT_EQ(bleed, media);
  // the trim is the product's size, in the image's orientation where the product may turn
  const double longer = std::max(c.profile.trim_width_mm, c.profile.trim_height_mm);
  EXPECT_NEAR(std::max(r->trim_width_mm, r->trim_height_mm), longer, 1e-9);

  // Ghostscript renders it; inkcov reports four inks, i.e. the page is CMYK
  const std::string ink = RunCommand(
      {"/usr/bin/gs", "-q", "-dBATCH", "-dNOPAUSE", "-sDEVICE=inkcov", "-o", "-", pdf}, &code);
  EXPECT_EQ(code, 0) << ink;
  EXPECT_NE(ink.find("CMYK OK"), std::string::npos) << ink;

  // print.png: the artwork at the profile's dpi, which the file states (300 dpi = 11811 px/m)
  EXPECT_EQ(PngPixelsPerMetre(r->png), 11811u);
  const std::vector<uchar> bytes(r->png.begin(), r->png.end());
  const cv::Mat png = cv::imdecode(bytes, cv::IMREAD_COLOR);
  EXPECT_EQ(png.cols, r->width_px);
  EXPECT_NEAR(png.cols, (r->trim_width_mm + 2 * c.profile.bleed_mm) / 25.4 * 300, 1.0);
  EXPECT_FALSE(r->preview_png.empty());

  // PDF/X-4 as an intake reads it: every checked requirement holds, the press condition is
  // the registered FOGRA39, and poppler finds the PDF/X version in the XMP
  const keepsake::testing::PdfXReport x = keepsake::testing::CheckPdfX4(pdf);
  EXPECT_TRUE(x.problems.empty()) << ::testing::PrintToString(x.problems);
  EXPECT_EQ(x.output_condition_identifier, "FOGRA39");
  EXPECT_EQ(x.registry_name, "http://www.color.org");
  EXPECT_NE(r->output_intent.find("FOGRA39"), std::string::npos) << r->output_intent;
  const std::string meta = RunCommand({"/usr/bin/pdfinfo", "-meta", pdf}, &code);
  EXPECT_NE(meta.find("<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>"),
            std::string::npos)
      << meta;
}

// The total ink never passes the press condition's limit (300 % for FOGRA39 as built): each
// plate rendered by Ghostscript's tiffsep, summed pixel by pixel, on the darkest, most
// saturated picture of the set.
TEST(PrintInk, TotalInkStaysWithinThePressLimit) {
  PrintInputs in = Inputs(Image("portrait_anime_fennec_girl_1024.png"));
  auto r = RenderPrint(in, Profile("magnet-rect", 80, 53, 2, 3));
  ASSERT_TRUE(r) << r.error().message;
  TempDir dir;
  const std::string pdf = (dir.path() / "print.pdf").string();
  std::ofstream(pdf, std::ios::binary) << r->pdf;
  RunCommand({"/usr/bin/gs", "-q", "-dBATCH", "-dNOPAUSE", "-sDEVICE=tiffsep", "-r72", "-o",
              (dir.path() / "sep.tif").string(), pdf});
  cv::Mat total;
  for (const std::string ink : {"Cyan", "Magenta", "Yellow", "Black"}) {
    const cv::Mat plate =
        cv::imread((dir.path() / ("sep(" + ink + ").tif")).string(), cv::IMREAD_GRAYSCALE);
    ASSERT_FALSE(plate.empty()) << "no " << ink << " plate";
    cv::Mat coverage;
    plate.convertTo(coverage, CV_32F, -100.0 / 255, 100);  // tiffsep: 255 is no ink
    total = total.empty() ? coverage : total + coverage;
  }
  double darkest = 0;
  cv::minMaxLoc(total, nullptr, &darkest);
  EXPECT_LE(darkest, in.press.total_ink_limit_percent + 2);
  EXPECT_GT(darkest, 200) << "the picture has no deep shadow to test the limit on";
}

INSTANTIATE_TEST_SUITE_P(
    Products, PrintProduct,
    ::testing::Values(ProductCase{Profile("postcard-cn", 148, 100, 2, 4),
                                  Image("portrait_photoreal_sd15_1280x1920.png")},
                      ProductCase{Profile("postcard-a6", 148, 105, 3, 4),
                                  Image("portrait_boxer_exif_prompt_1152x1752.jpg")},
                      ProductCase{Profile("photo-print-5in", 127, 89, 2, 3),
                                  Image("portrait_photoreal_sd15_1280x1920.png")},
                      ProductCase{Profile("magnet-rect", 80, 53, 2, 3),
                                  Image("portrait_anime_fennec_girl_1024.png")},
                      ProductCase{Profile("magnet-round-58", 58, 58, 2, 4, PrintShape::kRound),
                                  Image("portrait_offcentre_face_qwen_1024.png")},
                      ProductCase{Profile("magnet-rect", 80, 53, 2, 3),
                                  Image("lowres_cutout_armored_man_rgba_512.png")}),
    [](const auto& test) {
      std::string name = test.param.profile.id + "_" + std::to_string(test.index);
      for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

// The face is in the upper left: a centre crop would cut it; the face-aware crop keeps it.
TEST(PrintCrop, AnOffCentreFaceStaysInsideTheCrop) {
  auto r = RenderPrint(Inputs(Image("portrait_offcentre_face_qwen_1024.png")),
                       Profile("magnet-rect", 80, 53, 2, 3));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_FALSE(r->faces.empty());
  const auto& f = r->faces.front();
  const auto& c = r->crop_px;
  EXPECT_GE(f[0], c[0]);
  EXPECT_GE(f[1], c[1]);
  EXPECT_LE(f[0] + f[2], c[0] + c[2]);
  EXPECT_LE(f[1] + f[3], c[1] + c[3]);
  // the square image on a landscape magnet: the crop is a band, moved up from the centre
  EXPECT_LT(c[1], (1024 - c[3]) / 2);
}

// A reviewer's crop: zoom 2 takes half the width and height (and half the dpi), and the offset
// puts it where the reviewer moved it, here the lower right corner, past the face-aware choice.
TEST(PrintCrop, AReviewerZoomsAndMovesTheCrop) {
  const PrintProfile magnet = Profile("magnet-rect", 80, 53, 2, 3);
  auto fitted = RenderPrint(Inputs(Image("portrait_offcentre_face_qwen_1024.png")), magnet);
  ASSERT_TRUE(fitted) << fitted.error().message;
  PrintInputs inputs = Inputs(Image("portrait_offcentre_face_qwen_1024.png"));
  inputs.zoom = 2;
  inputs.crop_offset = std::array<double, 2>{1, 1};
  auto zoomed = RenderPrint(inputs, magnet);
  ASSERT_TRUE(zoomed) << zoomed.error().message;
  const auto& a = fitted->crop_px;
  const auto& b = zoomed->crop_px;
  EXPECT_NEAR(b[2], a[2] / 2.0, 2);
  EXPECT_NEAR(b[3], a[3] / 2.0, 2);
  EXPECT_NEAR(b[0] + b[2], 1024, 2);  // at the right edge
  EXPECT_NEAR(b[1] + b[3], 1024, 2);  // and the bottom
  EXPECT_NEAR(zoomed->effective_dpi, fitted->effective_dpi / 2, 1);
  EXPECT_EQ(zoomed->width_px, fitted->width_px);  // the print keeps its size
}

// On the round magnet the safe area is a circle: the off-centre portrait's face box reaches
// past it (its corners), which the rectangular check would not see.
TEST(PrintCrop, RoundMagnetChecksFacesAgainstTheSafeCircle) {
  auto round = RenderPrint(Inputs(Image("portrait_offcentre_face_qwen_1024.png")),
                           Profile("magnet-round-58", 58, 58, 2, 4, PrintShape::kRound));
  ASSERT_TRUE(round) << round.error().message;
  ASSERT_FALSE(round->faces.empty());
  bool face_warning = false;
  for (const Notice& w : round->warnings) face_warning |= w.code == "face_near_trim";
  EXPECT_TRUE(face_warning);
  // the same picture on the rectangular magnet keeps its face well inside
  auto rect = RenderPrint(Inputs(Image("portrait_offcentre_face_qwen_1024.png")),
                          Profile("magnet-rect", 80, 53, 2, 3));
  ASSERT_TRUE(rect);
  for (const Notice& w : rect->warnings) EXPECT_NE(w.code, "face_near_trim") << w.text;
}

PrintProfile Keychain() {
  PrintProfile p = Profile("keychain-acrylic", 60, 60, 2, 2, PrintShape::kDieCut);
  p.cut_offset_mm = 2;
  p.ring_hole_mm = 4;
  p.white_underbase = true;
  return p;
}

// Ghostscript's tiffsep device renders each ink to its own plate: the CutContour plate's ink
// lies on our cut path, the White plate exists for acrylic, and the artwork is CMYK.
TEST(PrintDieCut, KeychainPlatesFromGhostscriptMatchTheCut) {
  auto r = RenderPrint(Inputs(Image("cutout_corgi_pixelart_rgba_1024.png")), Keychain());
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->cut_paths_mm.size(), 1u);    // the outline
  ASSERT_EQ(r->cut_circles_mm.size(), 1u);  // and the ring hole, a true circle
  TempDir dir;
  const std::string pdf = (dir.path() / "print.pdf").string();
  std::ofstream(pdf, std::ios::binary) << r->pdf;
  int code = -1;
  EXPECT_NE(RunCommand({"/usr/bin/qpdf", "--check", pdf}, &code).find("No syntax"),
            std::string::npos);
  constexpr double kDpi = 100;
  RunCommand({"/usr/bin/gs", "-q", "-dBATCH", "-dNOPAUSE", "-sDEVICE=tiffsep", "-r100", "-o",
              (dir.path() / "sep.tif").string(), pdf},
             &code);
  ASSERT_EQ(code, 0);
  const cv::Mat plate =
      cv::imread((dir.path() / "sep(CutContour).tif").string(), cv::IMREAD_GRAYSCALE);
  ASSERT_FALSE(plate.empty()) << "no CutContour plate";
  EXPECT_FALSE(cv::imread((dir.path() / "sep(White).tif").string()).empty()) << "no White plate";
  // our paths drawn 4 px wide at the same resolution (mm from the lower left to pixels)
  cv::Mat band = cv::Mat::zeros(plate.size(), CV_8U);
  for (const auto& path : r->cut_paths_mm) {
    std::vector<cv::Point> pts;
    for (const auto& q : path) {
      pts.emplace_back(static_cast<int>(std::lround(q[0] / 25.4 * kDpi)),
                       static_cast<int>(std::lround(plate.rows - q[1] / 25.4 * kDpi)));
    }
    cv::polylines(band, pts, true, cv::Scalar(255), 4);
  }
  for (const auto& [x, y, radius] : r->cut_circles_mm) {
    cv::circle(band,
               cv::Point(static_cast<int>(std::lround(x / 25.4 * kDpi)),
                         static_cast<int>(std::lround(plate.rows - y / 25.4 * kDpi))),
               static_cast<int>(std::lround(radius / 25.4 * kDpi)), cv::Scalar(255), 4);
  }
  const cv::Mat ink = plate < 128;  // tiffsep plates: dark is ink
  const int inked = cv::countNonZero(ink);
  ASSERT_GT(inked, 200);
  const int on_path = cv::countNonZero(ink & band);
  EXPECT_GT(on_path, inked * 95 / 100) << on_path << " of " << inked;
  // the hole is at least 2 mm from the outline: no outline point within hole radius + 2 mm
  const auto [cx, cy, hole_r] = r->cut_circles_mm.front();
  EXPECT_NEAR(hole_r, 2.0, 1e-3);
  for (const auto& q : r->cut_paths_mm[0]) {
    EXPECT_GE(std::hypot(q[0] - cx, q[1] - cy), 2.0 + 2.0);
  }
}

TEST(PrintDieCut, OpaquePictureOrNothingToCutAroundIsRefused) {
  auto opaque = RenderPrint(Inputs(Image("portrait_boxer_exif_prompt_1152x1752.jpg")), Keychain());
  ASSERT_FALSE(opaque);
  EXPECT_EQ(opaque.error().code, Errc::kUnprintable);
  EXPECT_NE(opaque.error().message.find("transparent"), std::string::npos);
  TempDir dir;
  const std::string clear = (dir.path() / "clear.png").string();
  cv::imwrite(clear, cv::Mat(800, 800, CV_8UC4, cv::Scalar(0, 0, 0, 0)));
  auto nothing = RenderPrint(Inputs(clear), Keychain());
  ASSERT_FALSE(nothing);
  EXPECT_NE(nothing.error().message.find("nothing to cut"), std::string::npos);
  // a subject cut off by the frame is printed, with a warning for the reviewer
  auto man = RenderPrint(Inputs(Image("cutout_man_rgba_1024.png")), Keychain());
  ASSERT_TRUE(man) << man.error().message;
  bool edge = false;
  for (const Notice& w : man->warnings) edge |= w.code == "subject_cut_off";
  EXPECT_TRUE(edge);
  // and its cut, straight along the frame, stays inside the trim (2 mm bleed, 60 mm trim)
  for (const auto& q : man->cut_paths_mm[0]) {
    EXPECT_GE(q[0], 2 - 0.1);
    EXPECT_LE(q[0], 62 + 0.1);
    EXPECT_GE(q[1], 2 - 0.1);
    EXPECT_LE(q[1], 62 + 0.1);
  }
}

// TripoSR's input picture is a chair on plain grey, without transparency: the subject is found
// by segmentation (GrabCut seeded with the border), the grey goes, the cut follows the chair,
// and the reviewer is told to check it. A picture with a scene behind the subject is refused.
TEST(PrintDieCut, APlainBackgroundIsSegmentedAndASceneIsRefused) {
  PrintInputs inputs = Inputs(TestData("meshes/triposr_chair/input.png"));
  inputs.allow_low_dpi = true;
  auto chair = RenderPrint(inputs, Keychain());
  ASSERT_TRUE(chair) << chair.error().message;
  EXPECT_TRUE(chair->segmented);
  bool told = false;
  for (const Notice& w : chair->warnings) told |= w.code == "segmented";
  EXPECT_TRUE(told);
  const cv::Mat art =
      cv::imdecode(std::vector<uchar>(chair->png.begin(), chair->png.end()), cv::IMREAD_COLOR);
  ASSERT_FALSE(art.empty());
  // the chair's box: its middle is the seat (not white), the grey around the legs is gone
  cv::Mat not_white;
  cv::inRange(art, cv::Scalar(0, 0, 0), cv::Scalar(235, 235, 235), not_white);
  const cv::Rect box = cv::boundingRect(not_white);
  EXPECT_GT(box.area(), art.total() / 5);
  const cv::Vec3b grey(128, 128, 128);
  int greyish = 0;
  for (int y = box.y; y < box.y + box.height; ++y) {
    for (int x = box.x; x < box.x + box.width; ++x) {
      greyish += cv::norm(cv::Vec3d(art.at<cv::Vec3b>(y, x)) - cv::Vec3d(grey)) < 12;
    }
  }
  // the background grey filled about a third of the chair's box; the chair's own grey
  // fabric (the backrest) stays
  EXPECT_LT(greyish, box.area() / 6) << greyish << " of " << box.area();
  // the cut is one outline plus the ring hole, inside the trim
  ASSERT_EQ(chair->cut_paths_mm.size(), 1u);
  ASSERT_EQ(chair->cut_circles_mm.size(), 1u);
  for (const auto& q : chair->cut_paths_mm[0]) {
    EXPECT_GT(q[0], 2);
    EXPECT_LT(q[0], 62);
  }

  auto scene = RenderPrint(Inputs(Image("portrait_anime_fennec_girl_1024.png")), Keychain());
  ASSERT_FALSE(scene);
  EXPECT_EQ(scene.error().code, Errc::kUnprintable);
  EXPECT_NE(scene.error().message.find("scene behind the subject"), std::string::npos);
}

// The Dunhuang JPEG carries an Apple display profile: its colours are converted to sRGB before
// printing. With the profile's marker defaced (so that no reader finds it) the same pixels
// print differently.
TEST(PrintColour, AnEmbeddedIccProfileIsHonoured) {
  const std::string path = Image("icc_display_exif_orient1_dunhuang_640x636.jpg");
  auto with = RenderPrint(Inputs(path), Profile("magnet-rect", 80, 53, 2, 3));
  ASSERT_TRUE(with) << with.error().message;
  EXPECT_FALSE(with->input_profile.empty());
  TempDir dir;
  std::string bytes = keepsake::testing::ReadFile(path);
  const size_t marker = bytes.find("ICC_PROFILE");
  ASSERT_NE(marker, std::string::npos);
  bytes[marker] = 'X';
  const std::string stripped = (dir.path() / "stripped.jpg").string();
  std::ofstream(stripped, std::ios::binary) << bytes;
  auto without = RenderPrint(Inputs(stripped), Profile("magnet-rect", 80, 53, 2, 3));
  ASSERT_TRUE(without) << without.error().message;
  EXPECT_TRUE(without->input_profile.empty());
  auto decode = [](const std::string& png) {
    return cv::imdecode(std::vector<uchar>(png.begin(), png.end()), cv::IMREAD_COLOR);
  };
  cv::Mat difference;
  cv::absdiff(decode(with->png), decode(without->png), difference);
  const cv::Scalar mean = cv::mean(difference);
  EXPECT_GT(mean[0] + mean[1] + mean[2], 1.0) << "the profile changed nothing";
}

TEST(PrintDpi, WarnsBelow300AndRefusesBelow150UnlessOverridden) {
  // 1152 x 1752 on a China postcard with its bleed (104 x 152 mm): 281 dpi as SOURCES.md
  // says, a warning
  auto boxer = RenderPrint(Inputs(Image("portrait_boxer_exif_prompt_1152x1752.jpg")),
                           Profile("postcard-cn", 148, 100, 2, 4));
  ASSERT_TRUE(boxer);
  EXPECT_NEAR(boxer->effective_dpi, 281, 1);
  ASSERT_FALSE(boxer->warnings.empty());
  EXPECT_EQ(boxer->warnings.front().code, "low_dpi");
  EXPECT_NE(boxer->warnings.front().text.find("low resolution"), std::string::npos);
  EXPECT_EQ(boxer->warnings.front().params.at("wanted"), "300");
  // 512 x 768 on a China postcard: about 125 dpi, refused with the numbers
  PrintInputs low = Inputs(Image("lowres_portrait_exif_prompt_512x768.jpg"));
  auto refused = RenderPrint(low, Profile("postcard-cn", 148, 100, 2, 4));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kUnprintable);
  EXPECT_NE(refused.error().message.find("512 x 768"), std::string::npos)
      << refused.error().message;
  low.allow_low_dpi = true;
  auto overridden = RenderPrint(low, Profile("postcard-cn", 148, 100, 2, 4));
  ASSERT_TRUE(overridden);
  EXPECT_FALSE(overridden->warnings.empty());
}

// A real decompression bomb: a 20000 x 20000 one-bit PNG whose zeros deflate to about 50 KB.
// Refused from its header, before a decoder allocates 400 million pixels.
TEST(PrintBadInput, DecompressionBombIsRefusedFromItsHeader) {
  TempDir dir;
  const uint32_t side = 20000;
  std::string raw(static_cast<size_t>(side) * (1 + side / 8), '\0');  // filter byte + 1 bit/px
  uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
  std::string packed(packed_size, '\0');
  ASSERT_EQ(
      compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size,
                reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()), 9),
      Z_OK);
  packed.resize(packed_size);
  auto chunk = [](const std::string& type, const std::string& data) {
    std::string out;
    for (int k = 3; k >= 0; --k) out.push_back(static_cast<char>(data.size() >> (8 * k)));
    out += type + data;
    const std::string covered = type + data;
    const uLong crc =
        crc32(0, reinterpret_cast<const Bytef*>(covered.data()), static_cast<uInt>(covered.size()));
    for (int k = 3; k >= 0; --k) out.push_back(static_cast<char>(crc >> (8 * k)));
    return out;
  };
  std::string ihdr;
  for (uint32_t v : {side, side}) {
    for (int k = 3; k >= 0; --k) ihdr.push_back(static_cast<char>(v >> (8 * k)));
  }
  ihdr += std::string("\x01\x00\x00\x00\x00", 5);  // 1 bit, greyscale, deflate, no interlace
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) +
                          chunk("IDAT", packed) + chunk("IEND", "");
  EXPECT_LT(png.size(), 400'000u);
  const std::string path = (dir.path() / "bomb.png").string();
  std::ofstream(path, std::ios::binary) << png;
  auto r = RenderPrint(Inputs(path), Profile("postcard-cn", 148, 100, 2, 4));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kTooLarge);
  EXPECT_NE(r.error().message.find("20000 x 20000"), std::string::npos) << r.error().message;
}

// Other formats behind an image name: a TIFF and a DICOM file renamed .png.
TEST(PrintBadInput, OtherFormatsRenamedPngAreRefused) {
  TempDir dir;
  const std::string tiff = (dir.path() / "scan.png").string();
  std::ofstream(tiff, std::ios::binary)
      << std::string("II*\0\x08\0\0\0", 8) << std::string(64, '\0');
  const std::string dicom = (dir.path() / "xray.png").string();
  std::ofstream(dicom, std::ios::binary)
      << std::string(128, '\0') << "DICM" << std::string(64, 'x');
  for (const std::string& path : {tiff, dicom}) {
    auto r = RenderPrint(Inputs(path), Profile("postcard-cn", 148, 100, 2, 4));
    ASSERT_FALSE(r) << path;
    EXPECT_EQ(r.error().code, Errc::kUnreadable);
  }
}

TEST(PrintBadInput, TruncatedTinyAndTransparentImages) {
  TempDir dir;
  const std::string jpeg =
      keepsake::testing::ReadFile(Image("portrait_boxer_exif_prompt_1152x1752.jpg"));
  const std::string truncated = (dir.path() / "truncated.jpg").string();
  std::ofstream(truncated, std::ios::binary) << jpeg.substr(0, 300);
  auto t = RenderPrint(Inputs(truncated), Profile("magnet-rect", 80, 53, 2, 3));
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, Errc::kUnreadable);

  const std::string tiny = (dir.path() / "tiny.png").string();
  cv::imwrite(tiny, cv::Mat(1, 1, CV_8UC3, cv::Scalar(0, 0, 255)));
  auto one = RenderPrint(Inputs(tiny), Profile("magnet-rect", 80, 53, 2, 3));
  ASSERT_FALSE(one);
  EXPECT_EQ(one.error().code, Errc::kUnprintable);

  // fully transparent: printed as white paper on a rectangle product, not black
  const std::string clear = (dir.path() / "clear.png").string();
  cv::imwrite(clear, cv::Mat(1200, 1800, CV_8UC4, cv::Scalar(0, 0, 0, 0)));
  auto white = RenderPrint(Inputs(clear), Profile("magnet-rect", 80, 53, 2, 3));
  ASSERT_TRUE(white) << white.error().message;
  const std::vector<uchar> bytes(white->png.begin(), white->png.end());
  EXPECT_GT(cv::mean(cv::imdecode(bytes, cv::IMREAD_COLOR))[0], 250);
}

// Pixel art, made here from the real corgi cut-out as a sprite generator would make it (64 x 64
// pixels, 8 levels a channel): enlarged 6 x by whole pixels it is found as 6 px blocks, at its
// own size as a sprite; either way it is scaled nearest neighbour, so the print holds only the
// sprite's own colours in sharp-edged blocks, and a sprite is not refused for its few pixels.
// The same sprite saved as JPEG (its blocks' edges blurred) and a photo are not pixel art.
TEST(PrintPixelArt, ASpriteIsScaledByWholePixelsAndAPhotoIsNot) {
  const cv::Mat corgi = cv::imread(Image("cutout_corgi_pixelart_rgba_1024.png"), cv::IMREAD_COLOR);
  ASSERT_FALSE(corgi.empty());
  cv::Mat sprite;
  cv::resize(corgi, sprite, cv::Size(64, 64), 0, 0, cv::INTER_AREA);
  sprite &= cv::Scalar::all(0xE0);  // 8 levels a channel
  std::set<uint32_t> palette;
  for (int y = 0; y < sprite.rows; ++y) {
    for (int x = 0; x < sprite.cols; ++x) {
      const cv::Vec3b p = sprite.at<cv::Vec3b>(y, x);
      palette.insert(static_cast<uint32_t>(p[0]) << 16 | p[1] << 8 | p[2]);
    }
  }
  cv::Mat enlarged;
  cv::resize(sprite, enlarged, cv::Size(), 6, 6, cv::INTER_NEAREST);
  TempDir dir;
  const std::string small = (dir.path() / "sprite.png").string();
  const std::string big = (dir.path() / "sprite_x6.png").string();
  const std::string jpeg = (dir.path() / "sprite_x6.jpg").string();
  ASSERT_TRUE(cv::imwrite(small, sprite));
  ASSERT_TRUE(cv::imwrite(big, enlarged));
  ASSERT_TRUE(cv::imwrite(jpeg, enlarged, {cv::IMWRITE_JPEG_QUALITY, 90}));

  for (const auto& [file, block] : {std::pair{big, 6}, std::pair{small, 1}}) {
    auto r = RenderPrint(Inputs(file), Profile("magnet-rect", 80, 53, 3, 3));
    ASSERT_TRUE(r) << file << ": " << r.error().message;
    EXPECT_EQ(r->pixel_art_block, block) << file;
    EXPECT_EQ(r->resampling, "nearest") << file;
    for (const Notice& w : r->warnings) EXPECT_NE(w.code, "low_dpi") << file << ": " << w.text;
    const std::vector<uchar> bytes(r->png.begin(), r->png.end());
    const cv::Mat printed = cv::imdecode(bytes, cv::IMREAD_COLOR);
    ASSERT_FALSE(printed.empty());
    int64_t off_palette = 0;
    for (int y = 0; y < printed.rows; ++y) {
      for (int x = 0; x < printed.cols; ++x) {
        const cv::Vec3b p = printed.at<cv::Vec3b>(y, x);
        off_palette += palette.count(static_cast<uint32_t>(p[0]) << 16 | p[1] << 8 | p[2]) == 0;
      }
    }
    EXPECT_EQ(off_palette, 0) << file << ": pixels of colours the sprite does not have";
  }
  // JPEG blurs the blocks' edges: not pixel art, so the resolution rule holds (113 dpi)
  auto blurred = RenderPrint(Inputs(jpeg), Profile("magnet-rect", 80, 53, 3, 3));
  ASSERT_FALSE(blurred);
  EXPECT_EQ(blurred.error().code, Errc::kUnprintable);
  auto photo = RenderPrint(Inputs(Image("portrait_photoreal_sd15_1280x1920.png")),
                           Profile("magnet-rect", 80, 53, 3, 3));
  ASSERT_TRUE(photo) << photo.error().message;
  EXPECT_EQ(photo->pixel_art_block, 0);
  EXPECT_EQ(photo->resampling, "area");
}

}  // namespace
}  // namespace keepsake::imaging
