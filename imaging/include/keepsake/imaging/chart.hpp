// A small PNG chart for reports: one bar per day (e.g. orders) and a line over them on its own
// axis (e.g. turnaround hours), drawn with OpenCV. People look at it before they read the
// table beside it.
#pragma once

#include <string>
#include <vector>

namespace keepsake::imaging {

struct DailyChart {
  std::string title;
  std::vector<std::string> labels;  // one per day, e.g. "2026-11-01"
  std::vector<double> bars;         // left axis
  std::vector<double> line;         // right axis; a negative value is a gap
  std::string bar_name;
  std::string line_name;
};

// PNG bytes, `width` x `height` pixels. Text is ASCII (OpenCV's Hershey fonts).
std::string DailyChartPng(const DailyChart& chart, int width = 1000, int height = 420);

}  // namespace keepsake::imaging
