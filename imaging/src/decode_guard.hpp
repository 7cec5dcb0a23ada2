// Private: the one way a picture is decoded, for inspection and for printing alike: through
// codec/ (libpng, libjpeg-turbo, libwebp), its refusals as kUnreadable, more pixels than
// allowed as kTooLarge.
#pragma once

#include <cstdint>
#include <string>

#include <opencv2/core.hpp>
#include <tl/expected.hpp>

#include "image_head.hpp"
#include "keepsake/codec/codec.hpp"
#include "keepsake/imaging/inspect.hpp"

namespace keepsake::imaging {

// The picture at `path` as 8-bit BGR or BGRA (a file with transparency), and how many
// channels the file itself holds (1 grey to 4 colour and alpha).
struct DecodedPicture {
  cv::Mat pixels;
  int file_channels = 0;
};

inline tl::expected<DecodedPicture, Error> DecodePicture(const std::string& path,
                                                         int64_t max_pixels) {
  const std::string bytes = ReadWholeFile(path, size_t{1} << 30);
  auto decoded = codec::Decode(bytes, max_pixels);
  if (!decoded && decoded.error().too_large) {  // from the header, before any decoding
    return tl::unexpected(Error{Errc::kTooLarge, decoded.error().why});
  }
  if (!decoded) {
    return tl::unexpected(
        Error{Errc::kUnreadable, "the image cannot be decoded: " + decoded.error().why});
  }
  codec::Pixels& p = decoded->pixels;
  DecodedPicture out;
  out.pixels = cv::Mat(p.height, p.width, CV_8UC(p.channels), p.data.data()).clone();
  out.file_channels = decoded->file_channels;
  return out;
}

}  // namespace keepsake::imaging
