// Shipping labels through qpdf: each page draws its bars and modules as filled rectangles and
// its text with two embedded TrueType fonts (whole, shared by every page of the batch), as
// CIDFontType2 with Identity-H encoding and a ToUnicode map, so that text extraction works.
#include <ft2build.h>
#include FT_FREETYPE_H

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <tuple>

#include <qpdf/Buffer.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFWriter.hh>

#include "keepsake/imaging/barcode.hpp"
#include "keepsake/imaging/label.hpp"
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

// A TrueType font embedded whole (a label batch shares it), addressed by glyph id.
class EmbeddedFont {
 public:
  bool Open(FT_Library library, const std::string& path, const std::string& resource) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    data_ = bytes.str();
    resource_ = resource;
    if (data_.empty() || FT_New_Memory_Face(library, reinterpret_cast<const FT_Byte*>(data_.data()),
                                            static_cast<FT_Long>(data_.size()), 0, &face_) != 0) {
      return false;
    }
    for (const char* c = face_->family_name; c != nullptr && *c != '\0'; ++c) {
      if (*c != ' ') name_ += *c;
    }
    return true;
  }
  ~EmbeddedFont() {
    if (face_ != nullptr) FT_Done_Face(face_);
  }
  const std::string& Resource() const { return resource_; }
  FT_UInt Glyph(char32_t c) const { return face_ == nullptr ? 0 : FT_Get_Char_Index(face_, c); }
  // in thousandths of the font size
  double Advance(FT_UInt glyph) const {
    if (FT_Load_Glyph(face_, glyph, FT_LOAD_NO_SCALE) != 0) return 0;
    return face_->glyph->advance.x * 1000.0 / face_->units_per_EM;
  }
  void Use(FT_UInt glyph, char32_t c) { used_.emplace(glyph, c); }

  // The Type0 font with its descendant, descriptor, file and ToUnicode map.
  QPDFObjectHandle Make(QPDF& pdf) const {
    const double scale = 1000.0 / face_->units_per_EM;
    QPDFObjectHandle file = QPDFObjectHandle::newStream(&pdf, data_);
    file.getDict().replaceKey("/Length1",
                              QPDFObjectHandle::newInteger(static_cast<long long>(data_.size())));
    QPDFObjectHandle descriptor = QPDFObjectHandle::parse(
        "<< /Type /FontDescriptor /FontName /" + name_ + " /Flags 32 /FontBBox [" +
        Num(face_->bbox.xMin * scale) + " " + Num(face_->bbox.yMin * scale) + " " +
        Num(face_->bbox.xMax * scale) + " " + Num(face_->bbox.yMax * scale) +
        "] /ItalicAngle 0 /Ascent " + Num(face_->ascender * scale) + " /Descent " +
        Num(face_->descender * scale) + " /CapHeight " + Num(face_->ascender * scale) +
        " /StemV 80 >>");
    descriptor.replaceKey("/FontFile2", file);
    std::string widths = "[";
    for (const auto& [glyph, c] : used_) {
      widths += std::to_string(glyph) + " [" + Num(Advance(glyph)) + "] ";
    }
    widths += "]";
    QPDFObjectHandle cid = QPDFObjectHandle::parse(
        "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /" + name_ +
        " /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
        "/CIDToGIDMap /Identity /DW 1000 /W " +
        widths + " >>");
    cid.replaceKey("/FontDescriptor", pdf.makeIndirectObject(descriptor));
    // glyph -> Unicode, so that text can be copied and searched (pdftotext)
    std::string cmap =
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << "
        "/Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS "
        "def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n";
    std::vector<std::pair<FT_UInt, char32_t>> pairs(used_.begin(), used_.end());
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
                                                    name_ + " /Encoding /Identity-H >>");
    font.replaceKey("/DescendantFonts", QPDFObjectHandle::newArray({pdf.makeIndirectObject(cid)}));
    font.replaceKey("/ToUnicode", QPDFObjectHandle::newStream(&pdf, cmap));
    return pdf.makeIndirectObject(font);
  }

 private:
  std::string data_;  // must outlive the face
  FT_Face face_ = nullptr;
  std::string name_;
  std::string resource_;
  std::map<FT_UInt, char32_t> used_;
};

// One page's drawing, in mm from the label's top left.
class Page {
 public:
  Page(double height_mm, EmbeddedFont& latin, EmbeddedFont& cjk)
      : height_pt_(height_mm * kPtPerMm), latin_(latin), cjk_(cjk) {}

