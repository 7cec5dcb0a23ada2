// libFuzzer: a customer's picture through what the render job does with it: typed by its
// bytes, decoded (codec/: libpng, libjpeg-turbo, libwebp) under the pixel limit, and rendered to a
// product's print files (crop, colour conversion, PDF). The first byte picks the product.
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "keepsake/imaging/format.hpp"
#include "keepsake/imaging/print.hpp"
#include "keepsake/services/print_command.hpp"
#include "scratch_folder.hpp"

namespace {

const std::string& Folder() {
  static const std::string folder = keepsake::fuzz::MakeScratchFolder("image");
  return folder;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace keepsake;
  static const auto settings = services::LoadPrintSettings(KEEPSAKE_SOURCE_DIR "/assets");
  if (!settings || settings->profiles.empty() || size < 2) return 0;
  auto profile = settings->profiles.begin();
  std::advance(profile, data[0] % settings->profiles.size());
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  if (!imaging::SniffImageFormat(bytes)) return 0;
  const std::string path = Folder() + "/input";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  imaging::PrintInputs inputs;
  inputs.image_path = path;
  inputs.press = settings->PressFor(profile->second);
  inputs.max_pixels = 4'000'000;
  inputs.allow_low_dpi = true;  // small pictures go all the way through
  inputs.preview_px = 200;
  inputs.text = data[0] & 1 ? "Happy birthday! 生日快乐" : "";
  const auto rendered = imaging::RenderPrint(inputs, profile->second);
  return 0;
}
