// Which image format a file is, from its magic bytes: PNG, JPEG and WebP are accepted.
#pragma once

#include <optional>
#include <string_view>

namespace keepsake::imaging {

enum class ImageFormat { kPng, kJpeg, kWebp };

std::optional<ImageFormat> SniffImageFormat(std::string_view content);
std::string_view ImageFormatName(ImageFormat format);  // "png", "jpeg", "webp"
std::optional<ImageFormat> ParseImageFormat(std::string_view name);

}  // namespace keepsake::imaging
