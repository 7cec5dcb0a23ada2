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

namespace {

uint32_t Big(std::string_view b, size_t at, int bytes) {
  uint32_t v = 0;
  for (int k = 0; k < bytes; ++k) v = v << 8 | static_cast<unsigned char>(b[at + k]);
  return v;
}

uint32_t Little(std::string_view b, size_t at, int bytes) {
  uint32_t v = 0;
  for (int k = bytes - 1; k >= 0; --k) v = v << 8 | static_cast<unsigned char>(b[at + k]);
  return v;
}

}  // namespace

std::optional<ImageSize> PeekImageSize(std::string_view b, ImageFormat format) {
  switch (format) {
    case ImageFormat::kPng:  // signature, then IHDR: length, "IHDR", width, height
      if (b.size() < 24 || b.substr(12, 4) != "IHDR") return std::nullopt;
      return ImageSize{Big(b, 16, 4), Big(b, 20, 4)};
    case ImageFormat::kJpeg: {
      // walk the markers to the first start-of-frame (C0-CF except C4, C8, CC)
      size_t at = 2;
      while (at + 9 < b.size()) {
        if (static_cast<unsigned char>(b[at]) != 0xFF) return std::nullopt;
        const unsigned char marker = static_cast<unsigned char>(b[at + 1]);
        if (marker == 0xFF) {
          ++at;
          continue;
        }
        if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 &&
            marker != 0xCC) {
          return ImageSize{Big(b, at + 7, 2), Big(b, at + 5, 2)};
        }
        at += 2 + Big(b, at + 2, 2);
      }
      return std::nullopt;
    }
    case ImageFormat::kWebp: {
      if (b.size() < 30) return std::nullopt;
      const std::string_view chunk = b.substr(12, 4);
      if (chunk == "VP8 ") return ImageSize{Little(b, 26, 2) & 0x3FFF, Little(b, 28, 2) & 0x3FFF};
      if (chunk == "VP8L") {
        const uint32_t bits = Little(b, 21, 4);
        return ImageSize{(bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1};
      }
      if (chunk == "VP8X") return ImageSize{Little(b, 24, 3) + 1, Little(b, 27, 3) + 1};
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace keepsake::imaging