  void Box(double x, double y, double w, double h) {
    ops_ += Num(x * kPtPerMm) + " " + Num(height_pt_ - (y + h) * kPtPerMm) + " " +
            Num(w * kPtPerMm) + " " + Num(h * kPtPerMm) + " re f\n";
  }
  void Line(double x0, double y0, double x1, double y1, double width_pt) {
    ops_ += Num(width_pt) + " w " + Num(x0 * kPtPerMm) + " " + Num(height_pt_ - y0 * kPtPerMm) +
            " m " + Num(x1 * kPtPerMm) + " " + Num(height_pt_ - y1 * kPtPerMm) + " l S\n";
  }
  // Text with its baseline at y; each character in the first font that has it. Returns the
  // width in mm, or an error naming a character neither font has.
  tl::expected<double, Error> Text(const std::string& utf8, double x, double y, double size_pt,
                                   bool measure_only = false) {
    std::u32string text;
    if (!DecodeUtf8(utf8, text)) {
      return tl::unexpected(Error{Errc::kUnprintable, "label text is not valid UTF-8"});
    }
    double pen = 0;  // in pt
    std::string run;
    EmbeddedFont* font = nullptr;
    double run_start = 0;
    auto flush = [&] {
      if (run.empty() || measure_only) {
        run.clear();
        return;
      }
      ops_ += "BT /" + font->Resource() + " " + Num(size_pt) + " Tf " +
              Num(x * kPtPerMm + run_start) + " " + Num(height_pt_ - y * kPtPerMm) + " Td <" + run +
              "> Tj ET\n";
      run.clear();
    };
    for (char32_t c : text) {
      EmbeddedFont* has = latin_.Glyph(c) != 0 ? &latin_ : cjk_.Glyph(c) != 0 ? &cjk_ : nullptr;
      if (has == nullptr) {
        char code[16];
        std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(c));
        return tl::unexpected(
            Error{Errc::kUnprintable, std::string("no label font has the character ") + code});
      }
      if (has != font) {
        flush();
        font = has;
        run_start = pen;
      }
      const FT_UInt glyph = has->Glyph(c);
      has->Use(glyph, c);
      run += Hex4(glyph);
      pen += has->Advance(glyph) * size_pt / 1000;
    }
    flush();
    return pen / kPtPerMm;
  }
  const std::string& Ops() const { return ops_; }

 private:
  double height_pt_;
  EmbeddedFont& latin_;
  EmbeddedFont& cjk_;
  std::string ops_;
};

struct FreeTypeLibrary {
  void operator()(FT_Library library) const { FT_Done_FreeType(library); }
};

tl::expected<void, Error> DrawLabel(Page& page, const ShippingLabel& label, double w, double h) {
  const double sx = w / 100, sy = h / 150, s = std::min(sx, sy);  // laid out for 100 x 150
  auto text = [&](const std::string& t, double x, double y, double pt) {
    return page.Text(t, x * sx, y * sy, pt * s);
  };
  page.Line(2 * sx, 2 * sy, (100 - 2) * sx, 2 * sy, 0.8);
  page.Line(2 * sx, (150 - 2) * sy, (100 - 2) * sx, (150 - 2) * sy, 0.8);
  page.Line(2 * sx, 2 * sy, 2 * sx, (150 - 2) * sy, 0.8);
  page.Line((100 - 2) * sx, 2 * sy, (100 - 2) * sx, (150 - 2) * sy, 0.8);
  for (const auto& [t, x, y, pt] :
       {std::tuple<std::string, double, double, double>{label.carrier, 5, 10, 13},
        {label.route_code, 5, 23, 24}}) {
    if (auto done = text(t, x, y, pt); !done) return tl::unexpected(done.error());
  }
  page.Line(2 * sx, 27 * sy, 98 * sx, 27 * sy, 0.8);
  // the waybill: Code 128 bars across the label, its characters centred under them
  auto bars = Code128(label.waybill);
  if (!bars) return tl::unexpected(bars.error());
  const double left = 8 * sx, span = (100 - 16) * sx;
  const double module = span / bars->width;
  for (int x = 0; x < bars->width;) {
    if (!bars->Dark(x, 0)) {
      ++x;
      continue;
    }
    int run = 1;
    while (x + run < bars->width && bars->Dark(x + run, 0)) ++run;
    page.Box(left + x * module, 30 * sy, run * module, 20 * sy);
    x += run;
  }
  auto width = page.Text(label.waybill, 0, 0, 11 * s, true);
  if (!width) return tl::unexpected(width.error());
  if (auto done = page.Text(label.waybill, (w - *width) / 2, 55 * sy, 11 * s); !done) {
    return tl::unexpected(done.error());
  }
  page.Line(2 * sx, 58 * sy, 98 * sx, 58 * sy, 0.8);
  double y = 64;
  if (auto done = text("收件 To", 5, y, 8); !done) return tl::unexpected(done.error());
  for (const std::string& line : label.recipient) {
    y += 5.5;
    if (auto done = text(line, 5, y, 10); !done) return tl::unexpected(done.error());
  }
  y = std::max(y + 4, 92.0);
  page.Line(2 * sx, y * sy, 98 * sx, y * sy, 0.5);
  y += 6;
  if (auto done = text("寄件 From", 5, y, 8); !done) return tl::unexpected(done.error());
  for (const std::string& line : label.sender) {
    y += 4.5;
    if (auto done = text(line, 5, y, 8); !done) return tl::unexpected(done.error());
  }
  page.Line(2 * sx, 118 * sy, 98 * sx, 118 * sy, 0.5);
  for (const auto& [t, yy] :
       {std::pair<std::string, double>{"内容 Contents: " + label.contents, 125},
        {"订单 Order: " + label.reference, 131}}) {
    if (auto done = text(t, 5, yy, 8); !done) return tl::unexpected(done.error());
  }
  // the QR code at the bottom right, 24 mm (scaled)
  auto qr = QrCode(label.qr_text);
  if (!qr) return tl::unexpected(qr.error());
  const double side = 24 * s, qx = w - 4 * sx - side, qy = h - 4 * sy - side;
  const double cell = side / qr->width;
  for (int r = 0; r < qr->height; ++r) {
    for (int c = 0; c < qr->width; ++c) {
      if (qr->Dark(c, r)) page.Box(qx + c * cell, qy + r * cell, cell, cell);
    }
  }
  return {};
}

}  // namespace

