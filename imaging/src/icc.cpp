#include "icc.hpp"

#include <zlib.h>

#include <map>

namespace keepsake::imaging {

namespace {

constexpr size_t kMaxProfile = 4 << 20;  // real profiles are kilobytes; a bomb is not a profile

uint32_t Big(std::string_view b, size_t at) {
  uint32_t v = 0;
  for (size_t k = 0; k < 4; ++k) v = v << 8 | static_cast<unsigned char>(b[at + k]);
  return v;
}

uint32_t Little(std::string_view b, size_t at) {
  uint32_t v = 0;
  for (size_t k = 4; k-- > 0;) v = v << 8 | static_cast<unsigned char>(b[at + k]);
  return v;
}

std::string Inflate(std::string_view packed) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return {};
  std::string out;
  char buffer[16384];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
  z.avail_in = static_cast<uInt>(packed.size());
  int status = Z_OK;
  while (status == Z_OK && out.size() < kMaxProfile) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    status = inflate(&z, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - z.avail_out);
  }
  inflateEnd(&z);
  return status == Z_STREAM_END ? out : std::string();
}

std::string FromPng(std::string_view b) {
  for (size_t at = 8; at + 12 <= b.size();) {
    const uint32_t length = Big(b, at);
    const std::string_view type = b.substr(at + 4, 4);
    if (length > b.size() - at - 12) return {};
    if (type == "IDAT") return {};  // iCCP must come before the image data
    if (type == "iCCP") {
      const std::string_view data = b.substr(at + 8, length);
      const size_t name_end = data.find('\0');
      if (name_end == std::string_view::npos || name_end + 2 > data.size()) return {};
      return Inflate(data.substr(name_end + 2));  // after the name: a compression method byte
    }
    at += 12 + length;
  }
  return {};
}

std::string FromJpeg(std::string_view b) {
  std::map<int, std::string> parts;  // a profile may span several APP2 segments, numbered
  for (size_t at = 2; at + 4 <= b.size();) {
    if (static_cast<unsigned char>(b[at]) != 0xFF) break;
    const unsigned char marker = static_cast<unsigned char>(b[at + 1]);
    if (marker == 0xDA || marker == 0xD9) break;  // start of scan: no more metadata
    const size_t length =
        (static_cast<unsigned char>(b[at + 2]) << 8) | static_cast<unsigned char>(b[at + 3]);
    if (length < 2 || at + 2 + length > b.size()) break;
    const std::string_view data = b.substr(at + 4, length - 2);
    if (marker == 0xE2 && data.size() > 14 &&
        data.substr(0, 12) == std::string_view("ICC_PROFILE\0", 12)) {
      parts[static_cast<unsigned char>(data[12])] = std::string(data.substr(14));
    }
    at += 2 + length;
  }
  std::string profile;
  for (const auto& [sequence, part] : parts) profile += part;
  return profile.size() <= kMaxProfile ? profile : std::string();
}

std::string FromWebp(std::string_view b) {
  for (size_t at = 12; at + 8 <= b.size();) {
    const uint32_t size = Little(b, at + 4);
    if (size > b.size() - at - 8) return {};
    if (b.substr(at, 4) == "ICCP") return std::string(b.substr(at + 8, size));
    at += 8 + size + (size & 1);
  }
  return {};
}

}  // namespace

std::string EmbeddedIccProfile(std::string_view file, ImageFormat format) {
  switch (format) {
    case ImageFormat::kPng:
      return FromPng(file);
    case ImageFormat::kJpeg:
      return FromJpeg(file);
    case ImageFormat::kWebp:
      return FromWebp(file);
  }
  return {};
}

}  // namespace keepsake::imaging
