// Private: the steps of the 2D pipeline shared by its files: print_source.cpp (the customer's
// picture: decode, colour, faces, the subject), render_print.cpp (rectangular and round
// products), die_cut.cpp (keychains and die-cut magnets: the cut and the White), print_output.cpp
// (CMYK, the PDF, the PNG and the preview), postcard_back.cpp (the address side).
#pragma once

#include <lcms2.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "keepsake/imaging/format.hpp"
#include "keepsake/imaging/print.hpp"
#include "text_outline.hpp"

namespace keepsake::imaging {

inline constexpr double kMmPerInch = 25.4;
inline constexpr double kPtPerMm = 72.0 / kMmPerInch;

// Records the seconds since the previous step under `step`.
inline void Step(PrintResult& out, std::chrono::steady_clock::time_point& last, const char* step) {
  const auto now = std::chrono::steady_clock::now();
  out.step_seconds.emplace_back(step, std::chrono::duration<double>(now - last).count());
  last = now;
}

inline tl::expected<PrintResult, Error> Fail(Errc code, const std::string& why) {
  return tl::unexpected(Error{code, why});
}

// LittleCMS profiles closed when their owner goes.
struct CmsCloser {
  void operator()(void* handle) const { cmsCloseProfile(handle); }
};

// What goes on the page besides the artwork, and where the faces were (for the preview).
struct Layers {
  std::vector<cv::Rect> faces;
  double x0 = 0, y0 = 0, scale = 1;        // the crop's origin in the image and the image's scale
  std::vector<CubicPath> cut_curves_px;    // canvas pixels: the traced outline
  std::vector<CubicPath> white_curves_px;  // canvas pixels: the White's boundaries (even-odd)
  cv::Mat cut_mask;  // die-cut: 255 inside the cut (the piece), for the transparent PNG
  std::vector<cv::Vec3f> cut_circles_px;  // true circles on the cut (x, y, radius): a round
                                          // magnet's or badge's disc, a keychain's ring hole
  const TextOutline* greeting = nullptr;  // postcards: the text for the back
};

// The points of a cubic path, each segment cut into enough straight pieces to stay within
// `tolerance` of the curve (in the path's units); the start first, the start not repeated.
std::vector<std::array<double, 2>> Flatten(const CubicPath& path, double tolerance);

// The path with every point (start, controls, ends) mapped by `f` (an affine map keeps it
// the same curve: pixels to points, points to millimetres, a mirror).
template <typename F>
CubicPath Mapped(const CubicPath& path, const F& f) {
  CubicPath out;
  out.start = f(path.start);
  for (const auto& [c1, c2, to] : path.segments) out.segments.push_back({f(c1), f(c2), f(to)});
  return out;
}

// --- print_source.cpp: the customer's picture ------------------------------------------------

// The resolution rule of every product: refused below refuse_below_dpi (unless a reviewer
// allowed it), a warning below warn_below_dpi. `pixels` says what was measured, for the reason.
tl::expected<void, Error> CheckResolution(const PrintInputs& inputs, const PrintProfile& profile,
                                          const std::string& pixels, PrintResult& out);
// The picture as 8-bit BGR (a JPEG turned by its EXIF orientation), each pixel in its own
// colour, and its transparency in `alpha` (left empty when the file has none); kUnreadable or
// kTooLarge with the reason. The products compose it (ComposeOnWhite) as their material needs.
tl::expected<cv::Mat, Error> Decode(const std::string& path, int64_t max_pixels, cv::Mat* alpha);
// `image` composed on white paper (or clear acrylic: no ink) by `alpha` (0-255), in place; the
// pixels at least `keep_from` opaque keep their own colour (clear acrylic: the White goes under
// them, and their edge printed paler would show as a light rim on it).
void ComposeOnWhite(cv::Mat& image, const cv::Mat& alpha, int keep_from = 256);
// Converts `image` (BGR) from the colour profile embedded in the file's `head` to sRGB, in
// place; the profile's description, or empty when the picture carries none (sRGB assumed).
std::string ConvertToSrgb(const std::string& head, ImageFormat format, cv::Mat& image);
// OpenCV's Haar cascade at `model`, parsed from its XML (a tenth of a second: RenderPrint starts
// it beside the decode); null without a model or when it cannot be read.
std::shared_ptr<cv::CascadeClassifier> LoadFaceDetector(const std::string& model);
// Faces, in the image's pixels; none without a detector.
std::vector<cv::Rect> FindFaces(const cv::Mat& bgr, cv::CascadeClassifier* detector);
// Pixel art, detected (not guessed from a name): the side of its square blocks when every
// colour change of the picture falls on one grid of them (an enlarged sprite), 1 for a sprite
// at its own size (at most 256 px and 256 colours), 0 for any other picture. Pixel art is
// scaled nearest neighbour, so its blocks stay sharp-edged and keep their exact colours.
int PixelArtBlock(const cv::Mat& bgr);
// How a picture is resampled to the canvas: nearest neighbour for pixel art whose blocks come
// out at least 2 px wide (smaller ones are averaged like any picture), else bicubic when
// enlarging and pixel-area averaging when shrinking.
inline int Interpolation(int pixel_art_block, double scale) {
  if (pixel_art_block > 0 && pixel_art_block * scale >= 2) return cv::INTER_NEAREST;
  return scale > 1 ? cv::INTER_CUBIC : cv::INTER_AREA;
}
inline const char* ResamplingName(int interpolation) {
  return interpolation == cv::INTER_NEAREST ? "nearest"
         : interpolation == cv::INTER_CUBIC ? "bicubic"
                                            : "area";
}
// The subject of a picture without transparency, as an alpha mask (GrabCut against a plain
// background); refused when the background is a scene.
tl::expected<cv::Mat, Error> SegmentSubject(const cv::Mat& bgr);

// --- die_cut.cpp ------------------------------------------------------------------------------

tl::expected<PrintResult, Error> RenderDieCut(const PrintInputs& inputs,
                                              const PrintProfile& profile, const cv::Mat& image,
                                              const cv::Mat& alpha);

// --- print_output.cpp -------------------------------------------------------------------------

// CMYK, the PDF, the PNG and the preview, from the laid-out artwork (canvas at target dpi).
tl::expected<void, Error> Finish(const PrintInputs& inputs, const PrintProfile& profile,
                                 const cv::Mat& artwork, const Layers& layers, PrintResult& out);

}  // namespace keepsake::imaging
