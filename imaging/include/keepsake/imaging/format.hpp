// Which image format a file is, from its magic bytes: PNG, JPEG and WebP are accepted.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace keepsake::imaging {

enum class ImageFormat { kPng, kJpeg, kWebp };

std::optional<ImageFormat> SniffImageFormat(std::string_view content);
std::string_view ImageFormatName(ImageFormat format);  // "png", "jpeg", "webp"
std::optional<ImageFormat> ParseImageFormat(std::string_view name);

// Width and height as the file's header states them (PNG IHDR, JPEG SOFn, WebP VP8/VP8L/VP8X),
// read before any decoder allocates: a 20000 x 20000 bomb is refused from its first bytes.
// nullopt when the header cannot be read.
struct ImageSize {
  int64_t width = 0;
  int64_t height = 0;
};
std::optional<ImageSize> PeekImageSize(std::string_view content, ImageFormat format);

}  // namespace keepsake::imaging
