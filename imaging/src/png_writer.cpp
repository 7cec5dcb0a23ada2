#include "png_writer.hpp"

#include <cmath>
#include <memory>
#include <stdexcept>
#include <vector>

#include <libdeflate.h>
#include <zlib.h>  // crc32 for the chunks

namespace keepsake::imaging {

namespace {

void PutU32(std::string& out, uint32_t v) {
  for (int k = 3; k >= 0; --k) out += static_cast<char>((v >> (8 * k)) & 0xff);
}

// A PNG chunk: length, type, data, CRC over type and data.
std::string PngChunk(const char type[4], std::string_view data) {
  std::string chunk;
  chunk.reserve(data.size() + 12);
  PutU32(chunk, static_cast<uint32_t>(data.size()));
  chunk.append(type, 4);
  chunk += data;
  const uLong crc = crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(chunk.data() + 4),
                          static_cast<uInt>(4 + data.size()));
  PutU32(chunk, static_cast<uint32_t>(crc));
  return chunk;
}

}  // namespace

std::string ZlibFast(std::string_view raw) {
  std::unique_ptr<libdeflate_compressor, void (*)(libdeflate_compressor*)> compressor(
      libdeflate_alloc_compressor(1), libdeflate_free_compressor);
  if (!compressor) throw std::runtime_error("libdeflate could not start");
  std::string packed(libdeflate_zlib_compress_bound(compressor.get(), raw.size()), '\0');
  const size_t size = libdeflate_zlib_compress(compressor.get(), raw.data(), raw.size(),
                                               packed.data(), packed.size());
  if (size == 0) throw std::runtime_error("libdeflate could not compress the image");
  packed.resize(size);
  return packed;
}

std::string UpFiltered(const uint8_t* data, size_t stride, int rows, size_t row_bytes,
                       int bytes_per_pixel) {
  (void)bytes_per_pixel;  // Up looks at the row above only
  std::string out(static_cast<size_t>(rows) * (row_bytes + 1), '\0');
  for (int y = 0; y < rows; ++y) {
    uint8_t* to = reinterpret_cast<uint8_t*>(out.data()) + static_cast<size_t>(y) * (row_bytes + 1);
    const uint8_t* row = data + static_cast<size_t>(y) * stride;
    to[0] = 2;
    if (y == 0) {
      std::copy(row, row + row_bytes, to + 1);
      continue;
    }
    const uint8_t* above = row - stride;
    for (size_t i = 0; i < row_bytes; ++i) to[1 + i] = static_cast<uint8_t>(row[i] - above[i]);
  }
  return out;
}

std::string PngWithDpi(const cv::Mat& image, int dpi) {
  if (image.depth() != CV_8U ||
      (image.channels() != 1 && image.channels() != 3 && image.channels() != 4)) {
    throw std::invalid_argument("PngWithDpi takes 8-bit grey, BGR or BGRA");
  }
  const int channels = image.channels();
  // PNG is RGB(A): BGR(A) swapped into a contiguous copy, then filtered
  cv::Mat rgb;
  if (channels == 1) {
    rgb = image.isContinuous() ? image : image.clone();
  } else {
    rgb.create(image.size(), image.type());
    const int to_rgb[] = {0, 2, 1, 1, 2, 0, 3, 3};
    cv::mixChannels(&image, 1, &rgb, 1, to_rgb, static_cast<size_t>(channels));
  }
  const size_t row_bytes = static_cast<size_t>(image.cols) * static_cast<size_t>(channels);
  const std::string filtered = UpFiltered(rgb.data, rgb.step, rgb.rows, row_bytes, channels);

  std::string ihdr;
  PutU32(ihdr, static_cast<uint32_t>(image.cols));
  PutU32(ihdr, static_cast<uint32_t>(image.rows));
  ihdr += '\x08';  // bit depth
  ihdr += static_cast<char>(channels == 1 ? 0 : channels == 3 ? 2 : 6);
  ihdr += std::string(3, '\0');  // deflate, adaptive filtering, no interlace
  std::string phys;
  const auto ppm = static_cast<uint32_t>(std::lround(dpi / 0.0254));
  PutU32(phys, ppm);
  PutU32(phys, ppm);
  phys += '\x01';  // unit: metre
  std::string png("\x89PNG\r\n\x1a\n", 8);
  png += PngChunk("IHDR", ihdr);
  // sRGB (perceptual): the pixels are sRGB, as photo labs and screens take them; without it a
  // lab's software guesses
  png += PngChunk("sRGB", std::string(1, '\0'));
  png += PngChunk("pHYs", phys);
  png += PngChunk("IDAT", ZlibFast(filtered));
  png += PngChunk("IEND", "");
  return png;
}

}  // namespace keepsake::imaging
