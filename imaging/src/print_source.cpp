// The customer's picture: decoded, converted to sRGB, its faces found, its subject segmented
// when it has no transparency; and the resolution rule every product applies to it.
#include <lcms2.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "decode_guard.hpp"
#include "icc.hpp"
#include "image_head.hpp"
#include "print_steps.hpp"

namespace keepsake::imaging {

tl::expected<void, Error> CheckResolution(const PrintInputs& inputs, const PrintProfile& profile,
                                          const std::string& pixels, PrintResult& out) {
  // pixel art is scaled by whole blocks (nearest neighbour): its edges stay sharp at any size
  if (out.pixel_art_block > 0) return {};
  if (out.effective_dpi < profile.refuse_below_dpi && !inputs.allow_low_dpi) {
    char why[128];
    std::snprintf(why, sizeof why,
                  " that is %.0f dpi, below the %d dpi this product needs (%d for a sharp print)",
                  out.effective_dpi, profile.refuse_below_dpi, profile.warn_below_dpi);
    return tl::unexpected(Error{Errc::kUnprintable, pixels + why});
  }
  if (out.effective_dpi < profile.warn_below_dpi) {
    char why[160];
    std::snprintf(why, sizeof why, "low resolution: %.0f dpi on the print (%d wanted)",
                  out.effective_dpi, profile.warn_below_dpi);
    out.warnings.push_back({"low_dpi",
                            {{"dpi", std::to_string(std::lround(out.effective_dpi))},
                             {"wanted", std::to_string(profile.warn_below_dpi)}},
                            why});
  }
  return {};
}

namespace {

// How many of the pixel-to-pixel changes along one axis fall on a grid of `block` (the best
// offset), as a share of all of them; `changes[i]` counts the changes between i - 1 and i.
double ShareOnGrid(const std::vector<int64_t>& changes, int block) {
  std::vector<int64_t> by_offset(static_cast<size_t>(block), 0);
  int64_t total = 0;
  for (size_t i = 1; i < changes.size(); ++i) {
    by_offset[i % static_cast<size_t>(block)] += changes[i];
    total += changes[i];
  }
  if (total == 0) return 0;
  return static_cast<double>(*std::max_element(by_offset.begin(), by_offset.end())) /
         static_cast<double>(total);
}

}  // namespace

int PixelArtBlock(const cv::Mat& bgr) {
  constexpr int kMinChanges = 200;  // a flat picture is not pixel art
  constexpr double kOnGrid = 0.99;  // changes off the grid: a resampled or JPEG picture
  constexpr int kLargestBlock = 64;
  std::vector<int64_t> across(static_cast<size_t>(bgr.cols), 0);  // changes between columns
  std::vector<int64_t> down(static_cast<size_t>(bgr.rows), 0);    // between rows
  for (int y = 0; y < bgr.rows; ++y) {
    const cv::Vec3b* row = bgr.ptr<cv::Vec3b>(y);
    const cv::Vec3b* above = y > 0 ? bgr.ptr<cv::Vec3b>(y - 1) : nullptr;
    for (int x = 0; x < bgr.cols; ++x) {
      if (x > 0 && row[x] != row[x - 1]) ++across[static_cast<size_t>(x)];
      if (above != nullptr && row[x] != above[x]) ++down[static_cast<size_t>(y)];
    }
  }
  int64_t changes = 0;
  for (int64_t c : across) changes += c;
  if (changes < kMinChanges) return 0;
  // an enlarged sprite: every change on one grid of square blocks (the largest that fits)
  for (int block = std::min({kLargestBlock, bgr.cols / 4, bgr.rows / 4}); block >= 2; --block) {
    if (ShareOnGrid(across, block) >= kOnGrid && ShareOnGrid(down, block) >= kOnGrid) {
      return block;
    }
  }
  // a sprite at its own size: small, few colours, no soft edges between them
  constexpr int kLargestSprite = 256, kMostColours = 256;
  if (std::max(bgr.cols, bgr.rows) > kLargestSprite) return 0;
  std::vector<uint32_t> colours;
  colours.reserve(static_cast<size_t>(bgr.total()));
  for (int y = 0; y < bgr.rows; ++y) {
    const cv::Vec3b* row = bgr.ptr<cv::Vec3b>(y);
    for (int x = 0; x < bgr.cols; ++x) {
      colours.push_back(static_cast<uint32_t>(row[x][0]) << 16 |
                        static_cast<uint32_t>(row[x][1]) << 8 | row[x][2]);
    }
  }
  std::sort(colours.begin(), colours.end());
  const auto distinct = std::unique(colours.begin(), colours.end()) - colours.begin();
  return distinct <= kMostColours ? 1 : 0;
}

tl::expected<cv::Mat, Error> Decode(const std::string& path, int64_t max_pixels, cv::Mat* alpha) {
  auto decoded = DecodePicture(path, max_pixels);
  if (!decoded) return tl::unexpected(decoded.error());
  cv::Mat& raw = decoded->pixels;
  if (raw.channels() == 3) return raw;
  cv::extractChannel(raw, *alpha, 3);
  cv::Mat bgr;
  cv::cvtColor(raw, bgr, cv::COLOR_BGRA2BGR);
  return bgr;
}

void ComposeOnWhite(cv::Mat& image, const cv::Mat& alpha, int keep_from) {
  cv::Mat weight;
  alpha.convertTo(weight, CV_32F, 1.0 / 255);
  if (keep_from <= 255) weight.setTo(1.0f, alpha >= keep_from);
  const cv::Mat white(image.size(), CV_8UC3, cv::Scalar::all(255));
  cv::Mat composed;
  cv::blendLinear(image, white, weight, 1.0f - weight, composed);
  image = composed;
}

// Converts `image` (BGR) from the colour profile embedded in the file's `head` to sRGB, in
// place; the profile's description, or empty when the picture carries none (sRGB assumed).
std::string ConvertToSrgb(const std::string& head, ImageFormat format, cv::Mat& image) {
  const std::string icc = EmbeddedIccProfile(head, format);
  if (icc.empty()) return "";
  std::unique_ptr<void, CmsCloser> source(
      cmsOpenProfileFromMem(icc.data(), static_cast<cmsUInt32Number>(icc.size())));
  if (!source || cmsGetColorSpace(source.get()) != cmsSigRgbData) return "";
  std::unique_ptr<void, CmsCloser> srgb(cmsCreate_sRGBProfile());
  cmsHTRANSFORM to_srgb =
      cmsCreateTransform(source.get(), TYPE_BGR_8, srgb.get(), TYPE_BGR_8,
                         INTENT_RELATIVE_COLORIMETRIC, cmsFLAGS_BLACKPOINTCOMPENSATION);
  if (to_srgb == nullptr) return "";
  for (int y = 0; y < image.rows; ++y) {
    cmsDoTransform(to_srgb, image.ptr(y), image.ptr(y), static_cast<cmsUInt32Number>(image.cols));
  }
  cmsDeleteTransform(to_srgb);
  char name[256] = {0};
  cmsGetProfileInfoASCII(source.get(), cmsInfoDescription, "en", "US", name, sizeof name);
  return name[0] != '\0' ? name : "embedded RGB profile";
}

std::shared_ptr<cv::CascadeClassifier> LoadFaceDetector(const std::string& model) {
  if (model.empty()) return nullptr;
  auto detector = std::make_shared<cv::CascadeClassifier>();
  return detector->load(model) ? detector : nullptr;
}

std::vector<cv::Rect> FindFaces(const cv::Mat& bgr, cv::CascadeClassifier* detector) {
  if (detector == nullptr) return {};
  // detect on a copy at most 480 px across: faces that matter on a print are not tiny (the
  // crop tests hold the faces of the sample portraits; at 640 px the detection took twice as
  // long and found the same faces on them)
  const double shrink = std::min(1.0, 480.0 / std::max(bgr.cols, bgr.rows));
  cv::Mat grey;
  cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
  cv::resize(grey, grey, cv::Size(), shrink, shrink, cv::INTER_AREA);
  cv::equalizeHist(grey, grey);
  std::vector<cv::Rect> found;
  const int min_side = std::max(24, std::min(grey.cols, grey.rows) / 12);
  detector->detectMultiScale(grey, found, 1.1, 5, 0, cv::Size(min_side, min_side));
  // a "face" much smaller than the largest is background (flowers, a pattern), not a person
  int largest = 0;
  for (const cv::Rect& r : found) largest = std::max(largest, r.width);
  std::vector<cv::Rect> faces;
  for (const cv::Rect& r : found) {
    if (r.width * 5 < largest * 2) continue;
    faces.emplace_back(static_cast<int>(r.x / shrink), static_cast<int>(r.y / shrink),
                       static_cast<int>(r.width / shrink), static_cast<int>(r.height / shrink));
  }
  return faces;
}

// The subject of a picture without transparency, as an alpha mask: OpenCV's GrabCut seeded
// with the picture's border as background. Only for a plain background (what image-to-3D
// generators are given): when the border's colours vary (a scene), no cut could be trusted and
// the picture is refused. Works on a copy at most 400 px across; the mask is scaled back up.
tl::expected<cv::Mat, Error> SegmentSubject(const cv::Mat& bgr) {
  const double shrink = std::min(1.0, 400.0 / std::max(bgr.cols, bgr.rows));
  cv::Mat small;
  cv::resize(bgr, small, cv::Size(), shrink, shrink, cv::INTER_AREA);
  const int frame = std::max(2, std::min(small.cols, small.rows) / 50);
  cv::Mat is_frame(small.size(), CV_8U, cv::Scalar(255));
  is_frame(cv::Rect(frame, frame, small.cols - 2 * frame, small.rows - 2 * frame)).setTo(0);
  // the background's colour: the median of the frame, channel by channel
  std::vector<uint8_t> channel[3];
  for (int y = 0; y < small.rows; ++y) {
    for (int x = 0; x < small.cols; ++x) {
      if (is_frame.at<uint8_t>(y, x) == 0) continue;
      const cv::Vec3b p = small.at<cv::Vec3b>(y, x);
      for (int c = 0; c < 3; ++c) channel[c].push_back(p[c]);
    }
  }
  cv::Vec3b background;
  for (int c = 0; c < 3; ++c) {
    std::nth_element(channel[c].begin(), channel[c].begin() + channel[c].size() / 2,
                     channel[c].end());
    background[c] = channel[c][channel[c].size() / 2];
  }
  constexpr double kNear = 28;  // colour distance that still counts as the background
  cv::Mat mask(small.size(), CV_8U);
  int frame_pixels = 0, frame_near = 0;
  for (int y = 0; y < small.rows; ++y) {
    for (int x = 0; x < small.cols; ++x) {
      const cv::Vec3b p = small.at<cv::Vec3b>(y, x);
      const double distance = cv::norm(cv::Vec3d(p) - cv::Vec3d(background));
      const bool near = distance < kNear;
      const bool on_frame = is_frame.at<uint8_t>(y, x) != 0;
      frame_pixels += on_frame;
      frame_near += on_frame && near;
      mask.at<uint8_t>(y, x) = on_frame && near ? cv::GC_BGD : near ? cv::GC_PR_BGD : cv::GC_PR_FGD;
    }
  }
  // a subject may touch the picture's edge (a bust at the bottom), a scene fills the frame
  if (frame_near * 10 < frame_pixels * 7) {
    return tl::unexpected(
        Error{Errc::kUnprintable,
              "a die-cut product needs a picture with a transparent or plain background: this one "
              "has a scene behind the subject, so no cut line can follow it"});
  }
  cv::Mat bgd_model, fgd_model;
  cv::grabCut(small, mask, cv::Rect(), bgd_model, fgd_model, 5, cv::GC_INIT_WITH_MASK);
  cv::Mat subject = (mask == cv::GC_FGD) | (mask == cv::GC_PR_FGD);
  // specks the colour model kept are not parts of the subject
  cv::morphologyEx(subject, subject, cv::MORPH_OPEN,
                   cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(3, 3)));
  const auto found = static_cast<size_t>(cv::countNonZero(subject));
  if (found < subject.total() / 100 || found > subject.total() * 95 / 100) {
    return tl::unexpected(Error{Errc::kUnprintable,
                                "the subject cannot be told apart from the background; send a "
                                "picture with a transparent background"});
  }
  cv::Mat alpha;
  cv::resize(subject, alpha, bgr.size(), 0, 0, cv::INTER_LINEAR);
  cv::threshold(alpha, alpha, 127, 255, cv::THRESH_BINARY);
  return alpha;
}

}  // namespace keepsake::imaging
