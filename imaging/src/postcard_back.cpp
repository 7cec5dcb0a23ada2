// A postcard's address side: its marks laid out from the product's data (assets/
// print_profiles.json), drawn as vector PDF operators and as a preview.
#include "postcard_back.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "print_steps.hpp"

namespace keepsake::imaging {

namespace {

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

}  // namespace

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

}  // namespace keepsake::imaging
