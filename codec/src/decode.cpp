#include "decoders.hpp"

namespace keepsake::codec {

tl::expected<Decoded, std::string> Decode(std::string_view bytes, int64_t max_pixels) {
  const auto starts = [&bytes](std::string_view magic, size_t at = 0) {
    return bytes.size() >= at + magic.size() && bytes.substr(at, magic.size()) == magic;
  };
  if (starts("\x89PNG\r\n\x1a\n")) return DecodePng(bytes, max_pixels);
  if (starts("\xFF\xD8\xFF")) return DecodeJpeg(bytes, max_pixels);
  if (starts("RIFF") && starts("WEBP", 8)) return DecodeWebp(bytes, max_pixels);
  return tl::unexpected(std::string("the file is not a PNG, JPEG or WebP picture"));
}

}  // namespace keepsake::codec
