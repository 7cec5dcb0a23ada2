// Private: a short text (a postcard's greeting, Chinese or Latin) laid out in a box and turned
// into glyph outlines with FreeType. The PDF gets the outlines as filled vector paths: the
// print carries the letter shapes themselves, so the press needs no font (prepress practice:
// text converted to outlines), and the font's licence question is only the font's own.
#pragma once

#include <array>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "keepsake/imaging/inspect.hpp"

namespace keepsake::imaging {

// One path operation in mm from the box's top left (y down): 'm' move, 'l' line, 'c' cubic
// curve (three points), 'h' close.
struct OutlineOp {
  char op = 'm';
  std::array<double, 6> v{};
};

struct TextOutline {
  std::vector<OutlineOp> ops;  // every glyph; filled with the nonzero rule
  int lines = 0;
};

// Lays `utf8` out in a box `width_mm` wide and `height_mm` high at `size_pt`, breaking lines
// at the box's edge (between any two CJK characters, at spaces in Latin words) and at '\n'.
// Errors (kUnprintable, for the customer): not UTF-8, a control character, a character the
// font lacks, more lines than the box holds. kInternal: the font cannot be loaded.
tl::expected<TextOutline, Error> OutlineText(const std::string& utf8, const std::string& font_path,
                                             double size_pt, double width_mm, double height_mm);

// Strict UTF-8 to code points (no overlong forms, surrogates or values past U+10FFFF).
bool DecodeUtf8(const std::string& text, std::u32string& out);

// The outline as polygons (curves flattened), for drawing the preview.
std::vector<std::vector<std::array<double, 2>>> FlattenOutline(const std::vector<OutlineOp>& ops);

}  // namespace keepsake::imaging
