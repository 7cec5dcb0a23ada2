#include "print_pdf.hpp"

#include <cstdio>
#include <random>
#include <stdexcept>

#include <qpdf/Pl_String.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFWriter.hh>

#include "keepsake/codec/codec.hpp"

namespace keepsake::imaging {

namespace {

std::string Num(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", v);
  return text;
}

QPDFObjectHandle Box(double x0, double y0, double x1, double y1) {
  return QPDFObjectHandle::parse("[" + Num(x0) + " " + Num(y0) + " " + Num(x1) + " " + Num(y1) +
                                 "]");
}

// A Separation colour space for a spot ink: printers' RIPs find the plate by its exact name;
// the alternate (what a plain viewer shows) is a CMYK tint.
QPDFObjectHandle SpotColour(const std::string& name, const std::string& alternate_cmyk) {
  return QPDFObjectHandle::parse("[/Separation /" + name +
                                 " /DeviceCMYK << /FunctionType 2 /Domain [0 1] /C0 [0 0 0 0] "
                                 "/C1 [" +
                                 alternate_cmyk + "] /N 1 >>]");
}

// Closed paths of cubic Bezier segments (m, c, h): the cut as the cutter follows it, the White.
std::string CurveOps(const std::vector<CubicPath>& paths) {
  std::string ops;
  for (const CubicPath& path : paths) {
    if (path.segments.empty()) continue;
    ops += Num(path.start[0]) + " " + Num(path.start[1]) + " m\n";
    for (const auto& [c1, c2, to] : path.segments) {
      ops += Num(c1[0]) + " " + Num(c1[1]) + " " + Num(c2[0]) + " " + Num(c2[1]) + " " +
             Num(to[0]) + " " + Num(to[1]) + " c\n";
    }
    ops += "h\n";
  }
  return ops;
}

// Closed circles as four cubic Bezier arcs each (the usual 0.5523 handle: within 0.03 % of the
// radius), so a cutter gets a curve and not a polygon.
std::string CircleOps(const std::vector<std::array<double, 3>>& circles) {
  std::string ops;
  for (const auto& [x, y, r] : circles) {
    const double k = 0.5522847498 * r;
    ops += Num(x + r) + " " + Num(y) + " m\n";
    ops += Num(x + r) + " " + Num(y + k) + " " + Num(x + k) + " " + Num(y + r) + " " + Num(x) +
           " " + Num(y + r) + " c\n";
    ops += Num(x - k) + " " + Num(y + r) + " " + Num(x - r) + " " + Num(y + k) + " " + Num(x - r) +
           " " + Num(y) + " c\n";
    ops += Num(x - r) + " " + Num(y - k) + " " + Num(x - k) + " " + Num(y - r) + " " + Num(x) +
           " " + Num(y - r) + " c\n";
    ops += Num(x + k) + " " + Num(y - r) + " " + Num(x + r) + " " + Num(y - k) + " " + Num(x + r) +
           " " + Num(y) + " c\nh\n";
  }
  return ops;
}

// The named layers (optional content groups) the spot inks are drawn on: a RIP or a designer
// can switch the White and the cut apart, and finds them by name as well as by ink.
struct SpotLayers {
  QPDFObjectHandle white;  // null when no page has a White
  QPDFObjectHandle cut;
};

// Adds one page: the artwork (if any) over the whole MediaBox, then the vector layers, each
// inside its layer's marked content (/OC ... BDC ... EMC).
void AddPage(QPDF& pdf, const PdfPage& page, const SpotLayers& layers) {
  std::string drawing;
  QPDFObjectHandle resources = QPDFObjectHandle::newDictionary();
  if (!page.cmyk_flate.empty()) {
    QPDFObjectHandle image = QPDFObjectHandle::newStream(&pdf);
    image.replaceStreamData(  // qpdf keeps the bytes as they are
        page.cmyk_flate, QPDFObjectHandle::newName("/FlateDecode"),
        QPDFObjectHandle::parse("<< /Predictor 12 /Colors 4 /BitsPerComponent 8 /Columns " +
                                std::to_string(page.image_width_px) + " >>"));
    image.getDict().replaceKey("/Type", QPDFObjectHandle::newName("/XObject"));
    image.getDict().replaceKey("/Subtype", QPDFObjectHandle::newName("/Image"));
    image.getDict().replaceKey("/Width", QPDFObjectHandle::newInteger(page.image_width_px));
    image.getDict().replaceKey("/Height", QPDFObjectHandle::newInteger(page.image_height_px));
    // DeviceCMYK under a PDF/X output intent: the values are for that profile's press
    image.getDict().replaceKey("/ColorSpace", QPDFObjectHandle::newName("/DeviceCMYK"));
    image.getDict().replaceKey("/BitsPerComponent", QPDFObjectHandle::newInteger(8));

    // the image covers the whole MediaBox, bleed included
    drawing += "q " + Num(page.width_pt) + " 0 0 " + Num(page.height_pt) + " 0 0 cm /Im0 Do Q\n";
    QPDFObjectHandle xobjects = QPDFObjectHandle::newDictionary();
    xobjects.replaceKey("/Im0", image);
    resources.replaceKey("/XObject", xobjects);
  }
  drawing += page.vector_ops;
  QPDFObjectHandle colour_spaces = QPDFObjectHandle::newDictionary();
  const bool cut = !page.cut_curves.empty() || !page.cut_circles.empty();
  QPDFObjectHandle properties = QPDFObjectHandle::newDictionary();
  if (!page.white_curves.empty() || cut) {
    // spot layers overprint: they add their plate and leave the artwork's inks alone
    resources.replaceKey("/ExtGState",
                         QPDFObjectHandle::parse("<< /GSop << /Type /ExtGState /OP true /op true "
                                                 "/OPM 1 >> >>"));
    drawing += "/GSop gs\n";
  }
  if (!page.white_curves.empty()) {
    colour_spaces.replaceKey("/CSWhite", SpotColour("White", "0.25 0 0 0"));
    properties.replaceKey("/OCWhite", layers.white);
    drawing +=
        "/OC /OCWhite BDC q /CSWhite cs 1 scn\n" + CurveOps(page.white_curves) + "f*\nQ EMC\n";
  }
  if (cut) {
    colour_spaces.replaceKey("/CSCut", SpotColour("CutContour", "0 1 0 0"));
    properties.replaceKey("/OCCut", layers.cut);
    drawing += "/OC /OCCut BDC q /CSCut CS 1 SCN 0.5 w 1 j\n" + CurveOps(page.cut_curves) +
               CircleOps(page.cut_circles) + "S\nQ EMC\n";
  }
  if (!colour_spaces.getKeys().empty()) resources.replaceKey("/ColorSpace", colour_spaces);
  if (!properties.getKeys().empty()) resources.replaceKey("/Properties", properties);
  QPDFObjectHandle contents = QPDFObjectHandle::newStream(&pdf, drawing);

  QPDFObjectHandle page_dict = QPDFObjectHandle::newDictionary();
  page_dict.replaceKey("/Type", QPDFObjectHandle::newName("/Page"));
  page_dict.replaceKey("/MediaBox", Box(0, 0, page.width_pt, page.height_pt));
  page_dict.replaceKey("/BleedBox", Box(0, 0, page.width_pt, page.height_pt));
  page_dict.replaceKey("/TrimBox", Box(page.bleed_pt, page.bleed_pt, page.width_pt - page.bleed_pt,
                                       page.height_pt - page.bleed_pt));
  page_dict.replaceKey("/Resources", resources);
  page_dict.replaceKey("/Contents", contents);
  QPDFPageDocumentHelper(pdf).addPage(pdf.makeIndirectObject(page_dict), false);
}

// A random (version 4) UUID, as XMP's document and instance ids are written.
std::string NewUuid() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  const uint64_t a = random(), b = random();
  char text[48];
  std::snprintf(text, sizeof text, "uuid:%08x-%04x-4%03x-%04x-%012llx",
                static_cast<unsigned>(a >> 32), static_cast<unsigned>((a >> 16) & 0xffff),
                static_cast<unsigned>(a & 0x0fff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return text;
}

std::string XmlEscaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

// 2026-12-05T13:00:00Z -> D:20261205130000Z (PDF's date string, the same instant).
std::string PdfDate(const std::string& iso) {
  std::string digits;
  for (char c : iso.substr(0, 19)) {
    if (c >= '0' && c <= '9') digits += c;
  }
  return "D:" + digits + "Z";
}

// The XMP packet PDF/X-4 reads its identification from (ISO 15930-7, 6.7.2): the PDF/X
// version, the dates, the document and instance ids, the rendition class, and the same title,
// producer and trapping as the Info dictionary.
std::string XmpPacket(const PdfDocument& document) {
  const std::string when = document.created_utc;
  return std::string("<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n") +
         "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
         " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
         "  <rdf:Description rdf:about=\"\"\n"
         "    xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n"
         "    xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n"
         "    xmlns:xmpMM=\"http://ns.adobe.com/xap/1.0/mm/\"\n"
         "    xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\"\n"
         "    xmlns:pdfxid=\"http://www.npes.org/pdfx/ns/id/\">\n"
         "   <dc:format>application/pdf</dc:format>\n"
         "   <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">" +
         XmlEscaped(document.title) +
         "</rdf:li></rdf:Alt></dc:title>\n"
         "   <xmp:CreateDate>" +
         when + "</xmp:CreateDate>\n   <xmp:ModifyDate>" + when +
         "</xmp:ModifyDate>\n   <xmp:MetadataDate>" + when +
         "</xmp:MetadataDate>\n"
         "   <xmp:CreatorTool>Keepsake</xmp:CreatorTool>\n"
         "   <xmpMM:DocumentID>" +
         NewUuid() + "</xmpMM:DocumentID>\n   <xmpMM:InstanceID>" + NewUuid() +
         "</xmpMM:InstanceID>\n"
         "   <xmpMM:VersionID>1</xmpMM:VersionID>\n"
         "   <xmpMM:RenditionClass>default</xmpMM:RenditionClass>\n"
         "   <pdf:Producer>Keepsake (qpdf)</pdf:Producer>\n"
         "   <pdf:Trapped>False</pdf:Trapped>\n"
         "   <pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>\n"
         "  </rdf:Description>\n"
         " </rdf:RDF>\n"
         "</x:xmpmeta>\n"
         "<?xpacket end=\"w\"?>";
}

// The one output intent: the press condition by its registered name and the profile itself.
QPDFObjectHandle OutputIntent(QPDF& pdf, const PdfDocument& document) {
  QPDFObjectHandle icc = QPDFObjectHandle::newStream(&pdf, document.icc_profile);
  icc.getDict().replaceKey("/N", QPDFObjectHandle::newInteger(4));
  QPDFObjectHandle intent = QPDFObjectHandle::newDictionary();
  intent.replaceKey("/Type", QPDFObjectHandle::newName("/OutputIntent"));
  intent.replaceKey("/S", QPDFObjectHandle::newName("/GTS_PDFX"));
  intent.replaceKey("/OutputConditionIdentifier",
                    QPDFObjectHandle::newUnicodeString(document.condition_identifier.empty()
                                                           ? document.intent_name
                                                           : document.condition_identifier));
  if (!document.registry.empty()) {
    intent.replaceKey("/RegistryName", QPDFObjectHandle::newUnicodeString(document.registry));
  }
  if (!document.condition.empty()) {
    intent.replaceKey("/OutputCondition", QPDFObjectHandle::newUnicodeString(document.condition));
  }
  intent.replaceKey("/Info", QPDFObjectHandle::newUnicodeString(document.intent_name));
  intent.replaceKey("/DestOutputProfile", icc);
  return intent;
}

}  // namespace

std::string PackCmyk(const std::string& cmyk, int width, int height) {
  return codec::ZlibFast(codec::UpFiltered(reinterpret_cast<const uint8_t*>(cmyk.data()),
                                           static_cast<size_t>(width) * 4, height, width, 4));
}

std::string WritePrintPdf(const PdfDocument& document) {
  QPDF pdf;
  pdf.emptyPDF();
  // one layer per spot ink the document uses, listed (named, on) in the catalog's optional
  // content properties; PDF/X-4 wants the default configuration named and without /AS
  SpotLayers layers;
  QPDFObjectHandle groups = QPDFObjectHandle::newArray();
  auto add_layer = [&](const std::string& name) {
    QPDFObjectHandle group = pdf.makeIndirectObject(QPDFObjectHandle::parse(
        "<< /Type /OCG /Intent /View /Usage << /Print << /PrintState /ON >> >> >>"));
    group.replaceKey("/Name", QPDFObjectHandle::newUnicodeString(name));
    groups.appendItem(group);
    return group;
  };
  bool any_white = false, any_cut = false;
  for (const PdfPage& page : document.pages) {
    any_white |= !page.white_curves.empty();
    any_cut |= !page.cut_curves.empty() || !page.cut_circles.empty();
  }
  if (any_white) layers.white = add_layer("White");
  if (any_cut) layers.cut = add_layer("CutContour");
  for (const PdfPage& page : document.pages) AddPage(pdf, page, layers);
  if (groups.getArrayNItems() > 0) {
    QPDFObjectHandle config = QPDFObjectHandle::newDictionary();
    config.replaceKey("/Name", QPDFObjectHandle::newUnicodeString("Keepsake print layers"));
    config.replaceKey("/Order", groups.shallowCopy());
    config.replaceKey("/ON", groups.shallowCopy());
    config.replaceKey("/OFF", QPDFObjectHandle::newArray());
    QPDFObjectHandle properties = QPDFObjectHandle::newDictionary();
    properties.replaceKey("/OCGs", groups);
    properties.replaceKey("/D", config);
    pdf.getRoot().replaceKey("/OCProperties", properties);
  }

  QPDFObjectHandle intents = QPDFObjectHandle::newArray();
  intents.appendItem(OutputIntent(pdf, document));
  pdf.getRoot().replaceKey("/OutputIntents", intents);
  QPDFObjectHandle metadata = QPDFObjectHandle::newStream(&pdf, XmpPacket(document));
  metadata.getDict().replaceKey("/Type", QPDFObjectHandle::newName("/Metadata"));
  metadata.getDict().replaceKey("/Subtype", QPDFObjectHandle::newName("/XML"));
  pdf.getRoot().replaceKey("/Metadata", metadata);

  const std::string date = PdfDate(document.created_utc);
  QPDFObjectHandle info = QPDFObjectHandle::newDictionary();
  info.replaceKey("/Title", QPDFObjectHandle::newUnicodeString(document.title));
  info.replaceKey("/Creator", QPDFObjectHandle::newUnicodeString("Keepsake"));
  info.replaceKey("/Producer", QPDFObjectHandle::newUnicodeString("Keepsake (qpdf)"));
  info.replaceKey("/CreationDate", QPDFObjectHandle::newString(date));
  info.replaceKey("/ModDate", QPDFObjectHandle::newString(date));
  info.replaceKey("/Trapped", QPDFObjectHandle::newName("/False"));
  info.replaceKey("/GTS_PDFXVersion", QPDFObjectHandle::newString("PDF/X-4"));
  if (!document.print_mode.empty()) {  // how the sheet is printed (White first or none)
    info.replaceKey("/KeepsakePrintMode", QPDFObjectHandle::newString(document.print_mode));
  }
  pdf.getTrailer().replaceKey("/Info", pdf.makeIndirectObject(info));

  QPDFWriter writer(pdf);
  std::string written;
  Pl_String out("print.pdf", nullptr, written);  // straight into the string, no copy after
  writer.setOutputPipeline(&out);
  writer.setMinimumPDFVersion("1.6");
  // Flate for the page and the profile; decode level none: qpdf would otherwise inflate our
  // already compressed image and deflate it again (half a second on a 7-inch print)
  writer.setCompressStreams(true);
  writer.setDecodeLevel(qpdf_dl_none);
  // the trailer's ID as qpdf makes it by default (from the time and the file's objects): a
  // deterministic one would be an MD5 over the whole 7 MB file
  writer.write();
  return written;
}

}  // namespace keepsake::imaging
