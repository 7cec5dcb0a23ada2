// The 2D pipeline: decode (EXIF orientation for JPEG; alpha composed on white), turn the trim
// to the image's orientation, cover-fit with the crop placed so that the faces OpenCV finds
// stay in the safe area, resample to the print resolution, convert to CMYK (LittleCMS,
// perceptual with black-point compensation), and write the PDF, the PNG and the preview.
#include <lcms2.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <future>
#include <memory>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "canvas.hpp"
#include "icc.hpp"
#include "image_head.hpp"
#include "keepsake/imaging/format.hpp"
#include "keepsake/imaging/print.hpp"
#include "print_pdf.hpp"
#include "text_outline.hpp"

namespace keepsake::imaging {

namespace {

constexpr double kMmPerInch = 25.4;
constexpr double kPtPerMm = 72.0 / kMmPerInch;

// Records the seconds since the previous step under `step`.
void Step(PrintResult& out, std::chrono::steady_clock::time_point& last, const char* step) {
  const auto now = std::chrono::steady_clock::now();
  out.step_seconds.emplace_back(step, std::chrono::duration<double>(now - last).count());
  last = now;
}

tl::expected<PrintResult, Error> Fail(Errc code, const std::string& why) {
  return tl::unexpected(Error{code, why});
}

// The resolution rule of every product: refused below refuse_below_dpi (unless a reviewer
// allowed it), a warning below warn_below_dpi. `pixels` says what was measured, for the reason.
tl::expected<void, Error> CheckResolution(const PrintInputs& inputs, const PrintProfile& profile,
                                          const std::string& pixels, PrintResult& out) {
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

// The outline of the largest area (a die-cut has one cut).
size_t LargestContour(const std::vector<std::vector<cv::Point>>& contours) {
  size_t largest = 0;
  for (size_t c = 1; c < contours.size(); ++c) {
    if (cv::contourArea(contours[c]) > cv::contourArea(contours[largest])) largest = c;
  }
  return largest;
}

// The image as 8-bit BGR: JPEG through IMREAD_COLOR (which applies EXIF orientation), PNG and
// WebP unchanged so that transparency is composed on white paper, not on black.
cv::Mat Decode(const std::string& path, ImageFormat format, cv::Mat* alpha) {
  if (format == ImageFormat::kJpeg) return cv::imread(path, cv::IMREAD_COLOR);  // no alpha
  cv::Mat raw = cv::imread(path, cv::IMREAD_UNCHANGED);
  if (raw.empty()) return raw;
  if (raw.channels() == 4 && raw.depth() == CV_8U) cv::extractChannel(raw, *alpha, 3);
  if (raw.channels() == 3 && raw.depth() == CV_8U) return raw;
  if (raw.depth() != CV_8U) raw.convertTo(raw, CV_8U, raw.depth() == CV_16U ? 1.0 / 257 : 1.0);
  if (raw.channels() == 1) {
    cv::cvtColor(raw, raw, cv::COLOR_GRAY2BGR);
    return raw;
  }
  if (raw.channels() == 4) {
    cv::Mat bgr(raw.size(), CV_8UC3);
    for (int y = 0; y < raw.rows; ++y) {
      for (int x = 0; x < raw.cols; ++x) {
        const cv::Vec4b p = raw.at<cv::Vec4b>(y, x);
        const int a = p[3];
        for (int c = 0; c < 3; ++c) {
          bgr.at<cv::Vec3b>(y, x)[c] = static_cast<uint8_t>((p[c] * a + 255 * (255 - a)) / 255);
        }
      }
    }
    return bgr;
  }
  return raw;
}

std::vector<cv::Rect> FindFaces(const cv::Mat& bgr, const std::string& model) {
  if (model.empty()) return {};
  cv::CascadeClassifier detector;
  if (!detector.load(model)) return {};
  // detect on a copy at most 640 px across: faces that matter on a print are not tiny
  const double shrink = std::min(1.0, 640.0 / std::max(bgr.cols, bgr.rows));
  cv::Mat grey;
  cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
  cv::resize(grey, grey, cv::Size(), shrink, shrink, cv::INTER_AREA);
  cv::equalizeHist(grey, grey);
  std::vector<cv::Rect> found;
  const int min_side = std::max(24, std::min(grey.cols, grey.rows) / 12);
  detector.detectMultiScale(grey, found, 1.1, 5, 0, cv::Size(min_side, min_side));
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

struct CmsCloser {
  void operator()(void* handle) const { cmsCloseProfile(handle); }
};

// What goes on the page besides the artwork, and where the faces were (for the preview).
struct Layers {
  std::vector<cv::Rect> faces;
  double x0 = 0, y0 = 0, scale = 1;  // the crop's origin in the image and the image's scale
  std::vector<std::vector<cv::Point2f>> cut_px;    // canvas pixels, closed paths
  std::vector<std::vector<cv::Point2f>> white_px;  // canvas pixels, closed paths
  const TextOutline* greeting = nullptr;           // postcards: the text for the back
};

// A postcard back's printed marks, in mm from the trim's top left.
struct BackMark {
  bool box = false;  // a rectangle (x0, y0)-(x1, y1); else a line
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  std::array<double, 4> cmyk{};
  double width_pt = 0.5;
  bool dashed = false;
};

std::vector<BackMark> LayOutBack(const PostcardBack& b, double trim_w, double trim_h) {
  std::vector<BackMark> marks;
  const std::array<double, 4> grey{0, 0, 0, 0.55};
  if (b.divider_x_mm > 0) {
    marks.push_back({false, b.divider_x_mm, std::max(10.0, b.keep_clear_mm[1] + 4), b.divider_x_mm,
                     trim_h - 8, grey, 0.5, false});
  }
  for (int k = 0; k < b.postcode_boxes; ++k) {
    const double x = b.boxes_at_mm[0] + k * (b.box_mm[0] + b.box_gap_mm);
    marks.push_back({true, x, b.boxes_at_mm[1], x + b.box_mm[0], b.boxes_at_mm[1] + b.box_mm[1],
                     b.box_cmyk, 0.8, false});
  }
  if (b.stamp_mm[0] > 0) {
    const double x1 = trim_w - b.stamp_from_top_right_mm[0];
    const double y0 = b.stamp_from_top_right_mm[1];
    marks.push_back({true, x1 - b.stamp_mm[0], y0, x1, y0 + b.stamp_mm[1], grey, 0.5, true});
  }
  for (int k = 0; k < b.address_lines; ++k) {
    const double y = b.lines_top_mm + k * b.lines_spacing_mm;
    marks.push_back({false, b.lines_left_mm, y, trim_w - b.lines_right_mm, y, grey, 0.4, false});
  }
  return marks;
}

// The back as PDF operators (DeviceCMYK, points from the page's lower left).
std::string BackPdfOps(const PostcardBack& b, const TextOutline* greeting, double trim_w,
                       double trim_h, double bleed_mm) {
  const double page_h = (trim_h + 2 * bleed_mm) * kPtPerMm;
  auto x = [&](double mm) { return (bleed_mm + mm) * kPtPerMm; };
  auto y = [&](double mm) { return page_h - (bleed_mm + mm) * kPtPerMm; };
  auto num = [](double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", v);
    return std::string(text);
  };
  std::string ops;
  for (const BackMark& m : LayOutBack(b, trim_w, trim_h)) {
    ops += "q " + num(m.cmyk[0]) + " " + num(m.cmyk[1]) + " " + num(m.cmyk[2]) + " " +
           num(m.cmyk[3]) + " K " + num(m.width_pt) + " w" + (m.dashed ? " [2 2] 0 d\n" : "\n");
    if (m.box) {
      ops += num(x(m.x0)) + " " + num(y(m.y1)) + " " + num(x(m.x1) - x(m.x0)) + " " +
             num(y(m.y0) - y(m.y1)) + " re S Q\n";
    } else {
      ops += num(x(m.x0)) + " " + num(y(m.y0)) + " m " + num(x(m.x1)) + " " + num(y(m.y1)) +
             " l S Q\n";
    }
  }
  if (greeting != nullptr && !greeting->ops.empty()) {
    // the text: glyph outlines filled in pure black (K only, sharp on any press)
    const double gx = b.greeting_box_mm[0], gy = b.greeting_box_mm[1];
    ops += "q 0 0 0 1 k\n";
    for (const OutlineOp& op : greeting->ops) {
      if (op.op == 'h') {
        ops += "h\n";
        continue;
      }
      const int points = op.op == 'c' ? 3 : 1;
      for (int k = 0; k < points; ++k) {
        ops += num(x(gx + op.v[2 * k])) + " " + num(y(gy + op.v[2 * k + 1])) + " ";
      }
      ops += std::string(1, op.op) + "\n";
    }
    ops += "f Q\n";
  }
  return ops;
}

// The back for the preview, at `px_per_mm`, bleed included.
cv::Mat BackPreview(const PostcardBack& b, const TextOutline* greeting, double trim_w,
                    double trim_h, double bleed_mm, double px_per_mm) {
  cv::Mat back(static_cast<int>(std::lround((trim_h + 2 * bleed_mm) * px_per_mm)),
               static_cast<int>(std::lround((trim_w + 2 * bleed_mm) * px_per_mm)), CV_8UC3,
               cv::Scalar::all(255));
  auto at = [&](double x_mm, double y_mm) {
    return cv::Point2d((bleed_mm + x_mm) * px_per_mm, (bleed_mm + y_mm) * px_per_mm);
  };
  for (const BackMark& m : LayOutBack(b, trim_w, trim_h)) {
    const cv::Scalar colour(255 * (1 - m.cmyk[2]) * (1 - m.cmyk[3]),
                            255 * (1 - m.cmyk[1]) * (1 - m.cmyk[3]),
                            255 * (1 - m.cmyk[0]) * (1 - m.cmyk[3]));
    const int width = std::max(1, static_cast<int>(std::lround(m.width_pt / kPtPerMm * px_per_mm)));
    if (m.box) {
      cv::rectangle(back, at(m.x0, m.y0), at(m.x1, m.y1), colour, width, cv::LINE_AA);
    } else {
      cv::line(back, at(m.x0, m.y0), at(m.x1, m.y1), colour, width, cv::LINE_AA);
    }
  }
  if (greeting != nullptr) {
    std::vector<std::vector<cv::Point>> polygons;
    for (const auto& polygon : FlattenOutline(greeting->ops)) {
      polygons.emplace_back();
      for (const auto& q : polygon) {
        polygons.back().emplace_back(at(b.greeting_box_mm[0] + q[0], b.greeting_box_mm[1] + q[1]) *
                                     8.0);
      }
    }
    // sub-pixel precision (3 bits): small glyphs keep their shape
    cv::fillPoly(back, polygons, cv::Scalar::all(0), cv::LINE_AA, 3);
  }
  const double bleed = bleed_mm * px_per_mm;
  cv::rectangle(back, cv::Point2d(bleed, bleed), cv::Point2d(back.cols - bleed, back.rows - bleed),
                cv::Scalar(40, 40, 220), 2, cv::LINE_AA);
  return back;
}

// Two sides next to each other, with a grey gap, for the preview.
cv::Mat SideBySide(const cv::Mat& front, const cv::Mat& back) {
  const int gap = std::max(12, front.cols / 40);
  cv::Mat both(std::max(front.rows, back.rows), front.cols + gap + back.cols, CV_8UC3,
               cv::Scalar::all(225));
  front.copyTo(both(cv::Rect(0, 0, front.cols, front.rows)));
  back.copyTo(both(cv::Rect(front.cols + gap, 0, back.cols, back.rows)));
  return both;
}

// CMYK, the PDF, the PNG and the preview, from the laid-out artwork (canvas at target dpi).
tl::expected<void, Error> Finish(const PrintInputs& inputs, const PrintProfile& profile,
                                 const cv::Mat& artwork, const Layers& layers, PrintResult& out) {
  auto last = std::chrono::steady_clock::now();
  // the PNG is encoded on the other core while this one makes the CMYK PDF
  std::future<std::string> png =
      std::async(std::launch::async, [&] { return PngWithDpi(artwork, profile.target_dpi); });
  // CMYK for the press: sRGB in (what generators make), the shop's output profile out
  const std::string icc = ReadFilePrefix(inputs.cmyk_profile_path, 16 << 20);
  std::unique_ptr<void, CmsCloser> srgb(cmsCreate_sRGBProfile());
  std::unique_ptr<void, CmsCloser> cmyk(
      icc.empty() ? nullptr
                  : cmsOpenProfileFromMem(icc.data(), static_cast<cmsUInt32Number>(icc.size())));
  if (!cmyk || cmsGetColorSpace(cmyk.get()) != cmsSigCmykData) {
    return tl::unexpected(Error{
        Errc::kInternal, "the CMYK output profile cannot be read: " + inputs.cmyk_profile_path});
  }
  char description[256] = {0};
  cmsGetProfileInfoASCII(cmyk.get(), cmsInfoDescription, "en", "US", description,
                         sizeof description);
  out.output_intent = description;
  cmsHTRANSFORM transform = cmsCreateTransform(srgb.get(), TYPE_BGR_8, cmyk.get(), TYPE_CMYK_8,
                                               INTENT_PERCEPTUAL, cmsFLAGS_BLACKPOINTCOMPENSATION);
  if (transform == nullptr)
    return tl::unexpected(Error{Errc::kInternal, "no sRGB to CMYK transform"});
  std::string cmyk_pixels(static_cast<size_t>(out.width_px) * out.height_px * 4, '\0');
  for (int y = 0; y < artwork.rows; ++y) {
    cmsDoTransform(transform, artwork.ptr(y),
                   cmyk_pixels.data() + static_cast<size_t>(y) * out.width_px * 4,
                   static_cast<cmsUInt32Number>(out.width_px));
  }
  cmsDeleteTransform(transform);

  Step(out, last, "cmyk");
  PdfDocument document;
  document.icc_profile = icc;
  document.intent_name = out.output_intent;
  document.title = "Keepsake " + profile.id;
  PdfPage page;
  const double page_w_mm = out.trim_width_mm + 2 * profile.bleed_mm;
  const double page_h_mm = out.trim_height_mm + 2 * profile.bleed_mm;
  page.width_pt = page_w_mm * kPtPerMm;
  page.height_pt = page_h_mm * kPtPerMm;
  // vector layers: canvas pixels (y down) to points (y up)
  const double pt_per_px = kMmPerInch / profile.target_dpi * kPtPerMm;
  auto to_points = [&](const std::vector<std::vector<cv::Point2f>>& paths) {
    std::vector<std::vector<std::array<double, 2>>> pts;
    for (const auto& path : paths) {
      pts.emplace_back();
      for (const cv::Point2f& q : path) {
        pts.back().push_back({q.x * pt_per_px, page.height_pt - q.y * pt_per_px});
      }
    }
    return pts;
  };
  page.cut_paths = to_points(layers.cut_px);
  page.white_paths = to_points(layers.white_px);
  for (const auto& path : page.cut_paths) {
    out.cut_paths_mm.emplace_back();
    for (const auto& q : path)
      out.cut_paths_mm.back().push_back({q[0] / kPtPerMm, q[1] / kPtPerMm});
  }
  page.bleed_pt = profile.bleed_mm * kPtPerMm;
  page.image_width_px = out.width_px;
  page.image_height_px = out.height_px;
  page.cmyk = std::move(cmyk_pixels);
  document.pages.push_back(std::move(page));
  const PdfPage& front = document.pages.front();
  if (inputs.sides == 2) {
    // the back of a double-sided piece: the sheet turned over its vertical axis, so the
    // artwork, the underbase and the cut are mirrored left to right and register with the front
    PdfPage back = front;
    for (int y = 0; y < out.height_px; ++y) {
      uint32_t* row =
          reinterpret_cast<uint32_t*>(back.cmyk.data()) + static_cast<size_t>(y) * out.width_px;
      std::reverse(row, row + out.width_px);
    }
    for (auto* paths : {&back.cut_paths, &back.white_paths}) {
      for (auto& path : *paths) {
        for (auto& q : path) q[0] = back.width_pt - q[0];
      }
    }
    document.pages.push_back(std::move(back));
  } else if (profile.back.present) {
    // a postcard's address side, as listed (landscape), with the greeting
    PdfPage back;
    back.width_pt = (profile.trim_width_mm + 2 * profile.bleed_mm) * kPtPerMm;
    back.height_pt = (profile.trim_height_mm + 2 * profile.bleed_mm) * kPtPerMm;
    back.bleed_pt = front.bleed_pt;
    back.vector_ops = BackPdfOps(profile.back, layers.greeting, profile.trim_width_mm,
                                 profile.trim_height_mm, profile.bleed_mm);
    document.pages.push_back(std::move(back));
  }
  out.pages = static_cast<int>(document.pages.size());
  try {
    out.pdf = WritePrintPdf(document);
  } catch (const std::exception& e) {
    return tl::unexpected(
        Error{Errc::kInternal, std::string("the PDF cannot be written: ") + e.what()});
  }
  Step(out, last, "pdf");
  out.png = png.get();
  Step(out, last, "png (after the pdf)");

  // preview: the artwork with the bleed greyed, the trim line and the safe line drawn
  const double shrink =
      std::min(1.0, static_cast<double>(inputs.preview_px) / std::max(out.width_px, out.height_px));
  cv::Mat preview;
  cv::resize(artwork, preview, cv::Size(), shrink, shrink, cv::INTER_AREA);
  const double px_per_mm = profile.target_dpi / kMmPerInch * shrink;
  const cv::Point2d centre(preview.cols / 2.0, preview.rows / 2.0);
  const double bleed = profile.bleed_mm * px_per_mm;
  const double safe = (profile.bleed_mm + profile.safe_mm) * px_per_mm;
  cv::Mat mask(preview.size(), CV_8U, cv::Scalar(255));
  if (profile.shape == PrintShape::kRound) {
    cv::circle(mask, centre, static_cast<int>(centre.x - bleed), cv::Scalar(0), cv::FILLED);
  } else {
    cv::rectangle(mask,
                  cv::Rect(cv::Point(static_cast<int>(bleed), static_cast<int>(bleed)),
                           cv::Point(static_cast<int>(preview.cols - bleed),
                                     static_cast<int>(preview.rows - bleed))),
                  cv::Scalar(0), cv::FILLED);
  }
  cv::Mat washed;
  cv::addWeighted(preview, 0.35, cv::Mat(preview.size(), preview.type(), cv::Scalar::all(255)),
                  0.65, 0, washed);
  washed.copyTo(preview, mask);
  const cv::Scalar trim_colour(40, 40, 220), safe_colour(200, 120, 0);
  if (profile.shape == PrintShape::kRound) {
    cv::circle(preview, centre, static_cast<int>(centre.x - bleed), trim_colour, 2, cv::LINE_AA);
    cv::circle(preview, centre, static_cast<int>(centre.x - safe), safe_colour, 1, cv::LINE_AA);
  } else {
    cv::rectangle(preview, cv::Point2d(bleed, bleed),
                  cv::Point2d(preview.cols - bleed, preview.rows - bleed), trim_colour, 2,
                  cv::LINE_AA);
    cv::rectangle(preview, cv::Point2d(safe, safe),
                  cv::Point2d(preview.cols - safe, preview.rows - safe), safe_colour, 1,
                  cv::LINE_AA);
  }
  for (const auto& path : layers.cut_px) {
    std::vector<cv::Point> drawn;
    for (const cv::Point2f& q : path) drawn.emplace_back(cv::Point(q * shrink));
    cv::polylines(preview, drawn, true, cv::Scalar(200, 0, 200), 2, cv::LINE_AA);
  }
  for (const cv::Rect& f : layers.faces) {
    const cv::Rect2d on_page((f.x - layers.x0) * layers.scale * shrink,
                             (f.y - layers.y0) * layers.scale * shrink,
                             f.width * layers.scale * shrink, f.height * layers.scale * shrink);
    cv::rectangle(preview, on_page, cv::Scalar(60, 180, 60), 1, cv::LINE_AA);
  }
  if (inputs.sides == 2) {
    cv::Mat back;
    cv::flip(preview, back, 1);
    preview = SideBySide(preview, back);
  } else if (profile.back.present) {
    preview = SideBySide(preview, BackPreview(profile.back, layers.greeting, profile.trim_width_mm,
                                              profile.trim_height_mm, profile.bleed_mm, px_per_mm));
  }
  std::vector<uchar> encoded;
  cv::imencode(".png", preview, encoded);
  out.preview_png.assign(encoded.begin(), encoded.end());
  Step(out, last, "preview");
  return {};
}

// True when no two edges of the closed polygon cross (neighbours share their end point).
bool PolygonIsSimple(const std::vector<cv::Point>& polygon) {
  const size_t n = polygon.size();
  auto cross = [](cv::Point2d o, cv::Point2d a, cv::Point2d b) {
    return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
  };
  for (size_t i = 0; i < n; ++i) {
    const cv::Point2d a = polygon[i], b = polygon[(i + 1) % n];
    for (size_t j = i + 2; j < n; ++j) {
      if (i == 0 && j == n - 1) continue;  // the closing edge meets the first one
      const cv::Point2d c = polygon[j], d = polygon[(j + 1) % n];
      const double d1 = cross(c, d, a), d2 = cross(c, d, b), d3 = cross(a, b, c),
                   d4 = cross(a, b, d);
      if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)))
        return false;
    }
  }
  return true;
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

// Die-cut products: the subject comes from the picture's transparency, is fitted inside the
// trim less the cut offset (and the ring tab), and the cut runs offset_mm around it: holes in
// the subject filled, corners rounded to the minimum radius, one outline (parts apart from the
// subject are left out, with a warning), plus the ring hole for keychains. Clear acrylic gets
// a White underbase under the artwork, choked so that it never shows past the ink.
tl::expected<PrintResult, Error> RenderDieCut(const PrintInputs& inputs,
                                              const PrintProfile& profile,
                                              const cv::Mat& given_image,
                                              const cv::Mat& given_alpha) {
  cv::Mat image = given_image;
  cv::Mat alpha = given_alpha;
  double opaque_min = 0;
  if (!alpha.empty()) cv::minMaxLoc(alpha, &opaque_min);
  const bool segmented = alpha.empty() || opaque_min == 255;  // no transparency to follow
  if (segmented) {
    auto found = SegmentSubject(image);
    if (!found) return tl::unexpected(found.error());
    alpha = *found;
    // the background goes, as a transparent picture's does: white paper (or clear acrylic)
    // around the subject, with a soft pixel at the edge
    cv::Mat soft;
    cv::GaussianBlur(alpha, soft, cv::Size(3, 3), 0);
    const cv::Mat white(image.size(), CV_8UC3, cv::Scalar::all(255));
    cv::Mat weight;
    soft.convertTo(weight, CV_32F, 1.0 / 255);
    cv::Mat composed;
    cv::blendLinear(image, white, weight, 1.0f - weight, composed);
    image = composed;
  }
  cv::Mat subject = alpha > 16;  // faint glass edges count as subject, noise does not
  if (cv::countNonZero(subject) == 0) {
    return Fail(Errc::kUnprintable,
                "the picture is fully transparent: there is nothing to cut around");
  }
  const cv::Rect box = cv::boundingRect(subject);
  PrintResult out;
  out.trim_width_mm = profile.trim_width_mm;
  out.trim_height_mm = profile.trim_height_mm;
  const double px_per_mm = profile.target_dpi / kMmPerInch;
  out.width_px =
      static_cast<int>(std::lround((profile.trim_width_mm + 2 * profile.bleed_mm) * px_per_mm));
  out.height_px =
      static_cast<int>(std::lround((profile.trim_height_mm + 2 * profile.bleed_mm) * px_per_mm));
  const double tab_mm =
      profile.ring_hole_mm > 0 ? profile.ring_hole_mm + 2 * profile.ring_edge_mm + 0.5 : 0;
  const double room_w = (profile.trim_width_mm - 2 * profile.cut_offset_mm) * px_per_mm;
  const double room_h = (profile.trim_height_mm - 2 * profile.cut_offset_mm - tab_mm) * px_per_mm;
  const double scale = std::min(room_w / box.width, room_h / box.height);
  out.effective_dpi = profile.target_dpi / scale;
  const auto sharp =
      CheckResolution(inputs, profile,
                      "the subject has " + std::to_string(box.width) + " x " +
                          std::to_string(box.height) + " pixels: cut out at this size",
                      out);
  if (!sharp) return tl::unexpected(sharp.error());
  std::vector<std::string> edges;
  if (box.x == 0) edges.push_back("left");
  if (box.x + box.width == image.cols) edges.push_back("right");
  if (box.y == 0) edges.push_back("top");
  if (box.y + box.height == image.rows) edges.push_back("bottom");
  if (!edges.empty()) {
    std::string sides;
    for (const std::string& e : edges) sides += (sides.empty() ? "" : ", ") + e;
    out.warnings.push_back({"subject_cut_off",
                            {{"sides", sides}},
                            "the subject is cut off by the picture's edge (" + sides +
                                "): the outline runs straight there"});
  }
  out.crop_px = {box.x, box.y, box.width, box.height};
  out.segmented = segmented;
  if (segmented) {
    out.warnings.push_back(
        {"segmented",
         {},
         "the picture has no transparency: the subject was found by segmentation against its "
         "plain background; check the cut line"});
  }

  // the subject on the canvas, centred in its room below the tab
  const cv::Size placed(std::max(1, static_cast<int>(std::lround(box.width * scale))),
                        std::max(1, static_cast<int>(std::lround(box.height * scale))));
  const double bleed_px = profile.bleed_mm * px_per_mm;
  const double offset_px = profile.cut_offset_mm * px_per_mm;
  const int left = static_cast<int>(std::lround((out.width_px - placed.width) / 2.0));
  const int top = static_cast<int>(
      std::lround(bleed_px + offset_px + tab_mm * px_per_mm + (room_h - placed.height) / 2.0));
  cv::Mat artwork(out.height_px, out.width_px, CV_8UC3, cv::Scalar::all(255));
  cv::Mat mask = cv::Mat::zeros(out.height_px, out.width_px, CV_8U);
  const cv::Rect at(left, top, placed.width, placed.height);
  const int interpolation = scale > 1 ? cv::INTER_CUBIC : cv::INTER_AREA;
  cv::resize(image(box), artwork(at), placed, 0, 0, interpolation);
  cv::Mat placed_alpha;
  cv::resize(alpha(box), placed_alpha, placed, 0, 0, cv::INTER_LINEAR);
  mask(at).setTo(255, placed_alpha > 16);

  // the cut: holes filled, grown by the offset, concave corners rounded
  cv::Mat filled = mask.clone();
  cv::Mat outside = mask.clone();
  cv::floodFill(outside, cv::Point(0, 0), cv::Scalar(255));
  filled |= ~outside;
  auto disc = [](double radius_px) {
    const int r = std::max(1, static_cast<int>(std::lround(radius_px)));
    return cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * r + 1, 2 * r + 1));
  };
  // closing rounds concave corners; the mask is padded with background first, because
  // OpenCV's erosion treats the canvas's edge as foreground and a cut reaching near it would
  // stick to it, out through the bleed
  auto round_corners = [&disc](cv::Mat& shape, double radius_px) {
    const int pad = static_cast<int>(std::lround(radius_px)) + 2;
    cv::Mat padded;
    cv::copyMakeBorder(shape, padded, pad, pad, pad, pad, cv::BORDER_CONSTANT, cv::Scalar(0));
    cv::morphologyEx(padded, padded, cv::MORPH_CLOSE, disc(radius_px));
    padded(cv::Rect(pad, pad, shape.cols, shape.rows)).copyTo(shape);
  };
  cv::Mat cut;
  cv::dilate(filled, cut, disc(offset_px));
  const double corner_px = profile.min_corner_radius_mm * px_per_mm;
  round_corners(cut, corner_px);

  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(cut.clone(), contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
  size_t main = LargestContour(contours);
  if (contours.size() > 1) {
    const std::string count = std::to_string(contours.size() - 1);
    out.warnings.push_back({"parts_left_out",
                            {{"count", count}},
                            count + " part(s) of the picture lie apart from the subject and are "
                                    "left out of the cut"});
  }
  cut.setTo(0);
  cv::drawContours(cut, contours, static_cast<int>(main), cv::Scalar(255), cv::FILLED);

  Layers layers;
  layers.scale = scale;
  cv::Point2f hole_centre;
  double hole_px = 0;
  if (profile.ring_hole_mm > 0) {
    // the tab: a disc above the topmost point of the outline, overlapping it by 1 mm
    int y_top = 0;
    while (y_top < cut.rows && cv::countNonZero(cut.row(y_top)) == 0) ++y_top;
    std::vector<cv::Point> row;
    cv::findNonZero(cut.row(y_top), row);
    int x_sum = 0;
    for (const cv::Point& q : row) x_sum += q.x;
    // 0.25 mm over the minimum: pixels and the path's 0.05 mm simplification must not eat
    // into the hole's required distance to the edge
    const double tab_r = (profile.ring_hole_mm / 2 + profile.ring_edge_mm + 0.25) * px_per_mm;
    hole_px = profile.ring_hole_mm / 2 * px_per_mm;
    hole_centre = cv::Point2f(static_cast<float>(x_sum / std::max<size_t>(1, row.size())),
                              static_cast<float>(y_top - tab_r + px_per_mm));
    cv::circle(cut, hole_centre, static_cast<int>(std::lround(tab_r)), cv::Scalar(255), cv::FILLED,
               cv::LINE_8);
    round_corners(cut, corner_px * 2);  // a fillet at the neck
    cv::circle(artwork, hole_centre, static_cast<int>(std::lround(hole_px)), cv::Scalar::all(255),
               cv::FILLED);
  }
  contours.clear();
  cv::findContours(cut.clone(), contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
  main = LargestContour(contours);
  std::vector<cv::Point> simple;
  cv::approxPolyDP(contours[main], simple, 0.05 * px_per_mm, true);  // within 0.05 mm
  layers.cut_px.emplace_back(simple.begin(), simple.end());
  // the checks a cutter needs, on what is sent: no corner tighter than the minimum radius (an
  // opening and a closing by that radius change the shape by no more than pixel noise) and a
  // path that does not cross itself
  cv::Mat rounded = cut.clone();
  cv::morphologyEx(rounded, rounded, cv::MORPH_OPEN, disc(corner_px));
  round_corners(rounded, corner_px);
  cv::Mat changed;
  cv::bitwise_xor(rounded, cut, changed);
  // a pixel-wide seam along the outline is discretisation, a corner is a lump of pixels
  cv::morphologyEx(changed, changed, cv::MORPH_OPEN, disc(1.5));
  out.cut_min_radius_ok = cv::countNonZero(changed) == 0;
  out.cut_simple = PolygonIsSimple(simple);
  if (!out.cut_min_radius_ok) {
    const std::string radius = std::to_string(profile.min_corner_radius_mm).substr(0, 3);
    out.warnings.push_back({"tight_corner",
                            {{"radius_mm", radius}},
                            "the cut line has a corner tighter than " + radius + " mm"});
  }
  if (!out.cut_simple) {
    out.warnings.push_back({"cut_crosses_itself", {}, "the cut line crosses itself"});
  }
  if (hole_px > 0) {
    std::vector<cv::Point2f> hole;
    for (int k = 0; k < 72; ++k) {
      const double a = 2 * std::acos(-1.0) * k / 72;
      hole.emplace_back(static_cast<float>(hole_centre.x + hole_px * std::cos(a)),
                        static_cast<float>(hole_centre.y + hole_px * std::sin(a)));
    }
    layers.cut_px.push_back(hole);
  }
  if (profile.white_underbase) {
    cv::Mat white;
    cv::erode(filled, white, disc(profile.underbase_choke_mm * px_per_mm));
    std::vector<std::vector<cv::Point>> parts;
    cv::findContours(white, parts, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
    for (const auto& part : parts) {
      std::vector<cv::Point> p;
      cv::approxPolyDP(part, p, 0.05 * px_per_mm, true);
      if (p.size() >= 3) layers.white_px.emplace_back(p.begin(), p.end());
    }
  }
  auto finished = Finish(inputs, profile, artwork, layers, out);
  if (!finished) return tl::unexpected(finished.error());
  return out;
}

}  // namespace

tl::expected<PrintResult, Error> RenderPrint(const PrintInputs& inputs,
                                             const PrintProfile& profile) {
  // the header's size first: a decompression bomb is refused before any decoder allocates
  // the header, and the metadata a colour profile sits in
  const std::string head = ReadFilePrefix(inputs.image_path, 1 << 20);
  const auto format = SniffImageFormat(head);
  if (!format) return Fail(Errc::kUnreadable, "the file is not a PNG, JPEG or WebP image");
  const auto declared = CheckDeclaredSize(head, *format, inputs.max_pixels);
  if (!declared) return tl::unexpected(declared.error());
  // the options, before any pixel is decoded: a greeting that does not fit is refused at once
  if (inputs.sides != 1 && (inputs.sides != 2 || !profile.may_be_double_sided)) {
    return Fail(Errc::kUnprintable, profile.may_be_double_sided
                                        ? "sides must be 1 or 2"
                                        : profile.id + " is printed on one side only");
  }
  TextOutline greeting;
  if (!inputs.text.empty()) {
    if (!profile.back.present || profile.back.greeting_box_mm[2] <= 0) {
      return Fail(Errc::kUnprintable, profile.id + " has no room for a greeting");
    }
    const auto& box = profile.back.greeting_box_mm;
    auto laid_out =
        OutlineText(inputs.text, profile.back.font_path, profile.back.greeting_pt, box[2], box[3]);
    if (!laid_out) return tl::unexpected(laid_out.error());
    greeting = std::move(*laid_out);
  }
  const auto started = std::chrono::steady_clock::now();
  double decode_seconds = 0;
  cv::Mat image, alpha;
  try {
    image = Decode(inputs.image_path, *format, &alpha);
    decode_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  } catch (const cv::Exception& e) {
    return Fail(Errc::kUnreadable, "the image cannot be decoded: " + e.msg);
  }
  if (image.empty()) {
    return Fail(Errc::kUnreadable,
                "the image cannot be decoded (corrupt, truncated, or larger than the pixel "
                "limit)");
  }
  if (static_cast<int64_t>(image.cols) * image.rows > inputs.max_pixels) {
    return Fail(Errc::kTooLarge,
                "the image has more than " + std::to_string(inputs.max_pixels) + " pixels");
  }

  // a picture that carries its own colour profile (a phone's or a Mac's display) is converted
  // to sRGB once, here; everything after works in sRGB, as generators make pictures
  std::string input_profile;
  if (const std::string icc = EmbeddedIccProfile(head, *format); !icc.empty()) {
    std::unique_ptr<void, CmsCloser> source(
        cmsOpenProfileFromMem(icc.data(), static_cast<cmsUInt32Number>(icc.size())));
    if (source && cmsGetColorSpace(source.get()) == cmsSigRgbData) {
      std::unique_ptr<void, CmsCloser> srgb(cmsCreate_sRGBProfile());
      cmsHTRANSFORM to_srgb =
          cmsCreateTransform(source.get(), TYPE_BGR_8, srgb.get(), TYPE_BGR_8,
                             INTENT_RELATIVE_COLORIMETRIC, cmsFLAGS_BLACKPOINTCOMPENSATION);
      if (to_srgb != nullptr) {
        for (int y = 0; y < image.rows; ++y) {
          cmsDoTransform(to_srgb, image.ptr(y), image.ptr(y),
                         static_cast<cmsUInt32Number>(image.cols));
        }
        cmsDeleteTransform(to_srgb);
        char name[256] = {0};
        cmsGetProfileInfoASCII(source.get(), cmsInfoDescription, "en", "US", name, sizeof name);
        input_profile = name[0] != '\0' ? name : "embedded RGB profile";
      }
    }
  }

  if (profile.shape == PrintShape::kDieCut) {
    auto cut = RenderDieCut(inputs, profile, image, alpha);
    if (cut) cut->input_profile = input_profile;
    if (cut) cut->step_seconds.insert(cut->step_seconds.begin(), {"decode", decode_seconds});
    return cut;
  }

  PrintResult out;
  out.input_profile = input_profile;
  out.step_seconds.emplace_back("decode", decode_seconds);
  auto last = std::chrono::steady_clock::now();
  out.trim_width_mm = profile.trim_width_mm;
  out.trim_height_mm = profile.trim_height_mm;
  const bool image_landscape = image.cols > image.rows;
  // a square image keeps the product as listed
  if (profile.may_rotate && image.cols != image.rows &&
      image_landscape != (out.trim_width_mm > out.trim_height_mm) &&
      out.trim_width_mm != out.trim_height_mm) {
    std::swap(out.trim_width_mm, out.trim_height_mm);
  }
  const double dpi = profile.target_dpi;
  const double page_w_mm = out.trim_width_mm + 2 * profile.bleed_mm;
  const double page_h_mm = out.trim_height_mm + 2 * profile.bleed_mm;
  out.width_px = static_cast<int>(std::lround(page_w_mm / kMmPerInch * dpi));
  out.height_px = static_cast<int>(std::lround(page_h_mm / kMmPerInch * dpi));

  // cover: the image fills the page, bleed included; what sticks out is cropped
  const double scale = std::max(static_cast<double>(out.width_px) / image.cols,
                                static_cast<double>(out.height_px) / image.rows) *
                       std::clamp(inputs.zoom, 1.0, 4.0);
  out.effective_dpi = dpi / scale;
  char printed[160];
  std::snprintf(printed, sizeof printed, "the image has %d x %d pixels: printed at %.0f x %.0f mm",
                image.cols, image.rows, out.trim_width_mm, out.trim_height_mm);
  const auto sharp = CheckResolution(inputs, profile, printed, out);
  if (!sharp) return tl::unexpected(sharp.error());
  const double crop_w = std::min<double>(image.cols, out.width_px / scale);
  const double crop_h = std::min<double>(image.rows, out.height_px / scale);
  double x0 = (image.cols - crop_w) / 2, y0 = (image.rows - crop_h) / 2;

  const std::vector<cv::Rect> faces = FindFaces(image, inputs.face_model_path);
  Step(out, last, "faces");
  for (const cv::Rect& f : faces) out.faces.push_back({f.x, f.y, f.width, f.height});
  if (!faces.empty()) {
    cv::Rect all = faces.front();
    for (const cv::Rect& f : faces) all |= f;
    // centre the faces in the crop, as far as the image allows
    x0 = std::clamp(all.x + all.width / 2.0 - crop_w / 2, 0.0, image.cols - crop_w);
    y0 = std::clamp(all.y + all.height / 2.0 - crop_h / 2, 0.0, image.rows - crop_h);
    const double inset = (profile.bleed_mm + profile.safe_mm) / kMmPerInch * dpi / scale;
    bool inside = true;
    if (profile.shape == PrintShape::kRound) {
      // every corner of every face within the safe circle
      const cv::Point2d centre(x0 + crop_w / 2, y0 + crop_h / 2);
      const double radius = std::min(crop_w, crop_h) / 2 - inset;
      for (const cv::Rect& f : faces) {
        for (const cv::Point2d corner :
             {cv::Point2d(f.x, f.y), cv::Point2d(f.x + f.width, f.y),
              cv::Point2d(f.x, f.y + f.height), cv::Point2d(f.x + f.width, f.y + f.height)}) {
          inside &= cv::norm(corner - centre) <= radius;
        }
      }
    } else {
      const cv::Rect2d safe(x0 + inset, y0 + inset, crop_w - 2 * inset, crop_h - 2 * inset);
      inside = (cv::Rect2d(all) & safe) == cv::Rect2d(all);
    }
    if (!inside) {
      out.warnings.push_back({"face_near_trim",
                              {},
                              "a face reaches outside the safe area: it may be cut at the trim"});
    }
  }
  if (inputs.crop_offset) {  // the reviewer placed the crop
    x0 = (image.cols - crop_w) / 2 * (1 + std::clamp((*inputs.crop_offset)[0], -1.0, 1.0));
    y0 = (image.rows - crop_h) / 2 * (1 + std::clamp((*inputs.crop_offset)[1], -1.0, 1.0));
  }
  out.crop_px = {static_cast<int>(std::lround(x0)), static_cast<int>(std::lround(y0)),
                 static_cast<int>(std::lround(crop_w)), static_cast<int>(std::lround(crop_h))};
  const cv::Rect crop(out.crop_px[0], out.crop_px[1],
                      std::min(out.crop_px[2], image.cols - out.crop_px[0]),
                      std::min(out.crop_px[3], image.rows - out.crop_px[1]));
  cv::Mat artwork;
  cv::resize(image(crop), artwork, cv::Size(out.width_px, out.height_px), 0, 0,
             scale > 1 ? cv::INTER_CUBIC : cv::INTER_AREA);

  Step(out, last, "fit and resample");
  Layers layers{faces, x0, y0, scale, {}, {}, &greeting};
  auto finished = Finish(inputs, profile, artwork, layers, out);
  if (!finished) return tl::unexpected(finished.error());
  out.greeting_lines = greeting.lines;
  return out;
}

}  // namespace keepsake::imaging