tl::expected<std::string, Error> LabelsPdf(const std::vector<ShippingLabel>& labels,
                                           double width_mm, double height_mm,
                                           const LabelFonts& fonts) {
  if (labels.empty()) return tl::unexpected(Error{Errc::kUnprintable, "no labels to print"});
  FT_Library raw = nullptr;
  if (FT_Init_FreeType(&raw) != 0) {
    return tl::unexpected(Error{Errc::kInternal, "FreeType cannot start"});
  }
  std::unique_ptr<FT_LibraryRec_, FreeTypeLibrary> library(raw);
  EmbeddedFont latin, cjk;
  if (!latin.Open(library.get(), fonts.latin, "FL") || !cjk.Open(library.get(), fonts.cjk, "FC")) {
    return tl::unexpected(Error{
        Errc::kInternal, "the label fonts cannot be read: " + fonts.latin + ", " + fonts.cjk});
  }
  std::vector<std::string> pages;
  for (const ShippingLabel& label : labels) {
    Page page(height_mm, latin, cjk);
    if (auto drawn = DrawLabel(page, label, width_mm, height_mm); !drawn) {
      return tl::unexpected(
          Error{drawn.error().code, "label " + label.waybill + ": " + drawn.error().message});
    }
    pages.push_back(page.Ops());
  }
  try {
    QPDF pdf;
    pdf.emptyPDF();
    // the fonts once, after every page named its glyphs
    QPDFObjectHandle font_dict = QPDFObjectHandle::newDictionary();
    font_dict.replaceKey("/FL", latin.Make(pdf));
    font_dict.replaceKey("/FC", cjk.Make(pdf));
    QPDFObjectHandle resources = QPDFObjectHandle::newDictionary();
    resources.replaceKey("/Font", font_dict);
    resources = pdf.makeIndirectObject(resources);
    const double w = width_mm * kPtPerMm, h = height_mm * kPtPerMm;
    for (const std::string& ops : pages) {
      QPDFObjectHandle page = QPDFObjectHandle::parse("<< /Type /Page /MediaBox [0 0 " + Num(w) +
                                                      " " + Num(h) + "] >>");
      page.replaceKey("/Resources", resources);
      page.replaceKey("/Contents", QPDFObjectHandle::newStream(&pdf, "0 g 0 G\n" + ops));
      QPDFPageDocumentHelper(pdf).addPage(pdf.makeIndirectObject(page), false);
    }
    QPDFObjectHandle info = QPDFObjectHandle::newDictionary();
    info.replaceKey("/Title", QPDFObjectHandle::newUnicodeString("Keepsake shipping labels"));
    info.replaceKey("/Producer", QPDFObjectHandle::newUnicodeString("Keepsake (qpdf)"));
    pdf.getTrailer().replaceKey("/Info", pdf.makeIndirectObject(info));
    QPDFWriter writer(pdf);
    writer.setOutputMemory();
    writer.setCompressStreams(true);
    writer.setDecodeLevel(qpdf_dl_none);
    writer.setDeterministicID(true);
    writer.write();
    auto buffer = writer.getBufferSharedPointer();
    return std::string(reinterpret_cast<const char*>(buffer->getBuffer()), buffer->getSize());
  } catch (const std::exception& e) {
    return tl::unexpected(
        Error{Errc::kInternal, std::string("the label PDF cannot be written: ") + e.what()});
  }
}

}  // namespace keepsake::imaging
