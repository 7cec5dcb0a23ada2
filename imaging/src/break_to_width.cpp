#include "break_to_width.hpp"

namespace keepsake::imaging {

namespace {

bool Continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

std::vector<std::string> BreakToWidth(std::string_view utf8, double width,
                                      const std::function<double(std::string_view)>& width_of) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < utf8.size()) {
    while (start < utf8.size() && utf8[start] == ' ') ++start;
    if (start == utf8.size()) break;
    // the character boundaries after `start`
    std::vector<size_t> ends;
    for (size_t at = start + 1; at <= utf8.size(); ++at) {
      if (at == utf8.size() || !Continuation(utf8[at])) ends.push_back(at);
    }
    // the longest piece that fits (widths grow with length), at least one character
    size_t lo = 0, hi = ends.size() - 1;
    while (lo < hi) {
      const size_t mid = (lo + hi + 1) / 2;
      if (width_of(utf8.substr(start, ends[mid] - start)) <= width) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    size_t end = ends[lo];
    // inside a word of Latin letters or digits: back to the last space, where there is one
    auto word = [](char c) { return c != ' ' && static_cast<unsigned char>(c) < 0x80; };
    if (end < utf8.size() && word(utf8[end]) && word(utf8[end - 1])) {
      const size_t space = utf8.rfind(' ', end - 1);
      if (space != std::string_view::npos && space > start) end = space;
    }
    std::string line(utf8.substr(start, end - start));
    while (!line.empty() && line.back() == ' ') line.pop_back();
    lines.push_back(std::move(line));
    start = end;
  }
  return lines;
}

double EstimatedWidth(std::string_view utf8, double height) {
  double width = 0;
  for (char c : utf8) {
    if (static_cast<unsigned char>(c) < 0x80) {
      width += 0.6 * height;
    } else if (!Continuation(c)) {
      width += height;
    }
  }
  return width;
}

}  // namespace keepsake::imaging
