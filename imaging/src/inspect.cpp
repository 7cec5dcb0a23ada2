#include "keepsake/imaging/inspect.hpp"

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
  cv::Mat image;
  try {
    image = cv::imread(path, cv::IMREAD_UNCHANGED);
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
  ImageInspection out;
  out.format = format;
  out.width_px = image.cols;
  out.height_px = image.rows;
  out.channels = image.channels();
  out.has_alpha = image.channels() == 4;
  return out;
}

}  // namespace keepsake::imaging
