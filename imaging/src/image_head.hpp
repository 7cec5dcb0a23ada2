// Private: reading the start of a picture and refusing a decompression bomb from its header,
// shared by inspection and print rendering, before any decoder allocates.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

#include <tl/expected.hpp>

#include "keepsake/imaging/format.hpp"
#include "keepsake/imaging/inspect.hpp"

namespace keepsake::imaging {

// Up to `max_bytes` from the start of the file (all of it when it is shorter).
inline std::string ReadFilePrefix(const std::string& path, size_t max_bytes) {
  std::string bytes(max_bytes, '\0');
  std::ifstream file(path, std::ios::binary);
  file.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<size_t>(file.gcount()));
  return bytes;
}

// The whole file, or nothing when it cannot be read or is longer than `max_bytes` (read to
// its size: ReadFilePrefix allocates its whole limit first).
inline std::string ReadWholeFile(const std::string& path, size_t max_bytes) {
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) return "";
  const std::streamoff size = file.tellg();
  if (size <= 0 || static_cast<uint64_t>(size) > max_bytes) return "";
  std::string bytes(static_cast<size_t>(size), '\0');
  file.seekg(0);
  file.read(bytes.data(), size);
  bytes.resize(static_cast<size_t>(file.gcount()));
  return bytes;
}

// kUnreadable when the header cannot be read, kTooLarge when it declares more pixels than
// `max_pixels`.
inline tl::expected<ImageSize, Error> CheckDeclaredSize(const std::string& head, ImageFormat format,
                                                        int64_t max_pixels) {
  const auto size = PeekImageSize(head, format);
  if (!size) return tl::unexpected(Error{Errc::kUnreadable, "the image's header cannot be read"});
  // compared by division: two 32-bit sides multiplied overflow (found by fuzz_image)
  if (size->width > 0 && size->height > 0 && size->width > max_pixels / size->height) {
    return tl::unexpected(
        Error{Errc::kTooLarge, "the image says it is " + std::to_string(size->width) + " x " +
                                   std::to_string(size->height) + " pixels; the limit is " +
                                   std::to_string(max_pixels) + " pixels"});
  }
  return *size;
}

}  // namespace keepsake::imaging
