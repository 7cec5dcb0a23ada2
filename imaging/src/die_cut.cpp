// Die-cut products (acrylic keychains, die-cut magnets): the subject comes from the picture's
// transparency (or is segmented from a plain background), is fitted inside the trim less the
// cut offset (and the ring tab), and the cut runs offset_mm around it: holes in the subject
// filled, corners rounded to the minimum radius, one outline (parts apart from the subject are
// left out, with a warning), plus the ring hole for keychains. Clear acrylic gets a White
// underbase under the artwork, choked so that it never shows past the ink.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <potracelib.h>
#include <opencv2/imgproc.hpp>

#include "print_steps.hpp"

namespace keepsake::imaging {

namespace {

// The outline of the largest area (a die-cut has one cut).
size_t LargestContour(const std::vector<std::vector<cv::Point>>& contours) {
  size_t largest = 0;
  for (size_t c = 1; c < contours.size(); ++c) {
    if (cv::contourArea(contours[c]) > cv::contourArea(contours[largest])) largest = c;
  }
  return largest;
}

// True when no two edges of the closed polygon cross (neighbours share their end point).
bool PolygonIsSimple(const std::vector<cv::Point2d>& polygon) {
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

cv::Mat Disc(double radius_px) {
  const int r = std::max(1, static_cast<int>(std::lround(radius_px)));
  return cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * r + 1, 2 * r + 1));
}

// Closing rounds concave corners; the mask is padded with background first, because OpenCV's
// erosion treats the canvas's edge as foreground and a cut reaching near it would stick to it,
// out through the bleed.
void RoundCorners(cv::Mat& shape, double radius_px) {
  const int pad = static_cast<int>(std::lround(radius_px)) + 2;
  cv::Mat padded;
  cv::copyMakeBorder(shape, padded, pad, pad, pad, pad, cv::BORDER_CONSTANT, cv::Scalar(0));
  cv::morphologyEx(padded, padded, cv::MORPH_CLOSE, Disc(radius_px));
  padded(cv::Rect(pad, pad, shape.cols, shape.rows)).copyTo(shape);
}

// A picture without transparency: its subject found by segmentation (alpha), and the
// background made what a transparent picture's is: white paper (or clear acrylic) around the
// subject, with a soft pixel at the edge.
tl::expected<void, Error> CutOutBackground(cv::Mat& image, cv::Mat& alpha) {
  auto found = SegmentSubject(image);
  if (!found) return tl::unexpected(found.error());
  alpha = *found;
  cv::Mat soft;
  cv::GaussianBlur(alpha, soft, cv::Size(3, 3), 0);
  ComposeOnWhite(image, soft);
  return {};
}

// Where the subject goes on the canvas.
struct Placement {
  cv::Rect box;  // the subject in the picture's pixels
  double scale = 1;
  double px_per_mm = 1;
  double tab_mm = 0;  // the ring tab's room above the subject
  double room_h = 0;  // canvas pixels the subject may fill in height
};

// The subject's box in the picture and the scale that fits it in the trim less the cut offset
// and the tab; the canvas size, the resolution check and the subject's warnings into `out`.
tl::expected<Placement, Error> Place(const PrintInputs& inputs, const PrintProfile& profile,
                                     const cv::Mat& image, const cv::Mat& alpha, PrintResult& out) {
  cv::Mat subject = alpha > 16;  // faint glass edges count as subject, noise does not
  if (cv::countNonZero(subject) == 0) {
    return tl::unexpected(Error{
        Errc::kUnprintable, "the picture is fully transparent: there is nothing to cut around"});
  }
  Placement p;
  p.box = cv::boundingRect(subject);
  const cv::Rect& box = p.box;
  out.trim_width_mm = profile.trim_width_mm;
  out.trim_height_mm = profile.trim_height_mm;
  p.px_per_mm = profile.target_dpi / kMmPerInch;
  out.width_px =
      static_cast<int>(std::lround((profile.trim_width_mm + 2 * profile.bleed_mm) * p.px_per_mm));
  out.height_px =
      static_cast<int>(std::lround((profile.trim_height_mm + 2 * profile.bleed_mm) * p.px_per_mm));
  p.tab_mm = profile.ring_hole_mm > 0 ? profile.ring_hole_mm + 2 * profile.ring_edge_mm + 0.5 : 0;
  const double room_w = (profile.trim_width_mm - 2 * profile.cut_offset_mm) * p.px_per_mm;
  p.room_h = (profile.trim_height_mm - 2 * profile.cut_offset_mm - p.tab_mm) * p.px_per_mm;
  p.scale = std::min(room_w / box.width, p.room_h / box.height);
  out.effective_dpi = profile.target_dpi / p.scale;
  out.pixel_art_block = PixelArtBlock(image(p.box));
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
  return p;
}

// The subject drawn on the canvas (`artwork`, white), centred in its room below the tab, and
// its mask; with `alpha_2x`, also the picture's transparency placed on a canvas of twice the
// resolution (the White is worked there, so that its choke holds to a quarter of a pixel).
cv::Mat DrawSubject(const PrintProfile& profile, const cv::Mat& image, const cv::Mat& alpha,
                    const Placement& p, cv::Mat& artwork, cv::Mat* alpha_2x, PrintResult& out) {
  const cv::Size placed(std::max(1, static_cast<int>(std::lround(p.box.width * p.scale))),
                        std::max(1, static_cast<int>(std::lround(p.box.height * p.scale))));
  const double bleed_px = profile.bleed_mm * p.px_per_mm;
  const double offset_px = profile.cut_offset_mm * p.px_per_mm;
  const int left = static_cast<int>(std::lround((artwork.cols - placed.width) / 2.0));
  const int top = static_cast<int>(std::lround(bleed_px + offset_px + p.tab_mm * p.px_per_mm +
                                               (p.room_h - placed.height) / 2.0));
  cv::Mat mask = cv::Mat::zeros(artwork.rows, artwork.cols, CV_8U);
  const cv::Rect at(left, top, placed.width, placed.height);
  const int interpolation = Interpolation(out.pixel_art_block, p.scale);
  out.resampling = ResamplingName(interpolation);
  cv::resize(image(p.box), artwork(at), placed, 0, 0, interpolation);
  cv::Mat placed_alpha;
  // pixel art: its transparency in whole blocks too
  const int alpha_interpolation =
      interpolation == cv::INTER_NEAREST ? cv::INTER_NEAREST : cv::INTER_LINEAR;
  cv::resize(alpha(p.box), placed_alpha, placed, 0, 0, alpha_interpolation);
  mask(at).setTo(255, placed_alpha > 16);
  if (alpha_2x != nullptr) {
    *alpha_2x = cv::Mat::zeros(2 * artwork.rows, 2 * artwork.cols, CV_8U);
    const cv::Rect at_2x(2 * at.x, 2 * at.y, 2 * at.width, 2 * at.height);
    cv::resize(alpha(p.box), (*alpha_2x)(at_2x), at_2x.size(), 0, 0,
               interpolation == cv::INTER_NEAREST ? cv::INTER_NEAREST
               : 2 * p.scale > 1                  ? cv::INTER_LINEAR
                                                  : cv::INTER_AREA);
  }
  return mask;
}

// The subject with its holes filled.
cv::Mat FillHoles(const cv::Mat& mask) {
  cv::Mat filled = mask.clone();
  cv::Mat outside = mask.clone();
  cv::floodFill(outside, cv::Point(0, 0), cv::Scalar(255));
  filled |= ~outside;
  return filled;
}

// The area inside the cut: the filled subject grown by the offset, concave corners rounded, one
// piece (the parts apart from the subject are left out, with a warning).
cv::Mat CutShape(const cv::Mat& filled, const PrintProfile& profile, double px_per_mm,
                 PrintResult& out) {
  cv::Mat cut;
  cv::dilate(filled, cut, Disc(profile.cut_offset_mm * px_per_mm));
  RoundCorners(cut, profile.min_corner_radius_mm * px_per_mm);
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(cut.clone(), contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
  const size_t main = LargestContour(contours);
  if (contours.size() > 1) {
    const std::string count = std::to_string(contours.size() - 1);
    out.warnings.push_back({"parts_left_out",
                            {{"count", count}},
                            count + " part(s) of the picture lie apart from the subject and are "
                                    "left out of the cut"});
  }
  cut.setTo(0);
  cv::drawContours(cut, contours, static_cast<int>(main), cv::Scalar(255), cv::FILLED);
  return cut;
}

struct RingHole {
  cv::Point2f centre;
  double radius_px = 0;
};

// The centre of mass of a mask's set pixels (a flat piece of acrylic of even thickness).
cv::Point2d CentreOfMass(const cv::Mat& mask) {
  const cv::Moments m = cv::moments(mask, true);
  return m.m00 > 0 ? cv::Point2d(m.m10 / m.m00, m.m01 / m.m00) : cv::Point2d(0, 0);
}

// The keychain's tab: a disc on the vertical through the outline's centre of mass (so the
// piece hangs straight), overlapping the outline by 1 mm where that vertical first meets it,
// moved up (with a neck down to the outline) when the hole would sit over the subject; joined
// with a fillet, and the hole punched through the artwork. `offset_mm` moves the tab sideways
// from that vertical (a reviewer's choice). The hang angle and its warning go into `out`.
RingHole AddRingTab(const PrintProfile& profile, double px_per_mm, double offset_mm,
                    const cv::Mat& subject, cv::Mat& cut, cv::Mat& artwork, PrintResult& out) {
  const cv::Point2d mass = CentreOfMass(cut);
  int column =
      std::clamp(static_cast<int>(std::lround(mass.x + offset_mm * px_per_mm)), 0, cut.cols - 1);
  // the first row where the vertical meets the outline (a C-shaped piece: the nearest column
  // that has one)
  auto top_of = [&cut](int x) {
    for (int y = 0; y < cut.rows; ++y) {
      if (cut.at<uint8_t>(y, x) != 0) return y;
    }
    return -1;
  };
  int y_top = top_of(column);
  for (int d = 1; y_top < 0 && d < cut.cols; ++d) {
    for (int x : {column - d, column + d}) {
      if (y_top < 0 && x >= 0 && x < cut.cols && top_of(x) >= 0) {
        column = x;
        y_top = top_of(x);
      }
    }
  }
  // 0.25 mm over the minimum: pixels and the path's 0.05 mm simplification must not eat into
  // the hole's required distance to the edge
  const double tab_r = (profile.ring_hole_mm / 2 + profile.ring_edge_mm + 0.25) * px_per_mm;
  RingHole hole;
  hole.radius_px = profile.ring_hole_mm / 2 * px_per_mm;
  double y = y_top - tab_r + px_per_mm;
  // the hole and its edge stay off the subject (a notch between two ears): up, within the page
  const double clear_r = hole.radius_px + profile.ring_edge_mm * px_per_mm;
  const double highest = profile.bleed_mm * px_per_mm + tab_r;  // the tab stays on the page
  // only the square around the disc is looked at: the search steps up a quarter mm at a time
  auto over_subject = [&](double cy) {
    const int r = static_cast<int>(std::lround(clear_r));
    const cv::Rect around =
        cv::Rect(column - r, static_cast<int>(std::lround(cy)) - r, 2 * r + 1, 2 * r + 1) &
        cv::Rect(0, 0, subject.cols, subject.rows);
    if (around.empty()) return false;
    cv::Mat disc = cv::Mat::zeros(around.size(), CV_8U);
    cv::circle(disc, cv::Point2d(column - around.x, cy - around.y), r, cv::Scalar(255), cv::FILLED);
    return cv::countNonZero(disc & subject(around)) > 0;
  };
  while (y > highest && over_subject(y)) y -= px_per_mm / 4;
  if (over_subject(y)) {
    out.warnings.push_back({"ring_hole_over_subject",
                            {},
                            "the ring hole could not be placed clear of the picture on the piece's "
                            "balance line: it cuts through the subject"});
  }
  hole.centre = cv::Point2f(static_cast<float>(column), static_cast<float>(y));
  cv::circle(cut, hole.centre, static_cast<int>(std::lround(tab_r)), cv::Scalar(255), cv::FILLED,
             cv::LINE_8);
  if (y < y_top - tab_r + px_per_mm) {  // the neck down to where the outline was met
    const int half = static_cast<int>(std::lround(tab_r * 0.8));
    cv::rectangle(cut, cv::Point(column - half, static_cast<int>(y)),
                  cv::Point(column + half, y_top + static_cast<int>(px_per_mm)), cv::Scalar(255),
                  cv::FILLED);
  }
  RoundCorners(cut, profile.min_corner_radius_mm * px_per_mm * 2);  // a fillet at the neck
  cv::circle(artwork, hole.centre, static_cast<int>(std::lround(hole.radius_px)),
             cv::Scalar::all(255), cv::FILLED);
  // how it hangs: the piece with its hole turns until its centre of mass is under the ring
  cv::Mat piece = cut.clone();
  cv::circle(piece, hole.centre, static_cast<int>(std::lround(hole.radius_px)), cv::Scalar(0),
             cv::FILLED);
  const cv::Point2d hung = CentreOfMass(piece);
  const double hang =
      std::atan2(std::abs(hung.x - hole.centre.x), hung.y - hole.centre.y) * 180 / std::acos(-1.0);
  out.hang_deg = hang;
  if (hang > 3) {
    char degrees[16];
    std::snprintf(degrees, sizeof degrees, "%.1f", hang);
    out.warnings.push_back({"hangs_askew",
                            {{"degrees", degrees}},
                            std::string("the piece hangs ") + degrees +
                                " degrees from vertical on its ring: move the ring in the review"});
  }
  return hole;
}

enum class Boundaries { kLargestOutline, kAll };

// The boundaries of `mask` (255 inside) as potrace traces them: cubic Bezier curves through the
// pixel staircase (within about a fifth of a pixel: opttolerance 0.2) and sharp corners where
// the shape has them (alphamax 1, potrace's default), in the mask's pixels (the edges of pixel
// squares, as the artwork is placed on the page). kLargestOutline: the outer boundary of the
// largest piece (a cut); kAll: every piece and hole (a fill, even-odd). Written with potrace
// because a cutter follows a path: a polygon through the staircase is hundreds of short
// segments with kinks a cutter or a laser traces as vibration.
std::vector<CubicPath> Trace(const cv::Mat& mask, Boundaries which) {
  constexpr int kBits = static_cast<int>(sizeof(potrace_word) * 8);
  potrace_bitmap_t bitmap{};
  bitmap.w = mask.cols;
  bitmap.h = mask.rows;
  bitmap.dy = (mask.cols + kBits - 1) / kBits;
  std::vector<potrace_word> words(static_cast<size_t>(bitmap.dy) * static_cast<size_t>(mask.rows),
                                  0);
  for (int y = 0; y < mask.rows; ++y) {
    const uint8_t* row = mask.ptr<uint8_t>(y);
    potrace_word* line = &words[static_cast<size_t>(y) * static_cast<size_t>(bitmap.dy)];
    for (int x = 0; x < mask.cols; ++x) {
      if (row[x] != 0) line[x / kBits] |= potrace_word{1} << (kBits - 1 - x % kBits);
    }
  }
  bitmap.map = words.data();
  std::unique_ptr<potrace_param_t, void (*)(potrace_param_t*)> param(potrace_param_default(),
                                                                     potrace_param_free);
  std::vector<CubicPath> traced;
  if (!param) return traced;
  param->turdsize = 2;  // specks of a pixel or two are not pieces
  param->alphamax = 1.0;
  param->opticurve = 1;
  param->opttolerance = 0.2;
  std::unique_ptr<potrace_state_t, void (*)(potrace_state_t*)> state(
      potrace_trace(param.get(), &bitmap), potrace_state_free);
  if (!state || state->status != POTRACE_STATUS_OK) return traced;
  const auto at = [](const potrace_dpoint_t& p) { return std::array<double, 2>{p.x, p.y}; };
  const auto on_line = [](std::array<double, 2> a, std::array<double, 2> b, double t) {
    return std::array<double, 2>{a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t};
  };
  const auto add = [&](const potrace_curve_t& curve) {
    if (curve.n == 0) return;
    CubicPath path;
    path.start = at(curve.c[curve.n - 1][2]);
    std::array<double, 2> from = path.start;
    for (int i = 0; i < curve.n; ++i) {
      if (curve.tag[i] == POTRACE_CURVETO) {
        path.segments.push_back({at(curve.c[i][0]), at(curve.c[i][1]), at(curve.c[i][2])});
      } else {  // a corner: two straight edges through its vertex
        for (const auto to : {at(curve.c[i][1]), at(curve.c[i][2])}) {
          path.segments.push_back({on_line(from, to, 1.0 / 3), on_line(from, to, 2.0 / 3), to});
          from = to;
        }
      }
      from = path.segments.back()[2];
    }
    traced.push_back(std::move(path));
  };
  if (which == Boundaries::kAll) {
    for (const potrace_path_t* p = state->plist; p != nullptr; p = p->next) add(p->curve);
    return traced;
  }
  const potrace_path_t* largest = nullptr;
  for (const potrace_path_t* p = state->plist; p != nullptr; p = p->next) {
    if (p->sign == '+' && (largest == nullptr || p->area > largest->area)) largest = p;
  }
  if (largest != nullptr) add(largest->curve);
  return traced;
}

// The cut's outline as the cutter gets it (smooth curves, TraceOutline), with the checks a
// cutter needs on what is sent: no corner tighter than the minimum radius (an opening and a
// closing by that radius change the shape by no more than pixel noise) and a path that does
// not cross itself.
CubicPath CutOutline(const cv::Mat& cut, const PrintProfile& profile, double px_per_mm,
                     PrintResult& out) {
  std::vector<CubicPath> outlines = Trace(cut, Boundaries::kLargestOutline);
  if (outlines.empty()) return {};
  CubicPath traced = std::move(outlines.front());
  std::vector<cv::Point2d> simple;
  for (const auto& q : Flatten(traced, 0.01 * px_per_mm)) simple.emplace_back(q[0], q[1]);
  const double corner_px = profile.min_corner_radius_mm * px_per_mm;
  cv::Mat rounded = cut.clone();
  cv::morphologyEx(rounded, rounded, cv::MORPH_OPEN, Disc(corner_px));
  RoundCorners(rounded, corner_px);
  cv::Mat changed;
  cv::bitwise_xor(rounded, cut, changed);
  // a pixel-wide seam along the outline is discretisation, a corner is a lump of pixels
  cv::morphologyEx(changed, changed, cv::MORPH_OPEN, Disc(1.5));
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
  return traced;
}

// The White underbase of clear acrylic: where the picture is at least `underbase_alpha` opaque
// (holes it has stay clear), choked `underbase_choke_mm` inside that edge, as curves in canvas
// pixels. Worked on `alpha_2x` (twice the canvas's resolution): a pixel's centre lies half a
// pixel inside the edge its distance is measured to, so a pixel whose distance is at least the
// choke plus half a pixel has its own edges at the choke, give or take half a (small) pixel.
std::vector<CubicPath> WhiteUnderbase(const cv::Mat& alpha_2x, const PrintProfile& profile,
                                      double px_per_mm) {
  cv::Mat opaque;
  cv::copyMakeBorder(alpha_2x >= profile.underbase_alpha, opaque, 1, 1, 1, 1, cv::BORDER_CONSTANT,
                     cv::Scalar(0));  // the canvas's edge is outside
  cv::Mat distance;
  cv::distanceTransform(opaque, distance, cv::DIST_L2, cv::DIST_MASK_PRECISE);
  const double choke_px = profile.underbase_choke_mm * px_per_mm * 2;
  const cv::Mat white = distance(cv::Rect(1, 1, alpha_2x.cols, alpha_2x.rows)) >= choke_px + 0.5;
  std::vector<CubicPath> paths = Trace(white, Boundaries::kAll);
  for (CubicPath& path : paths) {
    path = Mapped(path, [](const std::array<double, 2>& q) {
      return std::array<double, 2>{q[0] / 2, q[1] / 2};
    });
  }
  return paths;
}

}  // namespace

std::vector<std::array<double, 2>> Flatten(const CubicPath& path, double tolerance) {
  std::vector<std::array<double, 2>> points{path.start};
  std::array<double, 2> from = path.start;
  for (const auto& [c1, c2, to] : path.segments) {
    // a cubic strays from its chords by at most 3/4 of its control polygon's largest second
    // difference over pieces^2
    double bend = 0;
    for (int k = 0; k < 2; ++k) {
      bend = std::max(
          {bend, std::abs(from[k] - 2 * c1[k] + c2[k]), std::abs(c1[k] - 2 * c2[k] + to[k])});
    }
    const int pieces =
        std::clamp(static_cast<int>(std::ceil(std::sqrt(0.75 * bend / tolerance))), 1, 256);
    for (int i = 1; i <= pieces; ++i) {
      const double t = static_cast<double>(i) / pieces, u = 1 - t;
      std::array<double, 2> q{};
      for (int k = 0; k < 2; ++k) {
        q[k] =
            u * u * u * from[k] + 3 * u * u * t * c1[k] + 3 * u * t * t * c2[k] + t * t * t * to[k];
      }
      points.push_back(q);
    }
    from = to;
  }
  if (points.size() > 1) points.pop_back();  // the last end is the start
  return points;
}

tl::expected<PrintResult, Error> RenderDieCut(const PrintInputs& inputs,
                                              const PrintProfile& profile,
                                              const cv::Mat& given_image,
                                              const cv::Mat& given_alpha) {
  cv::Mat image = given_image;
  cv::Mat alpha = given_alpha;
  double opaque_min = 0;
  if (!alpha.empty()) cv::minMaxLoc(alpha, &opaque_min);
  const bool segmented = alpha.empty() || opaque_min == 255;  // no transparency to follow
  if (!segmented) {
    // the picture composed on the material; on clear acrylic the pixels the White goes under
    // keep their own colour
    ComposeOnWhite(image, alpha, profile.white_underbase ? profile.underbase_alpha : 256);
  } else {
    if (auto cut_out = CutOutBackground(image, alpha); !cut_out) {
      return tl::unexpected(cut_out.error());
    }
  }
  PrintResult out;
  auto placed = Place(inputs, profile, image, alpha, out);
  if (!placed) return tl::unexpected(placed.error());
  out.segmented = segmented;
  if (segmented) {
    out.warnings.push_back(
        {"segmented",
         {},
         "the picture has no transparency: the subject was found by segmentation against its "
         "plain background; check the cut line"});
  }
  const double px_per_mm = placed->px_per_mm;
  cv::Mat artwork(out.height_px, out.width_px, CV_8UC3, cv::Scalar::all(255));
  cv::Mat alpha_2x;
  const cv::Mat filled = FillHoles(DrawSubject(profile, image, alpha, *placed, artwork,
                                               profile.white_underbase ? &alpha_2x : nullptr, out));
  cv::Mat cut = CutShape(filled, profile, px_per_mm, out);
  Layers layers;
  layers.scale = placed->scale;
  RingHole hole;
  if (profile.ring_hole_mm > 0) {
    hole = AddRingTab(profile, px_per_mm, inputs.ring_offset_mm, filled, cut, artwork, out);
  }
  CubicPath outline = CutOutline(cut, profile, px_per_mm, out);
  if (outline.segments.empty()) {
    return tl::unexpected(Error{Errc::kUnreadable, "the cut line could not be traced"});
  }
  layers.cut_curves_px.push_back(std::move(outline));
  if (hole.radius_px > 0) {  // the ring hole as a true circle
    layers.cut_circles_px.push_back(
        cv::Vec3f(hole.centre.x, hole.centre.y, static_cast<float>(hole.radius_px)));
  }
  if (profile.white_underbase) {
    layers.white_curves_px = WhiteUnderbase(alpha_2x, profile, px_per_mm);
  }
  layers.cut_mask = cut.clone();
  if (hole.radius_px > 0) {
    cv::circle(layers.cut_mask, hole.centre, static_cast<int>(std::lround(hole.radius_px)),
               cv::Scalar(0), cv::FILLED);
  }
  auto finished = Finish(inputs, profile, artwork, layers, out);
  if (!finished) return tl::unexpected(finished.error());
  return out;
}

}  // namespace keepsake::imaging
