// The 2D pipeline: decode (EXIF orientation for JPEG; transparency composed on white paper, or
// by die_cut.cpp on the product's material), turn the trim
// to the image's orientation, cover-fit with the crop placed so that the faces OpenCV finds
// stay in the safe area, resample to the print resolution, then CMYK, the PDF, the PNG and the
// preview (print_output.cpp). Die-cut products go their own way from the decoded picture
// (die_cut.cpp).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <memory>

#include <opencv2/imgproc.hpp>

#include "decode_guard.hpp"
#include "image_head.hpp"
#include "print_steps.hpp"

namespace keepsake::imaging {

namespace {

// The options, before any pixel is decoded: the sides, and the greeting laid out (one that
// does not fit is refused at once).
tl::expected<TextOutline, Error> CheckOptions(const PrintInputs& inputs,
                                              const PrintProfile& profile) {
  if (inputs.sides != 1 && (inputs.sides != 2 || !profile.may_be_double_sided)) {
    return tl::unexpected(
        Error{Errc::kUnprintable, profile.may_be_double_sided
                                      ? "sides must be 1 or 2"
                                      : profile.id + " is printed on one side only"});
  }
  if (inputs.text.empty()) return TextOutline{};
  if (!profile.back.present || profile.back.greeting_box_mm[2] <= 0) {
    return tl::unexpected(Error{Errc::kUnprintable, profile.id + " has no room for a greeting"});
  }
  const auto& box = profile.back.greeting_box_mm;
  return OutlineText(inputs.text, profile.back.font_path, profile.back.greeting_pt, box[2], box[3]);
}

// True when every face stays inside the safe area of the crop at (x0, y0) of crop_w x crop_h
// image pixels; `inset` is the bleed and safe margin in image pixels.
bool FacesInsideSafeArea(const std::vector<cv::Rect>& faces, const PrintProfile& profile, double x0,
                         double y0, double crop_w, double crop_h, double inset) {
  if (profile.shape == PrintShape::kRound) {
    // every corner of every face within the safe circle
    const cv::Point2d centre(x0 + crop_w / 2, y0 + crop_h / 2);
    const double radius = std::min(crop_w, crop_h) / 2 - inset;
    for (const cv::Rect& f : faces) {
      for (const cv::Point2d corner :
           {cv::Point2d(f.x, f.y), cv::Point2d(f.x + f.width, f.y),
            cv::Point2d(f.x, f.y + f.height), cv::Point2d(f.x + f.width, f.y + f.height)}) {
        if (cv::norm(corner - centre) > radius) return false;
      }
    }
    return true;
  }
  cv::Rect all = faces.front();
  for (const cv::Rect& f : faces) all |= f;
  const cv::Rect2d safe(x0 + inset, y0 + inset, crop_w - 2 * inset, crop_h - 2 * inset);
  return (cv::Rect2d(all) & safe) == cv::Rect2d(all);
}

// The trim turned to the picture's orientation where the product allows it (a square picture
// keeps the product as listed), and the page's pixels, bleed included.
void SizePage(const PrintProfile& profile, const cv::Mat& image, PrintResult& out) {
  out.trim_width_mm = profile.trim_width_mm;
  out.trim_height_mm = profile.trim_height_mm;
  const bool image_landscape = image.cols > image.rows;
  if (profile.may_rotate && image.cols != image.rows &&
      image_landscape != (out.trim_width_mm > out.trim_height_mm) &&
      out.trim_width_mm != out.trim_height_mm) {
    std::swap(out.trim_width_mm, out.trim_height_mm);
  }
  const double page_w_mm = out.trim_width_mm + 2 * profile.bleed_mm;
  const double page_h_mm = out.trim_height_mm + 2 * profile.bleed_mm;
  out.width_px = static_cast<int>(std::lround(page_w_mm / kMmPerInch * profile.target_dpi));
  out.height_px = static_cast<int>(std::lround(page_h_mm / kMmPerInch * profile.target_dpi));
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
  auto greeting = CheckOptions(inputs, profile);
  if (!greeting) return tl::unexpected(greeting.error());
  const auto started = std::chrono::steady_clock::now();
  // the face detector is read on the other core while this one decodes (die-cut pieces have
  // no crop to place)
  std::future<std::shared_ptr<cv::CascadeClassifier>> face_detector =
      std::async(profile.shape == PrintShape::kDieCut ? std::launch::deferred : std::launch::async,
                 LoadFaceDetector, inputs.face_model_path);
  cv::Mat alpha;
  auto decoded = Decode(inputs.image_path, inputs.max_pixels, &alpha);
  if (!decoded) return tl::unexpected(decoded.error());
  cv::Mat& image = *decoded;
  const double decode_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  // a picture that carries its own colour profile (a phone's or a Mac's display) is converted
  // to sRGB once, here; everything after works in sRGB, as generators make pictures
  const std::string input_profile = ConvertToSrgb(head, *format, image);

  if (profile.shape == PrintShape::kDieCut) {
    auto cut = RenderDieCut(inputs, profile, image, alpha);
    if (cut) cut->input_profile = input_profile;
    if (cut) cut->step_seconds.insert(cut->step_seconds.begin(), {"decode", decode_seconds});
    return cut;
  }

  if (!alpha.empty()) ComposeOnWhite(image, alpha);  // transparency prints as the paper
  PrintResult out;
  out.input_profile = input_profile;
  out.step_seconds.emplace_back("decode", decode_seconds);
  auto last = std::chrono::steady_clock::now();
  SizePage(profile, image, out);
  const double dpi = profile.target_dpi;

  // cover: the image fills the page, bleed included; what sticks out is cropped
  const double scale = std::max(static_cast<double>(out.width_px) / image.cols,
                                static_cast<double>(out.height_px) / image.rows) *
                       std::clamp(inputs.zoom, 1.0, 4.0);
  out.effective_dpi = dpi / scale;
  out.pixel_art_block = PixelArtBlock(image);
  char printed[160];
  std::snprintf(printed, sizeof printed, "the image has %d x %d pixels: printed at %.0f x %.0f mm",
                image.cols, image.rows, out.trim_width_mm, out.trim_height_mm);
  const auto sharp = CheckResolution(inputs, profile, printed, out);
  if (!sharp) return tl::unexpected(sharp.error());
  const double crop_w = std::min<double>(image.cols, out.width_px / scale);
  const double crop_h = std::min<double>(image.rows, out.height_px / scale);
  double x0 = (image.cols - crop_w) / 2, y0 = (image.rows - crop_h) / 2;

  const auto detector = face_detector.get();
  const std::vector<cv::Rect> faces = FindFaces(image, detector.get());
  Step(out, last, "faces");
  for (const cv::Rect& f : faces) out.faces.push_back({f.x, f.y, f.width, f.height});
  if (!faces.empty()) {
    cv::Rect all = faces.front();
    for (const cv::Rect& f : faces) all |= f;
    // centre the faces in the crop, as far as the image allows
    x0 = std::clamp(all.x + all.width / 2.0 - crop_w / 2, 0.0, image.cols - crop_w);
    y0 = std::clamp(all.y + all.height / 2.0 - crop_h / 2, 0.0, image.rows - crop_h);
    const double inset = (profile.bleed_mm + profile.safe_mm) / kMmPerInch * dpi / scale;
    const bool inside = FacesInsideSafeArea(faces, profile, x0, y0, crop_w, crop_h, inset);
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
  const int interpolation = Interpolation(out.pixel_art_block, scale);
  out.resampling = ResamplingName(interpolation);
  cv::resize(image(crop), artwork, cv::Size(out.width_px, out.height_px), 0, 0, interpolation);

  Step(out, last, "fit and resample");
  Layers layers;
  layers.faces = faces;
  layers.x0 = x0;
  layers.y0 = y0;
  layers.scale = scale;
  layers.greeting = &*greeting;
  if (profile.shape == PrintShape::kRound) {
    // a round magnet or a badge's disc is cut as a circle at the trim
    const double r = std::min(out.trim_width_mm, out.trim_height_mm) / 2 * dpi / kMmPerInch;
    layers.cut_circles_px.push_back(cv::Vec3f(static_cast<float>(out.width_px / 2.0),
                                              static_cast<float>(out.height_px / 2.0),
                                              static_cast<float>(r)));
  }
  auto finished = Finish(inputs, profile, artwork, layers, out);
  if (!finished) return tl::unexpected(finished.error());
  out.greeting_lines = greeting->lines;
  return out;
}

}  // namespace keepsake::imaging
