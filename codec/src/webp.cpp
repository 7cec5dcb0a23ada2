// WebP through libwebp: BGR, or BGRA when the file has transparency.
#include <webp/decode.h>

#include "decoders.hpp"

namespace keepsake::codec {

tl::expected<Decoded, Refusal> DecodeWebp(std::string_view bytes, int64_t max_pixels) {
  WebPBitstreamFeatures features{};
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  if (WebPGetFeatures(data, bytes.size(), &features) != VP8_STATUS_OK) {
    return tl::unexpected(Refusal{false, "the WebP's header cannot be read"});
  }
  if (auto refused = CheckSize(features.width, features.height, max_pixels)) {
    return tl::unexpected(*refused);
  }
  Decoded out;
  out.file_channels = features.has_alpha ? 4 : 3;
  Pixels& p = out.pixels;
  p.width = features.width;
  p.height = features.height;
  p.channels = features.has_alpha ? 4 : 3;
  p.data.resize(static_cast<size_t>(p.width) * p.height * p.channels);
  const int stride = p.width * p.channels;
  const uint8_t* done =
      features.has_alpha
          ? WebPDecodeBGRAInto(data, bytes.size(), p.data.data(), p.data.size(), stride)
          : WebPDecodeBGRInto(data, bytes.size(), p.data.data(), p.data.size(), stride);
  if (done == nullptr) return tl::unexpected(Refusal{false, "the WebP is broken"});
  return out;
}

}  // namespace keepsake::codec
