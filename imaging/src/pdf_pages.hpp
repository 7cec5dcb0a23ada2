// Private: PDFs by qpdf: a document written out (the labels' and slips' canvases), and pages
// taken whole from PDFs and set in one file (a carrier's own label among the labels we draw,
// or a label a carrier sent as several files).
#pragma once

#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "keepsake/imaging/inspect.hpp"

class QPDF;

namespace keepsake::imaging {

// The document as a file: its title and producer in the Info, streams compressed, the ID
// derived from the content. Throws what qpdf throws.
std::string PdfBytes(QPDF& pdf, const std::string& title);

// One page of `pdf` (0-based), or every page when `page` is -1.
struct PdfPart {
  const std::string* pdf = nullptr;
  int page = -1;
};

// The parts' pages, in order, as one PDF whose pages are copied as they were (content,
// fonts and pictures untouched). Errors: kUnreadable (a part qpdf cannot read), kInternal.
tl::expected<std::string, Error> AssemblePdf(const std::vector<PdfPart>& parts,
                                             const std::string& title);

}  // namespace keepsake::imaging
