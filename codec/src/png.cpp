// PNG: read with libpng's simplified API (every bit depth, palette, grey and transparency
// turned into 8-bit BGR(A)), written by hand around libdeflate (chunks, Up filter).
#include <png.h>
#include <zlib.h>  // crc32 for the chunks

#include <cmath>
#include <memory>
#include <stdexcept>

#include <libdeflate.h>

#include "decoders.hpp"

namespace keepsake::codec {

namespace {

void PutU32(std::string& out, uint32_t v) {
  for (int k = 3; k >= 0; --k) out += static_cast<char>((v >> (8 * k)) & 0xff);
}

// A PNG chunk: length, type, data, CRC over type and data.
std::string Chunk(const char type[4], std::string_view data) {
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
  // compressed into an uninitialised buffer of the worst case (zero-filling 14 MB that is
  // about to be overwritten costs page faults), then copied at its size
  const size_t bound = libdeflate_zlib_compress_bound(compressor.get(), raw.size());
  std::unique_ptr<char[]> packed(new char[bound]);
  const size_t size =
      libdeflate_zlib_compress(compressor.get(), raw.data(), raw.size(), packed.get(), bound);
  if (size == 0) throw std::runtime_error("libdeflate could not compress the data");
  return std::string(packed.get(), size);
}

std::string UpFiltered(const uint8_t* data, size_t stride, int rows, int width, int channels,
                       bool swap_red_blue) {
  const size_t row_bytes = static_cast<size_t>(width) * static_cast<size_t>(channels);
  std::string out(static_cast<size_t>(rows) * (row_bytes + 1), '\0');
  // where each byte of a pixel comes from: in place, or blue and red changing places
  const char* order = !swap_red_blue ? "\0\1\2\3" : "\2\1\0\3";
  for (int y = 0; y < rows; ++y) {
    uint8_t* to = reinterpret_cast<uint8_t*>(out.data()) + static_cast<size_t>(y) * (row_bytes + 1);
    const uint8_t* row = data + static_cast<size_t>(y) * stride;
    const uint8_t* above = y > 0 ? row - stride : nullptr;
    to[0] = 2;
    if (!swap_red_blue) {  // the common case byte by byte, which the compiler vectorises
      for (size_t i = 0; i < row_bytes; ++i) {
        to[1 + i] = static_cast<uint8_t>(row[i] - (above != nullptr ? above[i] : 0));
      }
      continue;
    }
    for (size_t x = 0; x < row_bytes; x += static_cast<size_t>(channels)) {
      for (int c = 0; c < channels; ++c) {
        const size_t from = x + static_cast<size_t>(order[c]);
        to[1 + x + static_cast<size_t>(c)] =
            static_cast<uint8_t>(row[from] - (above != nullptr ? above[from] : 0));
      }
    }
  }
  return out;
}

std::string EncodePng(const uint8_t* pixels, int width, int height, int channels, size_t stride,
                      int dpi) {
  if (channels != 1 && channels != 3 && channels != 4) {
    throw std::invalid_argument("EncodePng takes grey, BGR or BGRA pixels");
  }
  // PNG is RGB(A): blue and red change places as the rows are filtered, straight into the
  // IDAT's rows (a 3-megapixel page is 10 MB: no copy in between)
  const std::string filtered = UpFiltered(pixels, stride, height, width, channels, channels >= 3);
  std::string ihdr;
  PutU32(ihdr, static_cast<uint32_t>(width));
  PutU32(ihdr, static_cast<uint32_t>(height));
  ihdr += '\x08';  // bit depth
  ihdr += static_cast<char>(channels == 1 ? 0 : channels == 3 ? 2 : 6);
  ihdr += std::string(3, '\0');  // deflate, adaptive filtering, no interlace
  std::string png("\x89PNG\r\n\x1a\n", 8);
  png += Chunk("IHDR", ihdr);
  // sRGB (perceptual): the pixels are sRGB, as photo labs and screens take them; without it a
  // lab's software guesses
  png += Chunk("sRGB", std::string(1, '\0'));
  if (dpi > 0) {
    std::string phys;
    const auto ppm = static_cast<uint32_t>(std::lround(dpi / 0.0254));
    PutU32(phys, ppm);
    PutU32(phys, ppm);
    phys += '\x01';  // unit: metre
    png += Chunk("pHYs", phys);
  }
  png += Chunk("IDAT", ZlibFast(filtered));
  png += Chunk("IEND", "");
  return png;
}

tl::expected<Decoded, Refusal> DecodePng(std::string_view bytes, int64_t max_pixels) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) {
    return tl::unexpected(Refusal{false, "the PNG cannot be read: " + std::string(image.message)});
  }
  std::unique_ptr<png_image, void (*)(png_image*)> closer(&image, png_image_free);
  if (auto refused = CheckSize(image.width, image.height, max_pixels)) {
    return tl::unexpected(*refused);
  }
  Decoded out;
  const bool alpha = (image.format & PNG_FORMAT_FLAG_ALPHA) != 0;
  const bool colour = (image.format & PNG_FORMAT_FLAG_COLOR) != 0;
  out.file_channels = (colour ? 3 : 1) + (alpha ? 1 : 0);
  image.format = alpha ? PNG_FORMAT_BGRA : PNG_FORMAT_BGR;
  // a 16-bit file without gAMA or sRGB is sRGB, as its 8-bit sibling would be (libpng would
  // take it as linear light and darken it); set after begin_read, which sets the flags
  image.flags |= PNG_IMAGE_FLAG_16BIT_sRGB;
  out.pixels.width = static_cast<int>(image.width);
  out.pixels.height = static_cast<int>(image.height);
  out.pixels.channels = alpha ? 4 : 3;
  out.pixels.data.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.pixels.data.data(), 0, nullptr)) {
    return tl::unexpected(Refusal{false, "the PNG is broken: " + std::string(image.message)});
  }
  return out;
}

}  // namespace keepsake::codec
