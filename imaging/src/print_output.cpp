// The 2D pipeline's end: the laid-out artwork to CMYK with the shop's output profile
// (LittleCMS, perceptual with black-point compensation), the print PDF (print_pdf.cpp), the
// PNG, and the preview a reviewer looks at.
#include <lcms2.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <future>
#include <memory>

#include <opencv2/imgproc.hpp>

#include "canvas.hpp"
#include "icc.hpp"
#include "image_head.hpp"
#include "postcard_back.hpp"
#include "print_pdf.hpp"
#include "print_steps.hpp"

namespace keepsake::imaging {

namespace {

// Now, as XMP writes dates: 2026-12-05T13:00:00Z.
std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// The artwork as a JPEG for a photo lab: quality 95, the dpi in the JFIF header, and an sRGB
// ICC profile in APP2 (ICC.1, B.4), so the lab's software does not guess the colour space.
std::string TaggedJpeg(const cv::Mat& artwork, int dpi) {
  std::string jpeg =
      codec::EncodeJpeg(artwork.data, artwork.cols, artwork.rows, artwork.step, 95, dpi);
  std::unique_ptr<void, CmsCloser> srgb(cmsCreate_sRGBProfile());
  cmsSetProfileVersion(srgb.get(), 2.1);  // v2: what every lab's software reads
  cmsUInt32Number size = 0;
  cmsSaveProfileToMem(srgb.get(), nullptr, &size);
  std::string icc(size, '\0');
  cmsSaveProfileToMem(srgb.get(), icc.data(), &size);
  std::string app2 = std::string("ICC_PROFILE\0", 12) + '\x01' + '\x01' + icc;
  const size_t length = app2.size() + 2;
  app2 = std::string("\xFF\xE2") + static_cast<char>((length >> 8) & 0xff) +
         static_cast<char>(length & 0xff) + app2;
  const size_t after_app0 =
      4 + ((static_cast<unsigned char>(jpeg[4]) << 8) | static_cast<unsigned char>(jpeg[5]));
  jpeg.insert(jpeg[3] == '\xE0' ? after_app0 : 2, app2);
  return jpeg;
}

// The cut as SVG in millimetres (y down from the page's top left), for cutting software: the
// outline as a path, circles as circles, stroked in the CutContour magenta.
std::string CutSvg(const PrintResult& out, double page_w_mm, double page_h_mm) {
  char number[32];
  auto mm = [&number](double v) {
    std::snprintf(number, sizeof number, "%.3f", v);
    return std::string(number);
  };
  std::string svg =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
      mm(page_w_mm) + "mm\" height=\"" + mm(page_h_mm) + "mm\" viewBox=\"0 0 " + mm(page_w_mm) +
      " " + mm(page_h_mm) +
      "\">\n<g id=\"CutContour\" fill=\"none\" stroke=\"#ec008c\" "
      "stroke-width=\"0.1\">\n";
  const auto at = [&](const std::array<double, 2>& q) {
    return mm(q[0]) + " " + mm(page_h_mm - q[1]);
  };
  for (const CubicPath& path : out.cut_curves_mm) {
    svg += "<path d=\"M" + at(path.start);
    for (const auto& [c1, c2, to] : path.segments) {
      svg += " C" + at(c1) + " " + at(c2) + " " + at(to);
    }
    svg += " Z\"/>\n";
  }
  for (const auto& [x, y, r] : out.cut_circles_mm) {
    svg += "<circle cx=\"" + mm(x) + "\" cy=\"" + mm(page_h_mm - y) + "\" r=\"" + mm(r) + "\"/>\n";
  }
  return svg + "</g>\n</svg>\n";
}

// The artwork's pixels in the press's CMYK, and the output profile's bytes and description.
struct Separated {
  std::string cmyk;  // 4 bytes a pixel, row after row
  std::string icc;
  std::string description;
};

tl::expected<Separated, Error> Separate(const cv::Mat& artwork, const std::string& profile_path) {
  Separated s;
  // CMYK for the press: sRGB in (what generators make), the shop's output profile out
  s.icc = ReadFilePrefix(profile_path, 16 << 20);
  const std::string& icc = s.icc;
  std::unique_ptr<void, CmsCloser> srgb(cmsCreate_sRGBProfile());
  std::unique_ptr<void, CmsCloser> cmyk(
      icc.empty() ? nullptr
                  : cmsOpenProfileFromMem(icc.data(), static_cast<cmsUInt32Number>(icc.size())));
  if (!cmyk || cmsGetColorSpace(cmyk.get()) != cmsSigCmykData) {
    return tl::unexpected(
        Error{Errc::kInternal, "the CMYK output profile cannot be read: " + profile_path});
  }
  char description[256] = {0};
  cmsGetProfileInfoASCII(cmyk.get(), cmsInfoDescription, "en", "US", description,
                         sizeof description);
  s.description = description;
  // NOCACHE: without its one-pixel cache a transform may run on two threads at once
  cmsHTRANSFORM transform =
      cmsCreateTransform(srgb.get(), TYPE_BGR_8, cmyk.get(), TYPE_CMYK_8, INTENT_PERCEPTUAL,
                         cmsFLAGS_BLACKPOINTCOMPENSATION | cmsFLAGS_NOCACHE);
  if (transform == nullptr)
    return tl::unexpected(Error{Errc::kInternal, "no sRGB to CMYK transform"});
  s.cmyk.resize(static_cast<size_t>(artwork.cols) * artwork.rows * 4);
  auto rows = [&](int from, int to) {
    for (int y = from; y < to; ++y) {
      cmsDoTransform(transform, artwork.ptr(y),
                     s.cmyk.data() + static_cast<size_t>(y) * artwork.cols * 4,
                     static_cast<cmsUInt32Number>(artwork.cols));
    }
  };
  std::future<void> top = std::async(std::launch::async, rows, 0, artwork.rows / 2);
  rows(artwork.rows / 2, artwork.rows);
  top.get();
  cmsDeleteTransform(transform);

  return s;
}

// The pages: the artwork with its vector layers (cut, White), then the back: the same sheet
// mirrored for a double-sided piece, or a postcard's address side.
PdfDocument Pages(const PrintInputs& inputs, const PrintProfile& profile, const Layers& layers,
                  Separated separated, PrintResult& out) {
  PdfDocument document;
  document.icc_profile = std::move(separated.icc);
  document.intent_name = out.output_intent;
  document.condition_identifier = inputs.press.identifier;
  document.registry = inputs.press.identifier.empty() ? "" : inputs.press.registry;
  document.condition = inputs.press.condition;
  document.created_utc = UtcNow();
  document.title = "Keepsake " + profile.id;
  if (!layers.white_curves_px.empty()) {
    out.print_mode = inputs.sides == 2 ? "white_then_colour_both_faces" : "white_then_colour";
  }
  document.print_mode = out.print_mode;
  PdfPage page;
  const double page_w_mm = out.trim_width_mm + 2 * profile.bleed_mm;
  const double page_h_mm = out.trim_height_mm + 2 * profile.bleed_mm;
  page.width_pt = page_w_mm * kPtPerMm;
  page.height_pt = page_h_mm * kPtPerMm;
  // vector layers: canvas pixels (y down) to points (y up)
  const double pt_per_px = kMmPerInch / profile.target_dpi * kPtPerMm;
  const auto to_point = [&](const std::array<double, 2>& q) {
    return std::array<double, 2>{q[0] * pt_per_px, page.height_pt - q[1] * pt_per_px};
  };
  for (const CubicPath& curve : layers.cut_curves_px) {
    page.cut_curves.push_back(Mapped(curve, to_point));
  }
  for (const CubicPath& curve : layers.white_curves_px) {
    page.white_curves.push_back(Mapped(curve, to_point));
  }
  for (const cv::Vec3f& c : layers.cut_circles_px) {
    page.cut_circles.push_back(
        {c[0] * pt_per_px, page.height_pt - c[1] * pt_per_px, c[2] * pt_per_px});
    out.cut_circles_mm.push_back({page.cut_circles.back()[0] / kPtPerMm,
                                  page.cut_circles.back()[1] / kPtPerMm,
                                  page.cut_circles.back()[2] / kPtPerMm});
  }
  const auto to_mm = [](const std::array<double, 2>& q) {
    return std::array<double, 2>{q[0] / kPtPerMm, q[1] / kPtPerMm};
  };
  for (const CubicPath& curve : page.cut_curves) {
    out.cut_curves_mm.push_back(Mapped(curve, to_mm));
    out.cut_paths_mm.push_back(Flatten(out.cut_curves_mm.back(), 0.01));
  }
  page.bleed_pt = profile.bleed_mm * kPtPerMm;
  page.image_width_px = out.width_px;
  page.image_height_px = out.height_px;
  // the back of a double-sided piece: the sheet turned over its vertical axis, so the
  // artwork, the underbase and the cut are mirrored left to right and register with the front;
  // its image packed on the other core
  std::string mirrored;
  std::future<std::string> back_image;
  if (inputs.sides == 2) {
    mirrored = separated.cmyk;
    for (int y = 0; y < out.height_px; ++y) {
      uint32_t* row =
          reinterpret_cast<uint32_t*>(mirrored.data()) + static_cast<size_t>(y) * out.width_px;
      std::reverse(row, row + out.width_px);
    }
    back_image = std::async(std::launch::async,
                            [&] { return PackCmyk(mirrored, out.width_px, out.height_px); });
  }
  page.cmyk_flate = PackCmyk(separated.cmyk, out.width_px, out.height_px);
  document.pages.push_back(std::move(page));
  const PdfPage& front = document.pages.front();
  if (inputs.sides == 2) {
    PdfPage back = front;
    back.cmyk_flate = back_image.get();
    const auto mirror = [&](const std::array<double, 2>& q) {
      return std::array<double, 2>{back.width_pt - q[0], q[1]};
    };
    for (CubicPath& curve : back.white_curves) curve = Mapped(curve, mirror);
    for (CubicPath& curve : back.cut_curves) curve = Mapped(curve, mirror);
    for (auto& c : back.cut_circles) c[0] = back.width_pt - c[0];
    document.pages.push_back(std::move(back));
  } else if (profile.back.present) {
    // a postcard's address side, laid out as listed (landscape), with the greeting, on a page
    // of the front's size and orientation: imposition takes one page size; when the picture
    // side turned to portrait, the address side is drawn turned 90 degrees counter-clockwise
    // on it (its top along the page's left edge), and the report says so
    PdfPage back;
    back.width_pt = front.width_pt;
    back.height_pt = front.height_pt;
    back.bleed_pt = front.bleed_pt;
    const std::string ops = BackPdfOps(profile.back, layers.greeting, profile.trim_width_mm,
                                       profile.trim_height_mm, profile.bleed_mm);
    const bool turned = (out.trim_width_mm > out.trim_height_mm) !=
                        (profile.trim_width_mm > profile.trim_height_mm);
    out.back_turn_deg = turned ? 90 : 0;
    back.vector_ops =
        turned ? "q 0 1 -1 0 " + std::to_string(back.width_pt) + " 0 cm\n" + ops + "Q\n" : ops;
    document.pages.push_back(std::move(back));
  }
  return document;
}

// The artwork with the bleed washed out, the trim and safe lines, the cut and the faces; the
// back beside it.
cv::Mat Preview(const PrintInputs& inputs, const PrintProfile& profile, const cv::Mat& artwork,
                const Layers& layers, const PrintResult& out) {
  const double shrink =
      std::min(1.0, static_cast<double>(inputs.preview_px) / std::max(out.width_px, out.height_px));
  cv::Mat preview;
  cv::resize(artwork, preview, cv::Size(), shrink, shrink, cv::INTER_AREA);
  const double px_per_mm = profile.target_dpi / kMmPerInch * shrink;
  const cv::Point2d centre(preview.cols / 2.0, preview.rows / 2.0);
  const double bleed = profile.bleed_mm * px_per_mm;
  const double safe = (profile.bleed_mm + profile.safe_mm) * px_per_mm;
  cv::Mat mask(preview.size(), CV_8U, cv::Scalar(255));
  if (profile.shape == PrintShape::kRound) {
    cv::circle(mask, centre, static_cast<int>(centre.x - bleed), cv::Scalar(0), cv::FILLED);
  } else {
    cv::rectangle(mask,
                  cv::Rect(cv::Point(static_cast<int>(bleed), static_cast<int>(bleed)),
                           cv::Point(static_cast<int>(preview.cols - bleed),
                                     static_cast<int>(preview.rows - bleed))),
                  cv::Scalar(0), cv::FILLED);
  }
  cv::Mat washed;
  cv::addWeighted(preview, 0.35, cv::Mat(preview.size(), preview.type(), cv::Scalar::all(255)),
                  0.65, 0, washed);
  washed.copyTo(preview, mask);
  const cv::Scalar trim_colour(40, 40, 220), safe_colour(200, 120, 0);
  if (profile.shape == PrintShape::kRound) {
    cv::circle(preview, centre, static_cast<int>(centre.x - bleed), trim_colour, 2, cv::LINE_AA);
    cv::circle(preview, centre, static_cast<int>(centre.x - safe), safe_colour, 1, cv::LINE_AA);
  } else {
    cv::rectangle(preview, cv::Point2d(bleed, bleed),
                  cv::Point2d(preview.cols - bleed, preview.rows - bleed), trim_colour, 2,
                  cv::LINE_AA);
    cv::rectangle(preview, cv::Point2d(safe, safe),
                  cv::Point2d(preview.cols - safe, preview.rows - safe), safe_colour, 1,
                  cv::LINE_AA);
  }
  const cv::Scalar cut_colour(200, 0, 200);
  for (const CubicPath& curve : layers.cut_curves_px) {
    std::vector<cv::Point> drawn;
    for (const auto& q : Flatten(curve, 0.5 / shrink)) {  // half a preview pixel
      drawn.emplace_back(static_cast<int>(std::lround(q[0] * shrink)),
                         static_cast<int>(std::lround(q[1] * shrink)));
    }
    cv::polylines(preview, drawn, true, cut_colour, 2, cv::LINE_AA);
  }
  for (const cv::Vec3f& c : layers.cut_circles_px) {
    cv::circle(preview, cv::Point2d(c[0] * shrink, c[1] * shrink),
               static_cast<int>(std::lround(c[2] * shrink)), cut_colour, 2, cv::LINE_AA);
  }
  if (profile.badge_face_mm > 0) {  // where the shell's face ends: the rest wraps round its edge
    cv::circle(preview, centre, static_cast<int>(profile.badge_face_mm / 2 * px_per_mm),
               cv::Scalar(120, 120, 120), 1, cv::LINE_AA);
  }
  for (const cv::Rect& f : layers.faces) {
    const cv::Rect2d on_page((f.x - layers.x0) * layers.scale * shrink,
                             (f.y - layers.y0) * layers.scale * shrink,
                             f.width * layers.scale * shrink, f.height * layers.scale * shrink);
    cv::rectangle(preview, on_page, cv::Scalar(60, 180, 60), 1, cv::LINE_AA);
  }
  if (inputs.sides == 2) {
    cv::Mat back;
    cv::flip(preview, back, 1);
    preview = SideBySide(preview, back);
  } else if (profile.back.present) {
    preview = SideBySide(preview, BackPreview(profile.back, layers.greeting, profile.trim_width_mm,
                                              profile.trim_height_mm, profile.bleed_mm, px_per_mm));
  }
  return preview;
}

}  // namespace

tl::expected<void, Error> Finish(const PrintInputs& inputs, const PrintProfile& profile,
                                 const cv::Mat& artwork, const Layers& layers, PrintResult& out) {
  auto last = std::chrono::steady_clock::now();
  auto separated = Separate(artwork, inputs.press.icc_path);  // on both cores
  if (!separated) return tl::unexpected(separated.error());
  out.output_intent = separated->description;
  Step(out, last, "cmyk");
  // the PNG is encoded on the other core while this one packs the CMYK and writes the PDF
  std::future<std::string> png =
      std::async(std::launch::async, [&] { return PngWithDpi(artwork, profile.target_dpi); });
  PdfDocument document = Pages(inputs, profile, layers, std::move(*separated), out);
  out.pages = static_cast<int>(document.pages.size());
  try {
    out.pdf = WritePrintPdf(document);
  } catch (const std::exception& e) {
    return tl::unexpected(
        Error{Errc::kInternal, std::string("the PDF cannot be written: ") + e.what()});
  }
  Step(out, last, "pdf");
  out.png = png.get();
  Step(out, last, "png (after the pdf)");
  if (profile.photo_lab_jpeg) out.jpeg = TaggedJpeg(artwork, profile.target_dpi);
  if (!layers.cut_mask.empty()) {
    cv::Mat rgba;
    cv::cvtColor(artwork, rgba, cv::COLOR_BGR2BGRA);
    cv::Mat channels[4];
    cv::split(rgba, channels);
    channels[3] = layers.cut_mask;
    cv::merge(channels, 4, rgba);
    out.cut_png = PngWithDpi(rgba, profile.target_dpi);
    out.cut_svg = CutSvg(out, out.trim_width_mm + 2 * profile.bleed_mm,
                         out.trim_height_mm + 2 * profile.bleed_mm);
  }
  if (!out.jpeg.empty() || !out.cut_png.empty()) Step(out, last, "other formats");
  const cv::Mat preview = Preview(inputs, profile, artwork, layers, out);
  out.preview_png =
      codec::EncodePng(preview.data, preview.cols, preview.rows, preview.channels(), preview.step);
  Step(out, last, "preview");
  return {};
}

}  // namespace keepsake::imaging
