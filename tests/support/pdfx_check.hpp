// A PDF/X-4 check of a file, as a print shop's intake would run one: the requirements of
// ISO 15930-7 that Keepsake's print files rely on, read back with qpdf's object model (and
// poppler's pdfinfo for the XMP), never with the code that wrote them. Debian has no PDF/X
// preflight; docs/print-specs.md lists what this covers and what it does not.
#pragma once

#include <string>
#include <vector>

namespace keepsake::testing {

struct PdfXReport {
  std::vector<std::string> problems;  // empty: every checked requirement holds
  std::string output_condition_identifier;
  std::string registry_name;
  std::string xmp;  // the catalog's metadata stream
};

PdfXReport CheckPdfX4(const std::string& path);

}  // namespace keepsake::testing
