#include "keepsake/imaging/inspect.hpp"

#include "decode_guard.hpp"
#include "image_head.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

namespace keepsake::imaging {

tl::expected<ImageInspection, Error> InspectImage(const std::string& path, ImageFormat format,
                                                  int64_t max_pixels) {
  const auto declared = CheckDeclaredSize(ReadFilePrefix(path, 64 * 1024), format, max_pixels);
  if (!declared && declared.error().code == Errc::kTooLarge) {
    return tl::unexpected(declared.error());
  }
  auto decoded =
      DecodeGuarded([&path] { return cv::imread(path, cv::IMREAD_UNCHANGED); }, max_pixels);
  if (!decoded) return tl::unexpected(decoded.error());
  const cv::Mat& image = *decoded;
  ImageInspection out;
  out.format = format;
  out.width_px = image.cols;
  out.height_px = image.rows;
  out.channels = image.channels();
  out.has_alpha = image.channels() == 4;
  return out;
}

}  // namespace keepsake::imaging
