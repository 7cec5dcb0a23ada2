// Private: a page drawn once, in mm from its top left, by one of two backends: PDF (vector
// shapes and real text in embedded, subset TrueType fonts, written by qpdf) or raster (a grey
// image at a printer's dpi, for PNG). Shipping labels and packing slips are drawn through it,
// so that a label's PNG and its PDF cannot drift apart.
#pragma once

#include <ft2build.h>
#include FT_FREETYPE_H

#include <array>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

#include <tl/expected.hpp>
#include "keepsake/codec/codec.hpp"

#include "keepsake/imaging/barcode.hpp"
#include "keepsake/imaging/label.hpp"

namespace keepsake::imaging {

// Two TrueType fonts, Latin first and CJK second; each character is set in the first that has
// it. Font 0 and 1 below are these two.
class FontPair {
 public:
  // Errors: kInternal (a font cannot be read).
  static tl::expected<std::unique_ptr<FontPair>, Error> Open(const LabelFonts& fonts);
  ~FontPair();
  FontPair(const FontPair&) = delete;
  FontPair& operator=(const FontPair&) = delete;

  // The font and glyph for c; font -1 when neither has it.
  std::pair<int, FT_UInt> Find(char32_t c) const;
  double Advance(int font, FT_UInt glyph) const;  // in thousandths of the size
  FT_Face Face(int font) const { return faces_[static_cast<size_t>(font)].face; }
  const std::string& Bytes(int font) const { return faces_[static_cast<size_t>(font)].bytes; }
  const std::string& Name(int font) const { return faces_[static_cast<size_t>(font)].name; }

 private:
  FontPair() = default;
  struct Loaded {
    std::string bytes;  // must outlive the face
    FT_Face face = nullptr;
    std::string name;
  };
  FT_Library library_ = nullptr;
  std::array<Loaded, 2> faces_;
};

// One glyph placed on a line: its font, its glyph id, the character (for ToUnicode) and its
// pen position from the start of the text, in points.
struct PlacedGlyph {
  int font = 0;
  FT_UInt glyph = 0;
  char32_t c = 0;
  double x_pt = 0;
};

class Canvas {
 public:
  explicit Canvas(const FontPair& fonts) : fonts_(&fonts) {}
  virtual ~Canvas() = default;

  virtual void Box(double x, double y, double w, double h) = 0;  // filled black
  virtual void Line(double x0, double y0, double x1, double y1, double width_pt) = 0;
  // A barcode's modules filling the box (the raster backend snaps modules to whole dots and
  // centres the code in the box, so that bars keep their ratios).
  virtual void Modules(const BarcodeModules& modules, double x, double y, double w, double h) = 0;
  // A picture (8-bit BGR) fitted into the box, its proportions kept, centred.
  virtual void Picture(const cv::Mat& bgr, double x, double y, double w, double h) = 0;

  // Text with its baseline at y. Returns its width in mm. Errors (kUnprintable): not UTF-8, a
  // character neither font has.
  tl::expected<double, Error> Text(const std::string& utf8, double x, double y, double size_pt);
  tl::expected<double, Error> Measure(const std::string& utf8, double size_pt) const;

 protected:
  virtual void DrawGlyphs(const std::vector<PlacedGlyph>& glyphs, double x, double y,
                          double size_pt) = 0;
  const FontPair& Fonts() const { return *fonts_; }

 private:
  tl::expected<std::vector<PlacedGlyph>, Error> Place(const std::string& utf8, double size_pt,
                                                      double* width_pt) const;
  const FontPair* fonts_;
};

// A PDF page's content stream and what it uses (glyphs, pictures).
class PdfCanvas final : public Canvas {
 public:
  PdfCanvas(const FontPair& fonts, double height_mm) : Canvas(fonts), height_mm_(height_mm) {}
  void Box(double x, double y, double w, double h) override;
  void Line(double x0, double y0, double x1, double y1, double width_pt) override;
  void Modules(const BarcodeModules& modules, double x, double y, double w, double h) override;
  void Picture(const cv::Mat& bgr, double x, double y, double w, double h) override;

  struct Jpeg {
    std::string bytes;
    int width = 0, height = 0;
  };
  const std::string& Ops() const { return ops_; }
  const std::vector<Jpeg>& Pictures() const { return pictures_; }
  const std::array<std::map<FT_UInt, char32_t>, 2>& Used() const { return used_; }

 protected:
  void DrawGlyphs(const std::vector<PlacedGlyph>& glyphs, double x, double y,
                  double size_pt) override;

 private:
  double height_mm_;
  std::string ops_;
  std::vector<Jpeg> pictures_;
  std::array<std::map<FT_UInt, char32_t>, 2> used_;
};

// The pages (all drawn with the same fonts) as one PDF: the fonts embedded once, subset to the
// glyphs the pages use (HarfBuzz), as CIDFontType2 with Identity-H and a ToUnicode map, so that
// text extraction works. Errors: kInternal (qpdf or the subsetter failed).
tl::expected<std::string, Error> WriteCanvasPdf(const FontPair& fonts,
                                                const std::vector<PdfCanvas>& pages,
                                                double width_mm, double height_mm,
                                                const std::string& title);

// A grey page at `dpi`: white paper, black ink, text anti-aliased by FreeType.
class RasterCanvas final : public Canvas {
 public:
  RasterCanvas(const FontPair& fonts, double width_mm, double height_mm, int dpi);
  void Box(double x, double y, double w, double h) override;
  void Line(double x0, double y0, double x1, double y1, double width_pt) override;
  void Modules(const BarcodeModules& modules, double x, double y, double w, double h) override;
  void Picture(const cv::Mat& bgr, double x, double y, double w, double h) override;
  // The page as PNG, its dpi in the pHYs chunk.
  std::string Png() const;

 protected:
  void DrawGlyphs(const std::vector<PlacedGlyph>& glyphs, double x, double y,
                  double size_pt) override;

 private:
  int Px(double mm) const;
  int dpi_;
  cv::Mat page_;  // CV_8UC1, 255 is paper
};

// PNG bytes of an 8-bit grey, BGR or BGRA image, tagged sRGB, with a pHYs chunk saying its dpi.
inline std::string PngWithDpi(const cv::Mat& image, int dpi) {
  return codec::EncodePng(image.data, image.cols, image.rows, image.channels(), image.step, dpi);
}

}  // namespace keepsake::imaging
