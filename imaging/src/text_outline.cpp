#include "text_outline.hpp"

#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_OUTLINE_H

#include <cstdio>
#include <memory>

namespace keepsake::imaging {

namespace {

constexpr double kMmPerPt = 25.4 / 72.0;
constexpr double kLineSpacing = 1.45;  // of the font size: room for CJK with Latin descenders

tl::unexpected<Error> Refuse(const std::string& why) {
  return tl::unexpected(Error{Errc::kUnprintable, why});
}

bool IsLatinWordChar(char32_t c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '\'' ||
         (c >= 0xC0 && c <= 0x24F);
}

std::string CodePoint(char32_t c) {
  char text[16];
  std::snprintf(text, sizeof text, "U+%04X", static_cast<unsigned>(c));
  return text;
}

struct FreeTypeLibrary {
  void operator()(FT_Library library) const { FT_Done_FreeType(library); }
};
struct FreeTypeFace {
  void operator()(FT_Face face) const { FT_Done_Face(face); }
};

// FreeType's outline walk, collecting ops scaled to mm and placed at the pen.
struct Walk {
  std::vector<OutlineOp>* ops;
  double scale;  // mm per font unit
  double pen_x, baseline_y;
  double last_x = 0, last_y = 0;  // in mm: the current point (a conic needs it)
  bool open = false;

