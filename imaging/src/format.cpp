// Signatures: PNG (RFC 2083 §12.11), JPEG SOI FF D8 FF, WebP RIFF container "RIFF....WEBP".
#include "keepsake/imaging/format.hpp"

namespace keepsake::imaging {

std::optional<ImageFormat> SniffImageFormat(std::string_view content) {
  if (content.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8)) return ImageFormat::kPng;
  if (content.substr(0, 3) == std::string_view("\xFF\xD8\xFF", 3)) return ImageFormat::kJpeg;
  if (content.size() >= 12 && content.substr(0, 4) == "RIFF" && content.substr(8, 4) == "WEBP") {
    return ImageFormat::kWebp;
  }
  return std::nullopt;
}

std::string_view ImageFormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kPng:
      return "png";
    case ImageFormat::kJpeg:
      return "jpeg";
    case ImageFormat::kWebp:
      return "webp";
  }
  return "unknown";
}

std::optional<ImageFormat> ParseImageFormat(std::string_view name) {
  for (ImageFormat f : {ImageFormat::kPng, ImageFormat::kJpeg, ImageFormat::kWebp}) {
    if (ImageFormatName(f) == name) return f;
  }
  return std::nullopt;
}

}  // namespace keepsake::imaging
