#include "decoders.hpp"

namespace keepsake::codec {

namespace {

// BGRA rows to BGR in place.
void DropAlpha(Pixels& p) {
  const size_t pixels = static_cast<size_t>(p.width) * static_cast<size_t>(p.height);
  for (size_t i = 0; i < pixels; ++i) {
    for (size_t c = 0; c < 3; ++c) p.data[3 * i + c] = p.data[4 * i + c];
  }
  p.data.resize(3 * pixels);
  p.channels = 3;
}

}  // namespace

tl::expected<Decoded, Refusal> Decode(std::string_view bytes, int64_t max_pixels, Alpha alpha) {
  const auto starts = [&bytes](std::string_view magic, size_t at = 0) {
    return bytes.size() >= at + magic.size() && bytes.substr(at, magic.size()) == magic;
  };
  tl::expected<Decoded, Refusal> decoded =
      starts("\x89PNG\r\n\x1a\n") ? DecodePng(bytes, max_pixels)
      : starts("\xFF\xD8\xFF")    ? DecodeJpeg(bytes, max_pixels)
      : starts("RIFF") && starts("WEBP", 8)
          ? DecodeWebp(bytes, max_pixels)
          : tl::unexpected(Refusal{false, "the file is not a PNG, JPEG or WebP picture"});
  if (decoded && alpha == Alpha::kDrop && decoded->pixels.channels == 4) DropAlpha(decoded->pixels);
  return decoded;
}

}  // namespace keepsake::codec
