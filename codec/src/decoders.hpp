// Private: one decoder per format, each refusing more than `max_pixels` from its header.
#pragma once

#include <string>
#include <string_view>

#include "keepsake/codec/codec.hpp"

namespace keepsake::codec {

tl::expected<Decoded, std::string> DecodePng(std::string_view bytes, int64_t max_pixels);
tl::expected<Decoded, std::string> DecodeJpeg(std::string_view bytes, int64_t max_pixels);
tl::expected<Decoded, std::string> DecodeWebp(std::string_view bytes, int64_t max_pixels);

// The refusal of a picture that says it has more pixels than allowed (by division: two 32-bit
// sides multiplied may overflow), or none.
inline std::string TooLarge(int64_t width, int64_t height, int64_t max_pixels) {
  if (width <= 0 || height <= 0) return "the picture says it has no pixels";
  if (width > max_pixels / height) {
    return "the picture says it is " + std::to_string(width) + " x " + std::to_string(height) +
           " pixels; the limit is " + std::to_string(max_pixels) + " pixels";
  }
  return "";
}

}  // namespace keepsake::codec
