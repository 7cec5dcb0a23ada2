#include "canvas.hpp"

#include <hb-subset.h>
#include <hb.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <opencv2/imgproc.hpp>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>

#include "pdf_pages.hpp"
#include "text_outline.hpp"

namespace keepsake::imaging {

namespace {

constexpr double kPtPerMm = 72.0 / 25.4;

std::string Num(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", v);
  return text;
}

std::string Hex4(unsigned v) {
  char text[8];
  std::snprintf(text, sizeof text, "%04X", v & 0xFFFF);
  return text;
}

}  // namespace

// --- fonts ---

tl::expected<std::unique_ptr<FontPair>, Error> FontPair::Open(const LabelFonts& fonts) {
  std::unique_ptr<FontPair> pair(new FontPair());
  if (FT_Init_FreeType(&pair->library_) != 0) {
    return tl::unexpected(Error{Errc::kInternal, "FreeType cannot start"});
  }
  const std::array<std::string, 2> paths = {fonts.latin, fonts.cjk};
  for (size_t k = 0; k < 2; ++k) {
    Loaded& f = pair->faces_[k];
    std::ifstream in(paths[k], std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    f.bytes = bytes.str();
    if (f.bytes.empty() ||
        FT_New_Memory_Face(pair->library_, reinterpret_cast<const FT_Byte*>(f.bytes.data()),
                           static_cast<FT_Long>(f.bytes.size()), 0, &f.face) != 0) {
      f.face = nullptr;
      return tl::unexpected(Error{Errc::kInternal, "the font cannot be read: " + paths[k]});
    }
    for (const char* c = f.face->family_name; c != nullptr && *c != '\0'; ++c) {
      if (*c != ' ') f.name += *c;
    }
  }
  return pair;
}

FontPair::~FontPair() {
  for (Loaded& f : faces_) {
    if (f.face != nullptr) FT_Done_Face(f.face);
  }
  if (library_ != nullptr) FT_Done_FreeType(library_);
}

std::pair<int, FT_UInt> FontPair::Find(char32_t c) const {
  for (int k = 0; k < 2; ++k) {
    const FT_UInt glyph = FT_Get_Char_Index(Face(k), c);
    if (glyph != 0) return {k, glyph};
  }
  return {-1, 0};
}

double FontPair::Advance(int font, FT_UInt glyph) const {
  FT_Face face = Face(font);
  if (FT_Load_Glyph(face, glyph, FT_LOAD_NO_SCALE) != 0) return 0;
  return face->glyph->advance.x * 1000.0 / face->units_per_EM;
}

// --- text, shared by both backends: the layout is computed once, from the fonts' metrics ---

tl::expected<std::vector<PlacedGlyph>, Error> Canvas::Place(const std::string& utf8, double size_pt,
                                                            double* width_pt) const {
  std::u32string text;
  if (!DecodeUtf8(utf8, text)) {
    return tl::unexpected(Error{Errc::kUnprintable, "the text is not valid UTF-8"});
  }
  std::vector<PlacedGlyph> glyphs;
  double pen = 0;
  for (char32_t c : text) {
    const auto [font, glyph] = fonts_->Find(c);
    if (font < 0) {
      char code[16];
      std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(c));
      return tl::unexpected(
          Error{Errc::kUnprintable, std::string("no font here has the character ") + code});
    }
    glyphs.push_back({font, glyph, c, pen});
    pen += fonts_->Advance(font, glyph) * size_pt / 1000;
  }
  *width_pt = pen;
  return glyphs;
}

tl::expected<double, Error> Canvas::Text(const std::string& utf8, double x, double y,
                                         double size_pt) {
  double width_pt = 0;
  auto glyphs = Place(utf8, size_pt, &width_pt);
  if (!glyphs) return tl::unexpected(glyphs.error());
  DrawGlyphs(*glyphs, x, y, size_pt);
  return width_pt / kPtPerMm;
}

tl::expected<double, Error> Canvas::Measure(const std::string& utf8, double size_pt) const {
  double width_pt = 0;
  auto glyphs = Place(utf8, size_pt, &width_pt);
  if (!glyphs) return tl::unexpected(glyphs.error());
  return width_pt / kPtPerMm;
}

// --- PDF ---

void PdfCanvas::Box(double x, double y, double w, double h) {
  const double page_pt = height_mm_ * kPtPerMm;
  ops_ += Num(x * kPtPerMm) + " " + Num(page_pt - (y + h) * kPtPerMm) + " " + Num(w * kPtPerMm) +
          " " + Num(h * kPtPerMm) + " re f\n";
}

void PdfCanvas::Line(double x0, double y0, double x1, double y1, double width_pt) {
  const double page_pt = height_mm_ * kPtPerMm;
  ops_ += Num(width_pt) + " w " + Num(x0 * kPtPerMm) + " " + Num(page_pt - y0 * kPtPerMm) + " m " +
          Num(x1 * kPtPerMm) + " " + Num(page_pt - y1 * kPtPerMm) + " l S\n";
}

void PdfCanvas::Modules(const BarcodeModules& m, double x, double y, double w, double h) {
  const double mw = w / m.width, mh = h / m.height;
  for (int r = 0; r < m.height; ++r) {
    for (int c = 0; c < m.width;) {  // runs of dark modules as one rectangle
      if (!m.Dark(c, r)) {
        ++c;
        continue;
      }
      int run = 1;
      while (c + run < m.width && m.Dark(c + run, r)) ++run;
      Box(x + c * mw, y + r * mh, run * mw, mh);
      c += run;
    }
  }
}

void PdfCanvas::Picture(const cv::Mat& bgr, double x, double y, double w, double h) {
  if (bgr.empty()) return;
  const double scale = std::min(w / bgr.cols, h / bgr.rows);
  const double pw = bgr.cols * scale, ph = bgr.rows * scale;
  const cv::Mat pixels = bgr.isContinuous() ? bgr : bgr.clone();
  const std::string name = "Im" + std::to_string(pictures_.size());
  pictures_.push_back({codec::EncodeJpeg(pixels.data, pixels.cols, pixels.rows, pixels.step, 85),
                       bgr.cols, bgr.rows});
  const double page_pt = height_mm_ * kPtPerMm;
  ops_ += "q " + Num(pw * kPtPerMm) + " 0 0 " + Num(ph * kPtPerMm) + " " +
          Num((x + (w - pw) / 2) * kPtPerMm) + " " + Num(page_pt - (y + (h + ph) / 2) * kPtPerMm) +
          " cm /" + name + " Do Q\n";
}

void PdfCanvas::DrawGlyphs(const std::vector<PlacedGlyph>& glyphs, double x, double y,
                           double size_pt) {
  const double page_pt = height_mm_ * kPtPerMm;
  for (size_t start = 0; start < glyphs.size();) {  // one Tj per run of the same font
    size_t end = start;
    std::string run;
    while (end < glyphs.size() && glyphs[end].font == glyphs[start].font) {
      run += Hex4(glyphs[end].glyph);
      used_[static_cast<size_t>(glyphs[end].font)].emplace(glyphs[end].glyph, glyphs[end].c);
      ++end;
    }
    ops_ += "BT /F" + std::to_string(glyphs[start].font) + " " + Num(size_pt) + " Tf " +
            Num(x * kPtPerMm + glyphs[start].x_pt) + " " + Num(page_pt - y * kPtPerMm) + " Td <" +
            run + "> Tj ET\n";
    start = end;
  }
}

namespace {

// The font program cut down to the glyphs used, glyph ids unchanged (RETAIN_GIDS), so that the
// content streams' Identity-H codes still name the right glyphs.
std::string SubsetFont(const std::string& bytes, const std::map<FT_UInt, char32_t>& used) {
  hb_blob_t* blob = hb_blob_create(bytes.data(), static_cast<unsigned>(bytes.size()),
                                   HB_MEMORY_MODE_READONLY, nullptr, nullptr);
  hb_face_t* face = hb_face_create(blob, 0);
  hb_blob_destroy(blob);
  hb_subset_input_t* input = hb_subset_input_create_or_fail();
  std::string out;
  if (input != nullptr) {
    hb_set_t* glyphs = hb_subset_input_glyph_set(input);
    hb_set_add(glyphs, 0);  // .notdef
    for (const auto& [glyph, c] : used) hb_set_add(glyphs, glyph);
    hb_subset_input_set_flags(input, HB_SUBSET_FLAGS_RETAIN_GIDS);
    if (hb_face_t* subset = hb_subset_or_fail(face, input); subset != nullptr) {
      hb_blob_t* result = hb_face_reference_blob(subset);
      unsigned length = 0;
      const char* data = hb_blob_get_data(result, &length);
      out.assign(data, length);
      hb_blob_destroy(result);
      hb_face_destroy(subset);
    }
    hb_subset_input_destroy(input);
  }
  hb_face_destroy(face);
  return out;
}

// A subset font's name starts with six capital letters and '+' (PDF 32000, 9.6.4), here taken
// from the glyph set so that the same glyphs give the same name.
std::string SubsetTag(const std::map<FT_UInt, char32_t>& used) {
  uint32_t hash = 2166136261u;
  for (const auto& [glyph, c] : used) hash = (hash ^ glyph) * 16777619u;
  std::string tag;
  for (int k = 0; k < 6; ++k, hash /= 26) tag += static_cast<char>('A' + hash % 26);
  return tag + "+";
}

QPDFObjectHandle MakeFont(QPDF& pdf, const FontPair& fonts, int index,
                          const std::map<FT_UInt, char32_t>& used) {
  FT_Face face = fonts.Face(index);
  const double scale = 1000.0 / face->units_per_EM;
  const std::string program = SubsetFont(fonts.Bytes(index), used);
  if (program.empty())
    throw std::runtime_error("the font subsetter failed on " + fonts.Name(index));
  const std::string name = SubsetTag(used) + fonts.Name(index);
  QPDFObjectHandle file = QPDFObjectHandle::newStream(&pdf, program);
  file.getDict().replaceKey("/Length1",
                            QPDFObjectHandle::newInteger(static_cast<long long>(program.size())));
  QPDFObjectHandle descriptor = QPDFObjectHandle::parse(
      "<< /Type /FontDescriptor /FontName /" + name + " /Flags 32 /FontBBox [" +
      Num(face->bbox.xMin * scale) + " " + Num(face->bbox.yMin * scale) + " " +
      Num(face->bbox.xMax * scale) + " " + Num(face->bbox.yMax * scale) +
      "] /ItalicAngle 0 /Ascent " + Num(face->ascender * scale) + " /Descent " +
      Num(face->descender * scale) + " /CapHeight " + Num(face->ascender * scale) +
      " /StemV 80 >>");
  descriptor.replaceKey("/FontFile2", file);
  std::string widths = "[";
  for (const auto& [glyph, c] : used) {
    widths += std::to_string(glyph) + " [" + Num(fonts.Advance(index, glyph)) + "] ";
  }
  widths += "]";
  QPDFObjectHandle cid = QPDFObjectHandle::parse(
      "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /" + name +
      " /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
      "/CIDToGIDMap /Identity /DW 1000 /W " +
      widths + " >>");
  cid.replaceKey("/FontDescriptor", pdf.makeIndirectObject(descriptor));
  // glyph -> Unicode, so that text can be copied and searched (pdftotext)
  std::string cmap =
      "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << "
      "/Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS "
      "def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n";
  const std::vector<std::pair<FT_UInt, char32_t>> pairs(used.begin(), used.end());
  for (size_t start = 0; start < pairs.size(); start += 100) {
    const size_t end = std::min(pairs.size(), start + 100);
    cmap += std::to_string(end - start) + " beginbfchar\n";
    for (size_t k = start; k < end; ++k) {
      const char32_t c = pairs[k].second;
      std::string unicode;
      if (c > 0xFFFF) {  // UTF-16 surrogate pair
        const char32_t v = c - 0x10000;
        unicode = Hex4(0xD800 + (v >> 10)) + Hex4(0xDC00 + (v & 0x3FF));
      } else {
        unicode = Hex4(c);
      }
      cmap += "<" + Hex4(pairs[k].first) + "> <" + unicode + ">\n";
    }
    cmap += "endbfchar\n";
  }
  cmap += "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n";
  QPDFObjectHandle font = QPDFObjectHandle::parse("<< /Type /Font /Subtype /Type0 /BaseFont /" +
                                                  name + " /Encoding /Identity-H >>");
  font.replaceKey("/DescendantFonts", QPDFObjectHandle::newArray({pdf.makeIndirectObject(cid)}));
  font.replaceKey("/ToUnicode", QPDFObjectHandle::newStream(&pdf, cmap));
  return pdf.makeIndirectObject(font);
}

}  // namespace

tl::expected<std::string, Error> WriteCanvasPdf(const FontPair& fonts,
                                                const std::vector<PdfCanvas>& pages,
                                                double width_mm, double height_mm,
                                                const std::string& title) {
  try {
    QPDF pdf;
    pdf.emptyPDF();
    std::array<std::map<FT_UInt, char32_t>, 2> used;
    for (const PdfCanvas& page : pages) {
      for (size_t k = 0; k < 2; ++k) used[k].insert(page.Used()[k].begin(), page.Used()[k].end());
    }
    QPDFObjectHandle font_dict = QPDFObjectHandle::newDictionary();
    for (int k = 0; k < 2; ++k) {
      if (!used[static_cast<size_t>(k)].empty()) {
        font_dict.replaceKey("/F" + std::to_string(k),
                             MakeFont(pdf, fonts, k, used[static_cast<size_t>(k)]));
      }
    }
    font_dict = pdf.makeIndirectObject(font_dict);
    const double w = width_mm * kPtPerMm, h = height_mm * kPtPerMm;
    for (const PdfCanvas& canvas : pages) {
      QPDFObjectHandle resources = QPDFObjectHandle::newDictionary();
      resources.replaceKey("/Font", font_dict);
      if (!canvas.Pictures().empty()) {
        QPDFObjectHandle images = QPDFObjectHandle::newDictionary();
        for (size_t k = 0; k < canvas.Pictures().size(); ++k) {
          const PdfCanvas::Jpeg& jpeg = canvas.Pictures()[k];
          QPDFObjectHandle image = QPDFObjectHandle::newStream(&pdf);
          image.replaceStreamData(jpeg.bytes, QPDFObjectHandle::newName("/DCTDecode"),
                                  QPDFObjectHandle::newNull());
          QPDFObjectHandle dict = image.getDict();
          dict.replaceKey("/Type", QPDFObjectHandle::newName("/XObject"));
          dict.replaceKey("/Subtype", QPDFObjectHandle::newName("/Image"));
          dict.replaceKey("/Width", QPDFObjectHandle::newInteger(jpeg.width));
          dict.replaceKey("/Height", QPDFObjectHandle::newInteger(jpeg.height));
          dict.replaceKey("/ColorSpace", QPDFObjectHandle::newName("/DeviceRGB"));
          dict.replaceKey("/BitsPerComponent", QPDFObjectHandle::newInteger(8));
          images.replaceKey("/Im" + std::to_string(k), image);
        }
        resources.replaceKey("/XObject", images);
      }
      QPDFObjectHandle page = QPDFObjectHandle::parse("<< /Type /Page /MediaBox [0 0 " + Num(w) +
                                                      " " + Num(h) + "] >>");
      page.replaceKey("/Resources", resources);
      page.replaceKey("/Contents", QPDFObjectHandle::newStream(&pdf, "0 g 0 G\n" + canvas.Ops()));
      QPDFPageDocumentHelper(pdf).addPage(pdf.makeIndirectObject(page), false);
    }
    return PdfBytes(pdf, title);
  } catch (const std::exception& e) {
    return tl::unexpected(
        Error{Errc::kInternal, std::string("the PDF cannot be written: ") + e.what()});
  }
}

// --- raster ---

RasterCanvas::RasterCanvas(const FontPair& fonts, double width_mm, double height_mm, int dpi)
    : Canvas(fonts), dpi_(dpi) {
  page_ = cv::Mat(Px(height_mm), Px(width_mm), CV_8UC1, cv::Scalar(255));
}

int RasterCanvas::Px(double mm) const { return static_cast<int>(std::lround(mm * dpi_ / 25.4)); }

void RasterCanvas::Box(double x, double y, double w, double h) {
  const int x0 = Px(x), y0 = Px(y), x1 = std::max(x0 + 1, Px(x + w)),
            y1 = std::max(y0 + 1, Px(y + h));
  const cv::Rect r = cv::Rect(x0, y0, x1 - x0, y1 - y0) & cv::Rect(0, 0, page_.cols, page_.rows);
  page_(r).setTo(0);
}

void RasterCanvas::Line(double x0, double y0, double x1, double y1, double width_pt) {
  const int thickness = std::max(1, static_cast<int>(std::lround(width_pt / 72 * dpi_)));
  cv::line(page_, {Px(x0), Px(y0)}, {Px(x1), Px(y1)}, cv::Scalar(0), thickness, cv::LINE_8);
}

void RasterCanvas::Modules(const BarcodeModules& m, double x, double y, double w, double h) {
  // whole dots per module, as a thermal printer's head has them; the code centred in the box
  const int box_w = Px(x + w) - Px(x), box_h = Px(y + h) - Px(y);
  const int mw = std::max(1, box_w / m.width);
  const int mh = m.height == 1 ? box_h : std::max(1, box_h / m.height);
  const int ox = Px(x) + (box_w - mw * m.width) / 2;
  const int oy = Px(y) + (m.height == 1 ? 0 : (box_h - mh * m.height) / 2);
  const cv::Rect page(0, 0, page_.cols, page_.rows);
  for (int r = 0; r < m.height; ++r) {
    for (int c = 0; c < m.width; ++c) {
      if (m.Dark(c, r)) page_(cv::Rect(ox + c * mw, oy + r * mh, mw, mh) & page).setTo(0);
    }
  }
}

void RasterCanvas::Picture(const cv::Mat& bgr, double x, double y, double w, double h) {
  if (bgr.empty()) return;
  const double fit = std::min((Px(x + w) - Px(x)) / static_cast<double>(bgr.cols),
                              (Px(y + h) - Px(y)) / static_cast<double>(bgr.rows));
  cv::Mat grey, sized;
  cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
  const cv::Size size(std::max(1, static_cast<int>(bgr.cols * fit)),
                      std::max(1, static_cast<int>(bgr.rows * fit)));
  cv::resize(grey, sized, size, 0, 0, cv::INTER_AREA);
  const int ox = Px(x) + (Px(x + w) - Px(x) - size.width) / 2;
  const int oy = Px(y) + (Px(y + h) - Px(y) - size.height) / 2;
  const cv::Rect target =
      cv::Rect(ox, oy, size.width, size.height) & cv::Rect(0, 0, page_.cols, page_.rows);
  sized(cv::Rect(target.x - ox, target.y - oy, target.width, target.height)).copyTo(page_(target));
}

void RasterCanvas::DrawGlyphs(const std::vector<PlacedGlyph>& glyphs, double x, double y,
                              double size_pt) {
  const double origin_px = x * dpi_ / 25.4;
  const int baseline = Px(y);
  for (const PlacedGlyph& g : glyphs) {
    FT_Face face = Fonts().Face(g.font);
    if (FT_Set_Char_Size(face, 0, static_cast<FT_F26Dot6>(std::lround(size_pt * 64)),
                         static_cast<FT_UInt>(dpi_), static_cast<FT_UInt>(dpi_)) != 0 ||
        FT_Load_Glyph(face, g.glyph, FT_LOAD_RENDER) != 0) {
      continue;
    }
    const FT_Bitmap& bitmap = face->glyph->bitmap;
    const int left =
        static_cast<int>(std::lround(origin_px + g.x_pt / 72 * dpi_)) + face->glyph->bitmap_left;
    const int top = baseline - face->glyph->bitmap_top;
    for (unsigned r = 0; r < bitmap.rows; ++r) {
      const int py = top + static_cast<int>(r);
      if (py < 0 || py >= page_.rows) continue;
      for (unsigned c = 0; c < bitmap.width; ++c) {
        const int px = left + static_cast<int>(c);
        if (px < 0 || px >= page_.cols) continue;
        const uint8_t coverage = bitmap.buffer[r * static_cast<unsigned>(bitmap.pitch) + c];
        uint8_t& dot = page_.at<uint8_t>(py, px);
        dot = std::min<uint8_t>(dot, static_cast<uint8_t>(255 - coverage));
      }
    }
  }
}

std::string RasterCanvas::Png() const { return PngWithDpi(page_, dpi_); }

}  // namespace keepsake::imaging
