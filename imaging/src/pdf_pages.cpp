#include "pdf_pages.hpp"

#include <qpdf/Buffer.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFPageObjectHelper.hh>
#include <qpdf/QPDFWriter.hh>

#include <algorithm>
#include <map>
#include <memory>
#include <utility>

#include "keepsake/imaging/label.hpp"

namespace keepsake::imaging {

namespace {

constexpr double kMmPerPt = 25.4 / 72.0;
// More pages than any label a carrier draws; a file with more is not a label.
constexpr size_t kMaxLabelPages = 20;

// A PDF read from memory; qpdf keeps a pointer to the bytes, which outlive it here.
std::unique_ptr<QPDF> Read(const std::string& pdf, const std::string& name) {
  auto doc = std::make_unique<QPDF>();
  doc->setSuppressWarnings(true);
  doc->processMemoryFile(name.c_str(), pdf.data(), pdf.size());
  // a page that inherits its resources or box from the page tree carries them itself, so that
  // it can be copied alone
  doc->pushInheritedAttributesToPage();
  return doc;
}

}  // namespace

std::string PdfBytes(QPDF& pdf, const std::string& title) {
  QPDFObjectHandle info = QPDFObjectHandle::newDictionary();
  info.replaceKey("/Title", QPDFObjectHandle::newUnicodeString(title));
  info.replaceKey("/Producer", QPDFObjectHandle::newUnicodeString("Keepsake (qpdf)"));
  pdf.getTrailer().replaceKey("/Info", pdf.makeIndirectObject(info));
  QPDFWriter writer(pdf);
  writer.setOutputMemory();
  writer.setCompressStreams(true);
  writer.setDecodeLevel(qpdf_dl_none);
  writer.setDeterministicID(true);  // the same labels make the same file
  writer.write();
  auto buffer = writer.getBufferSharedPointer();
  return std::string(reinterpret_cast<const char*>(buffer->getBuffer()), buffer->getSize());
}

tl::expected<std::vector<PdfPageSize>, Error> CarrierPdfPages(const std::string& pdf) {
  if (pdf.compare(0, 5, "%PDF-") != 0) {
    return tl::unexpected(Error{Errc::kUnreadable, "the carrier's label is not a PDF"});
  }
  try {
    auto doc = Read(pdf, "carrier label");
    std::vector<PdfPageSize> sizes;
    for (QPDFPageObjectHelper& page : QPDFPageDocumentHelper(*doc).getAllPages()) {
      const QPDFObjectHandle::Rectangle box = page.getMediaBox().getArrayAsRectangle();
      double w = (box.urx - box.llx) * kMmPerPt, h = (box.ury - box.lly) * kMmPerPt;
      QPDFObjectHandle rotate = page.getAttribute("/Rotate", false);
      if (rotate.isInteger() && (rotate.getIntValue() % 180 + 180) % 180 == 90) std::swap(w, h);
      if (!(w > 1 && h > 1)) {
        return tl::unexpected(
            Error{Errc::kUnreadable, "the carrier's label has a page of no size"});
      }
      sizes.push_back({w, h});
    }
    if (sizes.empty() || sizes.size() > kMaxLabelPages) {
      return tl::unexpected(Error{Errc::kUnreadable, "the carrier's label has " +
                                                         std::to_string(sizes.size()) +
                                                         " pages (a label has 1 to 20)"});
    }
    return sizes;
  } catch (const std::exception& e) {
    return tl::unexpected(
        Error{Errc::kUnreadable, std::string("the carrier's label cannot be read: ") + e.what()});
  }
}

tl::expected<std::string, Error> JoinPdfs(const std::vector<std::string>& pdfs) {
  std::vector<PdfPart> parts;
  for (const std::string& pdf : pdfs) parts.push_back({&pdf, -1});
  return AssemblePdf(parts, "Carrier label");
}

tl::expected<std::string, Error> AssemblePdf(const std::vector<PdfPart>& parts,
                                             const std::string& title) {
  std::map<const std::string*, std::pair<std::unique_ptr<QPDF>, std::vector<QPDFPageObjectHelper>>>
      sources;
  try {
    QPDF out;
    out.emptyPDF();
    QPDFPageDocumentHelper pages(out);
    for (const PdfPart& part : parts) {
      auto found = sources.find(part.pdf);
      if (found == sources.end()) {
        try {
          auto doc = Read(*part.pdf, "label part");
          auto all = QPDFPageDocumentHelper(*doc).getAllPages();
          found = sources.emplace(part.pdf, std::make_pair(std::move(doc), std::move(all))).first;
        } catch (const std::exception& e) {
          return tl::unexpected(
              Error{Errc::kUnreadable, std::string("a label's PDF cannot be read: ") + e.what()});
        }
      }
      const auto& source_pages = found->second.second;
      if (part.page >= static_cast<int>(source_pages.size())) {
        return tl::unexpected(Error{Errc::kInternal, "a label's PDF has fewer pages than drawn"});
      }
      // a page from another file is copied with what it uses (qpdf's foreign objects)
      if (part.page >= 0) {
        pages.addPage(source_pages[static_cast<size_t>(part.page)], false);
      } else {
        for (const QPDFPageObjectHelper& page : source_pages) pages.addPage(page, false);
      }
    }
    return PdfBytes(out, title);
  } catch (const std::exception& e) {
    return tl::unexpected(
        Error{Errc::kInternal, std::string("the labels' PDF cannot be written: ") + e.what()});
  }
}

}  // namespace keepsake::imaging
