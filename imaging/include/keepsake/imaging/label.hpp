// Shipping labels as a PDF, one label per page (a batch is one file): the waybill number as a
// Code 128 in vector bars with its digits under it, a QR code for the order, the routing code
// large, sender and recipient blocks (the recipient's name and phone masked by the caller, as
// GB/T 41833-2022 asks of waybills, the address in full: it is what a courier delivers to;
// long lines broken to the label's width), contents and the order reference. Text is real PDF
// text in embedded TrueType fonts (DejaVu Sans for Latin, Droid Sans Fallback for Chinese, both
// from Debian, subset to the characters used), so the label can be searched and checked with
// pdftotext.
#pragma once

#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "keepsake/imaging/inspect.hpp"

namespace keepsake::imaging {

struct ShippingLabel {
  std::string carrier;     // printed at the top
  std::string waybill;     // the Code 128
  std::string route_code;  // the carrier's routing code (or the destination area), printed large
  std::vector<std::string> recipient;  // lines: masked name and phone, the full address
  std::vector<std::string> sender;     // lines
  std::string contents;                // e.g. "1 x fridge magnet"
  std::string reference;               // the order number
  std::string qr_text;                 // what the QR code carries (the order's reference)
  std::string parcel;                  // "1/2": this parcel of the order's, or empty
  std::string weight;                  // "0.32 kg", or empty
  // The carrier's own label as it drew it (a PDF, SF Express's cloud print), or empty.
  // LabelsPdf prints its pages as they are in this label's place; PNG and ZPL draw ours.
  std::string carrier_pdf{};
};

// "件数 Parcel 1/2   重量 Weight 0.32 kg" (the parts there are), or empty.
std::string ParcelLine(const ShippingLabel& label);

struct LabelFonts {
  std::string latin;  // a TrueType font with Latin (DejaVu Sans)
  std::string cjk;    // a TrueType font with Chinese (Droid Sans Fallback)
};

// 100 x 150 or 76 x 130 mm (one-ply e-waybill); a label with its carrier's own PDF is that
// PDF's pages, copied whole. Errors: kUnprintable (a waybill Code 128
// cannot carry, a character neither font has), kInternal (a font cannot be read).
tl::expected<std::string, Error> LabelsPdf(const std::vector<ShippingLabel>& labels,
                                           double width_mm, double height_mm,
                                           const LabelFonts& fonts);

// The same labels as PNG pictures, one per label, at 203 or 300 dpi (a thermal printer's head),
// grey on white with the dpi in the file; barcode modules are whole dots. Errors as LabelsPdf.
tl::expected<std::vector<std::string>, Error> LabelsPng(const std::vector<ShippingLabel>& labels,
                                                        double width_mm, double height_mm,
                                                        const LabelFonts& fonts, int dpi);

// The same labels as ZPL II for Zebra thermal printers at 203 dpi (8 dots per mm): one
// ^XA ... ^XZ format per label, the waybill as the printer's own Code 128 (^BC), the order as
// its QR code (^BQ), text as UTF-8 (^CI28) in the printer's scalable font; lines with Chinese
// name the printer font E:SIMSUN.TTF (Zebra's Asian font option), which the printer must have.
// Errors: kUnprintable (a waybill Code 128 cannot carry).
struct PdfPageSize {
  double width_mm = 0;
  double height_mm = 0;
};
// The pages of a label a carrier drew (a PDF), read with qpdf, as their sizes (a page turned
// by /Rotate as it prints). Errors: kUnreadable (not a PDF qpdf reads, no pages, over 20).
tl::expected<std::vector<PdfPageSize>, Error> CarrierPdfPages(const std::string& pdf);

// The pages of several PDFs, in order, as one (a carrier's label sent as several files).
// Errors: kUnreadable, kInternal.
tl::expected<std::string, Error> JoinPdfs(const std::vector<std::string>& pdfs);

tl::expected<std::string, Error> LabelsZpl(const std::vector<ShippingLabel>& labels,
                                           double width_mm, double height_mm);

}  // namespace keepsake::imaging
