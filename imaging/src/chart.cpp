#include "keepsake/imaging/chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "keepsake/codec/codec.hpp"

namespace keepsake::imaging {

namespace {

// A round axis maximum above `value`: 1, 2 or 5 times a power of ten.
double NiceMax(double value) {
  if (value <= 0) return 1;
  const double power = std::pow(10.0, std::floor(std::log10(value)));
  for (double step : {1.0, 2.0, 5.0, 10.0}) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

std::string Number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", v);  // 0.0025, 2.5, 250, 2.5e+03
  return text;
}

}  // namespace

std::string DailyChartPng(const DailyChart& chart, int width, int height) {
  const cv::Scalar ink(60, 60, 60), grid(225, 225, 225), bar(200, 140, 60), line(40, 120, 235);
  cv::Mat image(height, width, CV_8UC3, cv::Scalar::all(255));
  const int left = 60, right = width - 60, top = 50, bottom = height - 50;
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  cv::putText(image, chart.title, cv::Point(left, 30), font, 0.6, ink, 1, cv::LINE_AA);
  const size_t n = std::max<size_t>(1, chart.labels.size());
  double bar_max = 0, line_max = 0;
  for (double v : chart.bars) bar_max = std::max(bar_max, v);
  for (double v : chart.line) line_max = std::max(line_max, v);
  bar_max = NiceMax(bar_max);
  line_max = NiceMax(line_max);
  // grid and both axes' ticks
  for (int k = 0; k <= 4; ++k) {
    const int y = bottom - (bottom - top) * k / 4;
    cv::line(image, cv::Point(left, y), cv::Point(right, y), grid, 1);
    cv::putText(image, Number(bar_max * k / 4), cv::Point(8, y + 4), font, 0.4, bar, 1,
                cv::LINE_AA);
    cv::putText(image, Number(line_max * k / 4), cv::Point(right + 6, y + 4), font, 0.4, line, 1,
                cv::LINE_AA);
  }
  cv::line(image, cv::Point(left, bottom), cv::Point(right, bottom), ink, 1);
  const double slot = static_cast<double>(right - left) / static_cast<double>(n);
  for (size_t i = 0; i < chart.bars.size() && i < n; ++i) {
    const int x0 = left + static_cast<int>(slot * static_cast<double>(i) + slot * 0.15);
    const int x1 = left + static_cast<int>(slot * static_cast<double>(i + 1) - slot * 0.15);
    const int y = bottom - static_cast<int>((bottom - top) * chart.bars[i] / bar_max);
    if (chart.bars[i] > 0)
      cv::rectangle(image, cv::Point(x0, y), cv::Point(x1, bottom), bar, cv::FILLED);
  }
  std::vector<cv::Point> points;
  auto flush = [&] {
    if (points.size() > 1) cv::polylines(image, points, false, line, 2, cv::LINE_AA);
    points.clear();
  };
  for (size_t i = 0; i < chart.line.size() && i < n; ++i) {
    if (chart.line[i] < 0) {
      flush();
      continue;
    }
    const cv::Point p(left + static_cast<int>(slot * (static_cast<double>(i) + 0.5)),
                      bottom - static_cast<int>((bottom - top) * chart.line[i] / line_max));
    cv::circle(image, p, 3, line, cv::FILLED, cv::LINE_AA);
    points.push_back(p);
  }
  flush();
  // day labels: the day of the month, every few days so that they do not collide
  const size_t every =
      std::max<size_t>(1, static_cast<size_t>(std::ceil(28.0 * n / (right - left))));
  for (size_t i = 0; i < chart.labels.size(); i += every) {
    const std::string& label = chart.labels[i];
    const std::string day = label.size() >= 10 ? label.substr(8, 2) : label;
    cv::putText(
        image, day,
        cv::Point(left + static_cast<int>(slot * static_cast<double>(i) + slot * 0.2), bottom + 18),
        font, 0.4, ink, 1, cv::LINE_AA);
  }
  // legend
  cv::rectangle(image, cv::Point(left, height - 22), cv::Point(left + 14, height - 10), bar,
                cv::FILLED);
  cv::putText(image, chart.bar_name, cv::Point(left + 20, height - 10), font, 0.45, ink, 1,
              cv::LINE_AA);
  cv::line(image, cv::Point(left + 260, height - 16), cv::Point(left + 280, height - 16), line, 2);
  cv::putText(image, chart.line_name, cv::Point(left + 286, height - 10), font, 0.45, ink, 1,
              cv::LINE_AA);
  return codec::EncodePng(image.data, image.cols, image.rows, image.channels(), image.step);
}

}  // namespace keepsake::imaging
