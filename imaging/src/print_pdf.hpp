// Private: the print PDF, assembled with qpdf (object model, cross-reference table and stream
// compression are qpdf's; we only say what goes on the page).
#pragma once

#include <array>
#include <string>
#include <vector>

#include "keepsake/imaging/print.hpp"

namespace keepsake::imaging {

struct PdfPage {
  double width_pt = 0;  // MediaBox = BleedBox: trim plus bleed on every side
  double height_pt = 0;
  double bleed_pt = 0;     // TrimBox is inset by this much
  int image_width_px = 0;  // the artwork covering the page; none when cmyk_flate is empty
  int image_height_px = 0;
  // the CMYK artwork (8 bits a channel) as an image stream takes it: the rows "Up"-filtered
  // (PDF's PNG predictor 12) and deflated (PackCmyk)
  std::string cmyk_flate;
  // vector layers in points from the lower left, each path closed and each on its own named
  // layer (optional content): the cut (a stroke in the spot colour CutContour) and the White
  // underbase (a fill in the spot colour White, even-odd: its holes stay clear)
  std::vector<CubicPath> cut_curves;  // the traced outline: stroked as its Bezier curves
  std::vector<CubicPath> white_curves;
  std::vector<std::array<double, 3>> cut_circles;  // x, y, radius in points: stroked as curves
  std::string vector_ops;  // drawn over the artwork in DeviceCMYK (a postcard's back), points
};

struct PdfDocument {
  std::string icc_profile;  // the CMYK output profile: the output intent's DestOutputProfile
  std::string intent_name;  // its description (the intent's Info)
  std::string condition_identifier;  // registered (e.g. FOGRA39), else the description
  std::string registry;              // http://www.color.org for a registered condition
  std::string condition;             // the printing condition in words
  std::string title;
  std::string created_utc;  // 2026-12-05T13:00:00Z: CreationDate = ModDate, and in the XMP
  std::string print_mode;   // PrintResult::print_mode, in the Info as KeepsakePrintMode
  std::vector<PdfPage> pages;
};

// `cmyk` (4 bytes a pixel, `width` a row) as PdfPage::cmyk_flate: filtered, a third smaller
// and faster to deflate than the plain CMYK.
std::string PackCmyk(const std::string& cmyk, int width, int height);

// Returns the PDF bytes, PDF/X-4 (ISO 15930-7): version 1.6, XMP metadata with the PDF/X
// version, dates and document ids that match the Info dictionary, trapping stated, one GTS_PDFX
// output intent with the profile embedded, TrimBox and BleedBox on every page, CMYK and spot
// colours only. Throws std::exception (qpdf's) when qpdf cannot write.
std::string WritePrintPdf(const PdfDocument& document);

}  // namespace keepsake::imaging
