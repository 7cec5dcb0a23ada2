// Pictures to pixels and back: PNG, JPEG and WebP decoded, PNG and JPEG written, with the
// libraries Debian ships for them (libpng, libjpeg-turbo, libwebp) and libdeflate. Why not
// OpenCV's image codecs: Debian builds that library with GDAL and GDCM, which pull in some 130
// shared libraries whose loading took 0.2 s at the start of every command and every worker
// (docs/decisions.md); OpenCV's core and image processing stay.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

namespace keepsake::codec {

// 8-bit pixels, row after row without padding, in OpenCV's channel order: 1 grey, 3 blue
// green red, 4 blue green red alpha (straight, not premultiplied).
struct Pixels {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<uint8_t> data;
};

struct Decoded {
  Pixels pixels;          // 3 channels, or 4 when the file has transparency and it is kept
  int file_channels = 0;  // what the file holds: 1 grey, 2 grey + alpha, 3 colour, 4 + alpha
};

// Why a file was not decoded: it says it has more pixels than allowed (read from its header,
// before anything was allocated), or it is not a picture codec reads, or it is broken.
struct Refusal {
  bool too_large = false;
  std::string why;
};

// What becomes of the file's transparency: kept (4 channels), or dropped (3 channels, the
// colour as it is: a texture or a slip's picture prints its colour, not its transparency).
enum class Alpha { kKeep, kDrop };

// A PNG, JPEG (its EXIF orientation applied, as a camera meant it) or WebP, by its magic bytes.
tl::expected<Decoded, Refusal> Decode(std::string_view bytes, int64_t max_pixels,
                                      Alpha alpha = Alpha::kKeep);

// PNG of 8-bit grey, BGR or BGRA pixels (`stride` bytes from one row to the next), tagged
// sRGB, with a pHYs chunk saying `dpi` when it is above 0. Rows "Up"-filtered, deflated by
// libdeflate's fastest level.
std::string EncodePng(const uint8_t* pixels, int width, int height, int channels, size_t stride,
                      int dpi = 0);

// Baseline JPEG (JFIF) of 8-bit BGR pixels at `quality` (1-100), 4:2:0 as libjpeg does by
// default; `dpi` in the JFIF header when above 0.
std::string EncodeJpeg(const uint8_t* bgr, int width, int height, size_t stride, int quality,
                       int dpi = 0);

// zlib-format data of `raw` (PNG's IDAT, PDF's FlateDecode) at libdeflate's fastest level.
std::string ZlibFast(std::string_view raw);

// `rows` rows of `width` pixels of `channels` bytes (`stride` apart from `data`), each row led
// by the filter byte 2 and holding its difference from the row above ("Up"; the first row from
// zeros): what PNG's IDAT and PDF's /Predictor 12 take. `swap_red_blue`: the first and third
// byte of each pixel change places on the way (OpenCV's BGR to PNG's RGB).
std::string UpFiltered(const uint8_t* data, size_t stride, int rows, int width, int channels,
                       bool swap_red_blue = false);

}  // namespace keepsake::codec