  double X(const FT_Vector* v) const { return pen_x + v->x * scale; }
  double Y(const FT_Vector* v) const { return baseline_y - v->y * scale; }  // y down
};

int MoveTo(const FT_Vector* to, void* user) {
  auto* w = static_cast<Walk*>(user);
  if (w->open) w->ops->push_back({'h', {}});
  w->last_x = w->X(to);
  w->last_y = w->Y(to);
  w->ops->push_back({'m', {w->last_x, w->last_y}});
  w->open = true;
  return 0;
}

int LineTo(const FT_Vector* to, void* user) {
  auto* w = static_cast<Walk*>(user);
  w->last_x = w->X(to);
  w->last_y = w->Y(to);
  w->ops->push_back({'l', {w->last_x, w->last_y}});
  return 0;
}

int CubicTo(const FT_Vector* c1, const FT_Vector* c2, const FT_Vector* to, void* user) {
  auto* w = static_cast<Walk*>(user);
  w->ops->push_back({'c', {w->X(c1), w->Y(c1), w->X(c2), w->Y(c2), w->X(to), w->Y(to)}});
  w->last_x = w->X(to);
  w->last_y = w->Y(to);
  return 0;
}

// TrueType's quadratic curves, raised to the cubic PDF draws exactly
int ConicTo(const FT_Vector* control, const FT_Vector* to, void* user) {
  auto* w = static_cast<Walk*>(user);
  const double cx = w->X(control), cy = w->Y(control), tx = w->X(to), ty = w->Y(to);
  const double x1 = w->last_x + 2.0 / 3 * (cx - w->last_x),
               y1 = w->last_y + 2.0 / 3 * (cy - w->last_y);
  const double x2 = tx + 2.0 / 3 * (cx - tx), y2 = ty + 2.0 / 3 * (cy - ty);
  w->ops->push_back({'c', {x1, y1, x2, y2, tx, ty}});
  w->last_x = tx;
  w->last_y = ty;
  return 0;
}

// Line breaking on advances: CJK may break between any two characters, Latin at spaces.
// Refused for a character the font cannot print.
tl::expected<std::vector<std::u32string>, Error> BreakLines(FT_Face face,
                                                            const std::u32string& text,
                                                            double scale, double width_mm) {
  std::vector<std::u32string> lines(1);
  std::vector<double> widths(1, 0.0);
  for (char32_t c : text) {
    if (c == '\n') {
      lines.emplace_back();
      widths.push_back(0);
      continue;
    }
    const FT_UInt glyph = FT_Get_Char_Index(face, c);
    if (glyph == 0 && c != ' ') {
      return Refuse("the greeting has a character the postcard's font cannot print: " +
                    CodePoint(c));
    }
    if (FT_Load_Glyph(face, glyph, FT_LOAD_NO_SCALE | FT_LOAD_NO_BITMAP) != 0) {
      return Refuse("the postcard's font cannot draw " + CodePoint(c));
    }
    const double advance = face->glyph->advance.x * scale;
    if (widths.back() + advance > width_mm && !lines.back().empty()) {
      std::u32string carried;
      if (IsLatinWordChar(c)) {  // move the word begun on this line to the next one
        const size_t space = lines.back().find_last_of(U' ');
        if (space != std::u32string::npos) {
          carried = lines.back().substr(space + 1);
          lines.back().erase(space);
        }
      }
      lines.push_back(carried);
      widths.push_back(0);
      if (c == ' ' && carried.empty()) continue;  // no space at a line's start
      for (char32_t k : carried) {
        FT_Load_Glyph(face, FT_Get_Char_Index(face, k), FT_LOAD_NO_SCALE);
        widths.back() += face->glyph->advance.x * scale;
      }
      // the line before lost the word: its width is measured again when drawn
    }
    lines.back().push_back(c);
    widths.back() += advance;
  }
  return lines;
}

// The lines' glyph outlines as path operators, `line_mm` apart, kerned.
void DrawLines(FT_Face face, const std::vector<std::u32string>& lines, double scale, double line_mm,
               std::vector<OutlineOp>& ops) {
  const double ascent = face->ascender * scale;
  FT_Outline_Funcs funcs{};
  funcs.move_to = MoveTo;
  funcs.line_to = LineTo;
  funcs.conic_to = ConicTo;
  funcs.cubic_to = CubicTo;
  for (size_t i = 0; i < lines.size(); ++i) {
    Walk walk{&ops, scale, 0.0, ascent + static_cast<double>(i) * line_mm};
    FT_UInt previous = 0;
    for (char32_t c : lines[i]) {
      const FT_UInt glyph = FT_Get_Char_Index(face, c);
      if (previous != 0 && FT_HAS_KERNING(face)) {
        FT_Vector kern{};
        FT_Get_Kerning(face, previous, glyph, FT_KERNING_UNSCALED, &kern);
        walk.pen_x += kern.x * scale;
      }
      FT_Load_Glyph(face, glyph, FT_LOAD_NO_SCALE | FT_LOAD_NO_BITMAP);
      if (face->glyph->format == FT_GLYPH_FORMAT_OUTLINE) {
        walk.open = false;
        FT_Outline_Decompose(&face->glyph->outline, &funcs, &walk);
        if (walk.open) ops.push_back({'h', {}});
      }
      walk.pen_x += face->glyph->advance.x * scale;
      previous = glyph;
    }
  }
}

}  // namespace

bool DecodeUtf8(const std::string& text, std::u32string& out) {
  for (size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    int extra = 0;
    char32_t cp = 0;
    if (b < 0x80) {
      cp = b;
    } else if ((b & 0xE0) == 0xC0) {
      extra = 1;
      cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      extra = 2;
      cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      extra = 3;
      cp = b & 0x07;
    } else {
      return false;
    }
    if (i + static_cast<size_t>(extra) >= text.size()) return false;  // cut off mid-character
    for (int k = 1; k <= extra; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr char32_t kMinimum[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMinimum[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    out.push_back(cp);
    i += static_cast<size_t>(extra) + 1;
  }
  return true;
}

tl::expected<TextOutline, Error> OutlineText(const std::string& utf8, const std::string& font_path,
                                             double size_pt, double width_mm, double height_mm) {
  std::u32string text;
  if (!DecodeUtf8(utf8, text)) return Refuse("the greeting is not valid UTF-8 text");
  for (char32_t c : text) {
    if ((c < 0x20 && c != '\n') || c == 0x7F || (c >= 0x80 && c < 0xA0)) {
      return Refuse("the greeting has a control character (" + CodePoint(c) +
                    "); only text and line breaks can be printed");
    }
  }
  FT_Library raw_library = nullptr;
  if (FT_Init_FreeType(&raw_library) != 0) {
    return tl::unexpected(Error{Errc::kInternal, "FreeType cannot start"});
  }
  std::unique_ptr<FT_LibraryRec_, FreeTypeLibrary> library(raw_library);
  FT_Face raw_face = nullptr;
  if (FT_New_Face(library.get(), font_path.c_str(), 0, &raw_face) != 0) {
    return tl::unexpected(Error{Errc::kInternal, "the greeting font cannot be read: " + font_path});
  }
  std::unique_ptr<FT_FaceRec_, FreeTypeFace> face(raw_face);
  const double scale = size_pt * kMmPerPt / face->units_per_EM;  // mm per font unit

  auto broken = BreakLines(face.get(), text, scale, width_mm);
  if (!broken) return tl::unexpected(broken.error());
  std::vector<std::u32string>& lines = *broken;
  while (lines.size() > 1 && lines.back().empty()) lines.pop_back();

  const double line_mm = size_pt * kMmPerPt * kLineSpacing;
  const int room = static_cast<int>(height_mm / line_mm);
  if (static_cast<int>(lines.size()) > room) {
    return Refuse("the greeting needs " + std::to_string(lines.size()) +
                  " lines; the card has room for " + std::to_string(room) + " at " +
                  std::to_string(static_cast<int>(size_pt)) + " pt: shorten it");
  }

  TextOutline out;
  out.lines = static_cast<int>(lines.size());
  DrawLines(face.get(), lines, scale, line_mm, out.ops);
  return out;
}

std::vector<std::vector<std::array<double, 2>>> FlattenOutline(const std::vector<OutlineOp>& ops) {
  std::vector<std::vector<std::array<double, 2>>> polygons;
  for (const OutlineOp& op : ops) {
    if (op.op == 'm') {
      polygons.push_back({{op.v[0], op.v[1]}});
    } else if (op.op == 'l' && !polygons.empty()) {
      polygons.back().push_back({op.v[0], op.v[1]});
    } else if (op.op == 'c' && !polygons.empty() && !polygons.back().empty()) {
      const auto p0 = polygons.back().back();
      for (int k = 1; k <= 8; ++k) {
        const double t = k / 8.0, s = 1 - t;
        const double a = s * s * s, b = 3 * s * s * t, c = 3 * s * t * t, d = t * t * t;
        polygons.back().push_back({a * p0[0] + b * op.v[0] + c * op.v[2] + d * op.v[4],
                                   a * p0[1] + b * op.v[1] + c * op.v[3] + d * op.v[5]});
      }
    }
  }
  return polygons;
}

}  // namespace keepsake::imaging
