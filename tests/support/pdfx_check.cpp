#include "pdfx_check.hpp"

#include <regex>
#include <set>

#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>

namespace keepsake::testing {

namespace {

std::string Tag(const std::string& xmp, const std::string& name) {
  std::smatch m;
  const std::regex tag("<" + name + ">([^<]*)</" + name + ">");
  return std::regex_search(xmp, m, tag) ? m[1].str() : "";
}

// 2026-12-05T13:00:00Z and D:20261205130000Z as the same digits (UTC only, as we write them).
std::string Digits(const std::string& date) {
  std::string digits;
  for (char c : date) {
    if (c >= '0' && c <= '9') digits += c;
  }
  return digits.substr(0, 14);
}

std::array<double, 4> Rect(QPDFObjectHandle box) {
  std::array<double, 4> r{};
  if (!box.isArray() || box.getArrayNItems() != 4) return r;
  for (int i = 0; i < 4; ++i) r[static_cast<size_t>(i)] = box.getArrayItem(i).getNumericValue();
  return r;
}

bool Inside(const std::array<double, 4>& inner, const std::array<double, 4>& outer) {
  const double e = 0.01;
  return inner[0] >= outer[0] - e && inner[1] >= outer[1] - e && inner[2] <= outer[2] + e &&
         inner[3] <= outer[3] + e;
}

void CheckMetadata(QPDF& pdf, PdfXReport& report) {
  auto& problems = report.problems;
  QPDFObjectHandle metadata = pdf.getRoot().getKey("/Metadata");
  if (!metadata.isStream()) {
    problems.push_back("6.7.2: the catalog has no XMP metadata stream");
    return;
  }
  QPDFObjectHandle dict = metadata.getDict();
  if (!dict.getKey("/Type").isNameAndEquals("/Metadata") ||
      !dict.getKey("/Subtype").isNameAndEquals("/XML")) {
    problems.push_back("6.7.2: the metadata stream is not /Type /Metadata /Subtype /XML");
  }
  auto data = metadata.getStreamData(qpdf_dl_all);
  report.xmp.assign(reinterpret_cast<const char*>(data->getBuffer()), data->getSize());
  const std::string& xmp = report.xmp;
  if (Tag(xmp, "pdfxid:GTS_PDFXVersion") != "PDF/X-4") {
    problems.push_back("6.7.2: XMP pdfxid:GTS_PDFXVersion is not PDF/X-4");
  }
  for (const char* key : {"xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate",
                          "xmpMM:DocumentID", "xmpMM:InstanceID", "xmpMM:VersionID"}) {
    if (Tag(xmp, key).empty()) problems.push_back(std::string("6.7.2: XMP lacks ") + key);
  }
  if (Tag(xmp, "xmpMM:RenditionClass") != "default") {
    problems.push_back("6.7.2: XMP xmpMM:RenditionClass is not default");
  }
  const std::string trapped = Tag(xmp, "pdf:Trapped");
  if (trapped != "True" && trapped != "False") {
    problems.push_back("6.7.2: XMP pdf:Trapped is not True or False");
  }
  // the Info dictionary says the same
  QPDFObjectHandle info = pdf.getTrailer().getKey("/Info");
  if (!info.isDictionary()) {
    problems.push_back("6.7.2: no Info dictionary");
    return;
  }
  if (!info.getKey("/CreationDate").isString() ||
      Digits(info.getKey("/CreationDate").getUTF8Value()) != Digits(Tag(xmp, "xmp:CreateDate"))) {
    problems.push_back("6.7.2: Info CreationDate missing or unlike XMP xmp:CreateDate");
  }
  if (!info.getKey("/ModDate").isString() ||
      Digits(info.getKey("/ModDate").getUTF8Value()) != Digits(Tag(xmp, "xmp:ModifyDate"))) {
    problems.push_back("6.7.2: Info ModDate missing or unlike XMP xmp:ModifyDate");
  }
  if (!info.getKey("/Trapped").isNameAndEquals("/" + trapped)) {
    problems.push_back("6.7.2: Info Trapped unlike XMP pdf:Trapped");
  }
  std::smatch title;
  const std::regex title_re("<dc:title>.*?<rdf:li[^>]*>([^<]*)</rdf:li>");
  if (info.getKey("/Title").isString() &&
      (!std::regex_search(xmp, title, title_re) ||
       title[1].str() != info.getKey("/Title").getUTF8Value())) {
    problems.push_back("6.7.2: Info Title unlike XMP dc:title");
  }
}

void CheckOutputIntent(QPDF& pdf, PdfXReport& report) {
  auto& problems = report.problems;
  QPDFObjectHandle intents = pdf.getRoot().getKey("/OutputIntents");
  int pdfx = 0;
  for (int i = 0; intents.isArray() && i < intents.getArrayNItems(); ++i) {
    QPDFObjectHandle intent = intents.getArrayItem(i);
    if (!intent.getKey("/S").isNameAndEquals("/GTS_PDFX")) continue;
    ++pdfx;
    if (intent.getKey("/OutputConditionIdentifier").isString()) {
      report.output_condition_identifier =
          intent.getKey("/OutputConditionIdentifier").getUTF8Value();
    }
    if (intent.getKey("/RegistryName").isString()) {
      report.registry_name = intent.getKey("/RegistryName").getUTF8Value();
    }
    if (report.output_condition_identifier.empty()) {
      problems.push_back("6.2.4: the output intent has no OutputConditionIdentifier");
    }
    QPDFObjectHandle profile = intent.getKey("/DestOutputProfile");
    if (!profile.isStream()) {
      problems.push_back("6.2.4: the output intent embeds no DestOutputProfile");
      continue;
    }
    auto bytes = profile.getStreamData(qpdf_dl_all);
    const std::string icc(reinterpret_cast<const char*>(bytes->getBuffer()), bytes->getSize());
    if (icc.size() < 128 || icc.substr(12, 4) != "prtr" || icc.substr(16, 4) != "CMYK") {
      problems.push_back("6.2.4: the output profile is not a CMYK output (prtr) profile");
    }
    if (!profile.getDict().getKey("/N").isInteger() ||
        profile.getDict().getKey("/N").getIntValue() != 4) {
      problems.push_back("6.2.4: the output profile's /N is not 4");
    }
  }
  if (pdfx != 1) problems.push_back("6.2.4: not exactly one GTS_PDFX output intent");
}

void CheckPages(QPDF& pdf, PdfXReport& report) {
  int n = 0;
  for (QPDFPageObjectHelper& page : QPDFPageDocumentHelper(pdf).getAllPages()) {
    ++n;
    QPDFObjectHandle dict = page.getObjectHandle();
    const auto media = Rect(dict.getKey("/MediaBox"));
    const auto bleed = Rect(dict.getKey("/BleedBox"));
    const auto trim = Rect(dict.getKey("/TrimBox"));
    const std::string which = "page " + std::to_string(n);
    if (!dict.getKey("/TrimBox").isArray()) {
      report.problems.push_back("6.2.3: " + which + " has no TrimBox");
    } else if (!Inside(trim, bleed) || !Inside(bleed, media)) {
      report.problems.push_back("6.2.3: " + which +
                                " TrimBox is not inside BleedBox inside MediaBox");
    }
    if (dict.hasKey("/Annots")) {
      report.problems.push_back("6.5: " + which + " has annotations");
    }
  }
}

// What no object of a PDF/X-4 file may hold (6.2.2 colour, 6.2.5 transfer and halftone
// functions, 6.2.9 PostScript, 6.6 actions and JavaScript, 6.2.10 embedded fonts).
void CheckObjects(QPDF& pdf, PdfXReport& report) {
  std::set<std::string> seen;
  auto once = [&](const std::string& problem) {
    if (seen.insert(problem).second) report.problems.push_back(problem);
  };
  for (QPDFObjectHandle object : pdf.getAllObjects()) {
    QPDFObjectHandle dict = object.isStream() ? object.getDict() : object;
    if (object.isName() && (object.getName() == "/DeviceRGB" || object.getName() == "/CalRGB")) {
      once("6.2.2: an RGB colour space under a CMYK output intent");
    }
    if (object.isArray()) {
      for (QPDFObjectHandle item : object.getArrayAsVector()) {
        if (item.isName() && (item.getName() == "/DeviceRGB" || item.getName() == "/CalRGB")) {
          once("6.2.2: an RGB colour space under a CMYK output intent");
        }
      }
    }
    if (!dict.isDictionary()) continue;
    for (const std::string& key : dict.getKeys()) {
      QPDFObjectHandle value = dict.getKey(key);
      if (value.isName() && (value.getName() == "/DeviceRGB" || value.getName() == "/CalRGB")) {
        once("6.2.2: an RGB colour space under a CMYK output intent");
      }
    }
    if (dict.getKey("/Type").isNameAndEquals("/ExtGState") &&
        ((dict.hasKey("/TR") || dict.hasKey("/TR2")) &&
         !dict.getKey("/TR2").isNameAndEquals("/Default"))) {
      once("6.2.5: a transfer function");
    }
    if (dict.hasKey("/HTP") || dict.hasKey("/HTO")) once("6.2.5: a halftone origin or phase");
    if (dict.getKey("/Subtype").isNameAndEquals("/PS") || dict.hasKey("/OPI")) {
      once("6.2.9: PostScript or OPI");
    }
    if (dict.hasKey("/JavaScript") || dict.hasKey("/JS") || dict.hasKey("/AA")) {
      once("6.6: actions or JavaScript");
    }
    if (dict.hasKey("/Encrypt")) once("6.1.8: encryption");
    if (dict.getKey("/Type").isNameAndEquals("/FontDescriptor") && !dict.hasKey("/FontFile") &&
        !dict.hasKey("/FontFile2") && !dict.hasKey("/FontFile3")) {
      once("6.2.10: a font that is not embedded");
    }
  }
}

}  // namespace

PdfXReport CheckPdfX4(const std::string& path) {
  PdfXReport report;
  QPDF pdf;
  try {
    pdf.processFile(path.c_str());
  } catch (const std::exception& e) {
    report.problems.push_back(std::string("qpdf cannot read the file: ") + e.what());
    return report;
  }
  if (pdf.getPDFVersion() < "1.6" || pdf.getPDFVersion().size() != 3) {
    report.problems.push_back("6.1.2: the PDF version is " + pdf.getPDFVersion() + ", under 1.6");
  }
  if (pdf.isEncrypted()) report.problems.push_back("6.1.8: the file is encrypted");
  QPDFObjectHandle id = pdf.getTrailer().getKey("/ID");
  if (!id.isArray() || id.getArrayNItems() != 2) {
    report.problems.push_back("6.1.3: the trailer has no file identifier (/ID)");
  }
  CheckMetadata(pdf, report);
  CheckOutputIntent(pdf, report);
  CheckPages(pdf, report);
  CheckObjects(pdf, report);
  return report;
}

}  // namespace keepsake::testing
