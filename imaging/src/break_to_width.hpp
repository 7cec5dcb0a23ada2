// Breaking one line of text into lines no wider than a width, for a label's address: at a
// space where the line has one (Latin words stay whole), else between any two characters
// (Chinese is written without spaces).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace keepsake::imaging {

// `width_of` measures a piece of the text (a whole number of UTF-8 characters) in the unit of
// `width`. A single character wider than `width` gets a line of its own. Spaces at the start
// of a line are dropped.
std::vector<std::string> BreakToWidth(std::string_view utf8, double width,
                                      const std::function<double(std::string_view)>& width_of);

// A width for printers that draw the text themselves (ZPL): a character outside ASCII as wide
// as the font is high, an ASCII one 0.6 of it.
double EstimatedWidth(std::string_view utf8, double height);

}  // namespace keepsake::imaging
