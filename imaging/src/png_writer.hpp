// Private: the compressed rasters Keepsake writes itself, fast: zlib data by libdeflate, the
// PNG "Up" filter (PNG's IDAT and PDF's /Predictor 12 take the same rows), and PNG files with
// their sRGB and pHYs chunks. Print artwork is 3-15 MB of pixels a product: libdeflate's
// fastest level deflates Up-filtered artwork about 3 times as fast as zlib's (and 7 % smaller),
// which leaves the other core free for the other file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <opencv2/core.hpp>

namespace keepsake::imaging {

// zlib-format data of `raw` (what PNG's IDAT and PDF's FlateDecode take), libdeflate's
// fastest level. Throws std::runtime_error when it cannot.
std::string ZlibFast(std::string_view raw);

// `rows` rows of `row_bytes` bytes (`stride` apart from `data`), each led by the filter byte
// 2 and holding its difference from the row above ("Up"; the first row from zeros).
std::string UpFiltered(const uint8_t* data, size_t stride, int rows, size_t row_bytes,
                       int bytes_per_pixel);

// PNG bytes of an 8-bit grey, BGR or BGRA image, tagged sRGB, with a pHYs chunk saying its dpi.
std::string PngWithDpi(const cv::Mat& image, int dpi);

}  // namespace keepsake::imaging
