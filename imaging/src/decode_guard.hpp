// Private: the one way a picture is decoded, for inspection and for printing alike: OpenCV's
// exceptions and empty results become kUnreadable, more pixels than allowed kTooLarge.
#pragma once

#include <cstdint>
#include <string>

#include <opencv2/core.hpp>
#include <tl/expected.hpp>

#include "keepsake/imaging/inspect.hpp"

namespace keepsake::imaging {

template <typename DecodeFn>
tl::expected<cv::Mat, Error> DecodeGuarded(DecodeFn&& decode, int64_t max_pixels) {
  cv::Mat image;
  try {
    image = decode();
  } catch (const cv::Exception& e) {
    return tl::unexpected(Error{Errc::kUnreadable, "the image cannot be decoded: " + e.msg});
  }
  if (image.empty()) {
    return tl::unexpected(Error{Errc::kUnreadable,
                                "the image cannot be decoded (corrupt, truncated, or larger than "
                                "the pixel limit)"});
  }
  if (static_cast<int64_t>(image.cols) * image.rows > max_pixels) {
    return tl::unexpected(Error{
        Errc::kTooLarge, "the image has more than " + std::to_string(max_pixels) + " pixels"});
  }
  return image;
}

}  // namespace keepsake::imaging
