// Decodes an image and reports its size. Runs only inside the sandboxed worker; the pixel
// limit is checked from the file's header before anything is decoded.
#pragma once

#include <cstdint>
#include <string>

#include <tl/expected.hpp>

#include "keepsake/imaging/format.hpp"

namespace keepsake::imaging {

enum class Errc {
  kUnreadable,   // not decodable (corrupt, truncated, or over OpenCV's pixel limit)
  kTooLarge,     // more pixels than the limit
  kUnprintable,  // decodable, but it cannot make this product (too few pixels)
  kInternal,     // a colour profile or the PDF writer failed
};

struct Error {
  Errc code;
  std::string message;
};

// The code's stable name, as a failed job shows it ("image.unprintable").
constexpr const char* ErrcName(Errc code) {
  switch (code) {
    case Errc::kUnreadable:
      return "image.unreadable";
    case Errc::kTooLarge:
      return "image.too_large";
    case Errc::kUnprintable:
      return "image.unprintable";
    case Errc::kInternal:
      return "image.internal";
  }
  return "image.unknown";
}

struct ImageInspection {
  ImageFormat format = ImageFormat::kPng;
  int width_px = 0;
  int height_px = 0;
  int channels = 0;
  bool has_alpha = false;
};

tl::expected<ImageInspection, Error> InspectImage(const std::string& path, ImageFormat format,
                                                  int64_t max_pixels);

}  // namespace keepsake::imaging
