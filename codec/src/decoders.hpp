// Private: one decoder per format, each refusing more than `max_pixels` from its header.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "keepsake/codec/codec.hpp"

namespace keepsake::codec {

tl::expected<Decoded, Refusal> DecodePng(std::string_view bytes, int64_t max_pixels);
tl::expected<Decoded, Refusal> DecodeJpeg(std::string_view bytes, int64_t max_pixels);
tl::expected<Decoded, Refusal> DecodeWebp(std::string_view bytes, int64_t max_pixels);

// The refusal of a picture whose header says it has more pixels than allowed (by division:
// two 32-bit sides multiplied may overflow) or none at all; nothing when its size is fine.
inline std::optional<Refusal> CheckSize(int64_t width, int64_t height, int64_t max_pixels) {
  if (width <= 0 || height <= 0) return Refusal{false, "the picture says it has no pixels"};
  if (width > max_pixels / height) {
    return Refusal{true, "the picture says it is " + std::to_string(width) + " x " +
                             std::to_string(height) + " pixels; the limit is " +
                             std::to_string(max_pixels) + " pixels"};
  }
  return std::nullopt;
}

}  // namespace keepsake::codec
