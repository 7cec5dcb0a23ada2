#include "keepsake/imaging/inspect.hpp"

#include "decode_guard.hpp"
#include "image_head.hpp"

#include <opencv2/core.hpp>

namespace keepsake::imaging {

tl::expected<ImageInspection, Error> InspectImage(const std::string& path, ImageFormat format,
                                                  int64_t max_pixels) {
  const auto declared = CheckDeclaredSize(ReadFilePrefix(path, 64 * 1024), format, max_pixels);
  if (!declared && declared.error().code == Errc::kTooLarge) {
    return tl::unexpected(declared.error());
  }
  auto decoded = DecodePicture(path, max_pixels);
  if (!decoded) return tl::unexpected(decoded.error());
  const cv::Mat& image = decoded->pixels;
  ImageInspection out;
  out.format = format;
  out.width_px = image.cols;
  out.height_px = image.rows;
  out.has_alpha = decoded->file_channels == 2 || decoded->file_channels == 4;
  out.channels = out.has_alpha ? 4 : decoded->file_channels == 1 ? 1 : 3;
  return out;
}

}  // namespace keepsake::imaging
