// JPEG through libjpeg-turbo: decoded to BGR (grey and CMYK files too) with the EXIF
// orientation applied, and written as baseline JFIF. libjpeg reports errors by calling
// error_exit; ours jumps back to the decoding function with the message (setjmp: no C++
// object lives between the jump and its target).
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <jpeglib.h>

#include "decoders.hpp"

namespace keepsake::codec {

namespace {

struct ErrorJump {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void JumpOnError(j_common_ptr info) {
  auto* error = reinterpret_cast<ErrorJump*>(info->err);
  (*info->err->format_message)(info, error->message);
  std::longjmp(error->jump, 1);
}

void IgnoreMessage(j_common_ptr, int) {}  // warnings (a corrupt byte) are not refusals

// libjpeg's error manager in `error`, its errors jumping back to `error.jump` with the message
// and its warnings ignored: what info.err is set to, reading or writing.
jpeg_error_mgr* JumpingErrors(ErrorJump& error) {
  jpeg_std_error(&error.manager);
  error.manager.error_exit = JumpOnError;
  error.manager.emit_message = IgnoreMessage;
  return &error.manager;
}

// The orientation (1-8) in an EXIF APP1 segment's TIFF header, 1 when there is none.
int ExifOrientation(const jpeg_saved_marker_ptr markers) {
  for (jpeg_saved_marker_ptr m = markers; m != nullptr; m = m->next) {
    if (m->marker != JPEG_APP0 + 1 || m->data_length < 14 ||
        std::memcmp(m->data, "Exif\0\0", 6) != 0) {
      continue;
    }
    const uint8_t* tiff = m->data + 6;
    const size_t size = m->data_length - 6;
    const bool little = tiff[0] == 'I' && tiff[1] == 'I';
    auto u16 = [&](size_t at) -> unsigned {
      if (at + 2 > size) return 0;
      return little ? tiff[at] | tiff[at + 1] << 8 : tiff[at] << 8 | tiff[at + 1];
    };
    auto u32 = [&](size_t at) -> size_t {
      if (at + 4 > size) return size;
      return little ? tiff[at] | tiff[at + 1] << 8 | tiff[at + 2] << 16 |
                          static_cast<size_t>(tiff[at + 3]) << 24
                    : static_cast<size_t>(tiff[at]) << 24 | tiff[at + 1] << 16 | tiff[at + 2] << 8 |
                          tiff[at + 3];
    };
    const size_t ifd = u32(4);
    const unsigned entries = u16(ifd);
    for (unsigned i = 0; i < entries; ++i) {
      const size_t entry = ifd + 2 + 12 * static_cast<size_t>(i);
      if (entry + 12 > size) break;
      if (u16(entry) == 0x0112) {  // Orientation, a SHORT
        const unsigned value = u16(entry + 8);
        return value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
      }
    }
  }
  return 1;
}

// The pixels turned as EXIF orientation `o` says (2-8: mirrored and/or rotated), so that the
// picture stands as the camera held it.
Pixels Oriented(const Pixels& in, int o) {
  if (o <= 1) return in;
  const bool swap = o >= 5;  // 5-8 turn by a quarter: width and height change places
  Pixels out;
  out.width = swap ? in.height : in.width;
  out.height = swap ? in.width : in.height;
  out.channels = in.channels;
  out.data.resize(in.data.size());
  const int c = in.channels;
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      int sx = x, sy = y;  // where this output pixel comes from
      switch (o) {
        case 2:
          sx = in.width - 1 - x;
          break;
        case 3:
          sx = in.width - 1 - x;
          sy = in.height - 1 - y;
          break;
        case 4:
          sy = in.height - 1 - y;
          break;
        case 5:
          sx = y;
          sy = x;
          break;
        case 6:
          sx = y;
          sy = in.height - 1 - x;
          break;
        case 7:
          sx = in.width - 1 - y;
          sy = in.height - 1 - x;
          break;
        case 8:
          sx = in.width - 1 - y;
          sy = x;
          break;
        default:
          break;
      }
      std::memcpy(&out.data[(static_cast<size_t>(y) * out.width + x) * c],
                  &in.data[(static_cast<size_t>(sy) * in.width + sx) * c], static_cast<size_t>(c));
    }
  }
  return out;
}

// The decoding proper, with setjmp: everything it fills lives in the caller's frame, and its
// own locals are plain C structures, so a jump back from libjpeg skips no destructor.
bool ReadJpeg(std::string_view bytes, int64_t max_pixels, Decoded& out,
              std::vector<uint8_t>& cmyk_row, int& orientation, Refusal& refusal) {
  jpeg_decompress_struct info{};
  ErrorJump error{};
  info.err = JumpingErrors(error);
  if (setjmp(error.jump) != 0) {
    jpeg_destroy_decompress(&info);
    refusal.why.assign("the JPEG is broken: ").append(error.message);
    return false;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, reinterpret_cast<const unsigned char*>(bytes.data()),
               static_cast<unsigned long>(bytes.size()));
  jpeg_save_markers(&info, JPEG_APP0 + 1, 0xffff);
  jpeg_read_header(&info, TRUE);
  if (auto refused = CheckSize(info.image_width, info.image_height, max_pixels)) {
    refusal = *refused;
    jpeg_destroy_decompress(&info);
    return false;
  }
  const bool cmyk = info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK;
  out.file_channels = info.num_components == 1 ? 1 : 3;
  info.out_color_space = cmyk ? JCS_CMYK : JCS_EXT_BGR;
  jpeg_start_decompress(&info);
  Pixels& p = out.pixels;
  p.width = static_cast<int>(info.output_width);
  p.height = static_cast<int>(info.output_height);
  p.channels = 3;
  p.data.resize(static_cast<size_t>(p.width) * p.height * 3);
  cmyk_row.resize(cmyk ? static_cast<size_t>(p.width) * 4 : 0);
  while (info.output_scanline < info.output_height) {
    uint8_t* row = &p.data[static_cast<size_t>(info.output_scanline) * p.width * 3];
    JSAMPROW target = cmyk ? cmyk_row.data() : row;
    jpeg_read_scanlines(&info, &target, 1);
    if (cmyk) {  // Adobe's CMYK JPEGs store the inks inverted: 255 is no ink
      for (int x = 0; x < p.width; ++x) {
        const unsigned k = cmyk_row[4 * x + 3];
        row[3 * x] = static_cast<uint8_t>(cmyk_row[4 * x + 2] * k / 255);
        row[3 * x + 1] = static_cast<uint8_t>(cmyk_row[4 * x + 1] * k / 255);
        row[3 * x + 2] = static_cast<uint8_t>(cmyk_row[4 * x] * k / 255);
      }
    }
  }
  orientation = ExifOrientation(info.marker_list);
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return true;
}

// Likewise for writing: the bytes land in libjpeg's buffer, freed by the caller.
bool WriteJpeg(const uint8_t* bgr, int width, int height, size_t stride, int quality, int dpi,
               unsigned char** buffer, unsigned long* size, std::string& why) {
  jpeg_compress_struct info{};
  ErrorJump error{};
  info.err = JumpingErrors(error);
  if (setjmp(error.jump) != 0) {
    jpeg_destroy_compress(&info);
    why.assign("the JPEG cannot be written: ").append(error.message);
    return false;
  }
  jpeg_create_compress(&info);
  jpeg_mem_dest(&info, buffer, size);
  info.image_width = static_cast<JDIMENSION>(width);
  info.image_height = static_cast<JDIMENSION>(height);
  info.input_components = 3;
  info.in_color_space = JCS_EXT_BGR;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, quality, TRUE);
  if (dpi > 0) {
    info.density_unit = 1;  // dots per inch
    info.X_density = static_cast<UINT16>(dpi);
    info.Y_density = static_cast<UINT16>(dpi);
  }
  jpeg_start_compress(&info, TRUE);
  while (info.next_scanline < info.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(bgr + static_cast<size_t>(info.next_scanline) * stride);
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  return true;
}

}  // namespace

tl::expected<Decoded, Refusal> DecodeJpeg(std::string_view bytes, int64_t max_pixels) {
  Decoded out;
  std::vector<uint8_t> cmyk_row;
  int orientation = 1;
  Refusal refusal;
  if (!ReadJpeg(bytes, max_pixels, out, cmyk_row, orientation, refusal)) {
    return tl::unexpected(refusal);
  }
  if (orientation > 1) out.pixels = Oriented(out.pixels, orientation);
  return out;
}

std::string EncodeJpeg(const uint8_t* bgr, int width, int height, size_t stride, int quality,
                       int dpi) {
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  std::string why;
  const bool written = WriteJpeg(bgr, width, height, stride, quality, dpi, &buffer, &size, why);
  std::string jpeg = written ? std::string(reinterpret_cast<const char*>(buffer), size) : "";
  std::free(buffer);
  if (!written) throw std::runtime_error(why);
  return jpeg;
}

}  // namespace keepsake::codec
