// `keepsake print render --product ID --image FILE --out DIR`: the 2D products' print files
// (print.pdf, print.png, preview.png) and report.json, from assets/print_profiles.json. The
// render job runs the same code in the sandboxed worker. Exit 0 when the files were written;
// 2 with one clear line on stderr (and "printable": false in report.json) when the image
// cannot make this product.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "keepsake/imaging/print.hpp"

namespace keepsake::services {

struct PrintSettings {
  std::map<std::string, imaging::PressCondition> presses;  // by id ("presses")
  std::string face_model_path;
  std::map<std::string, imaging::PrintProfile> profiles;  // by product id
  // The press condition a product is separated for (its "press", or the default's).
  const imaging::PressCondition& PressFor(const imaging::PrintProfile& profile) const {
    return presses.at(profile.press);
  }
};

// Reads ASSETS/print_profiles.json; the reason when it is missing or malformed.
tl::expected<PrintSettings, std::string> LoadPrintSettings(const std::string& assets_dir);

// A reviewer's tuning of a 2D item (the API's `tuning` object on the event reprepare).
struct PrintTuning {
  bool allow_low_dpi = false;                        // print below the refusal dpi
  double zoom = 1;                                   // 1-4: crop in on the picture
  std::optional<std::array<double, 2>> crop_offset;  // -1..1 each: where the crop sits
  double ring_offset_mm = 0;  // keychains: -25..25, the ring moved from the balance line
};

struct PrintRenderArgs {
  std::string product;
  std::string image;
  std::string out_dir;
  bool allow_low_dpi = false;  // a reviewer's override
  double zoom = 1;             // a reviewer's crop (PrintTuning)
  std::optional<std::array<double, 2>> crop_offset{};
  double ring_offset_mm = 0;    // keychains: the ring moved from the balance line (PrintTuning)
  bool progress_lines = false;  // inside the sandboxed worker
  int preview_px = 900;         // the preview's longer side
  int64_t max_pixels = 100'000'000;
  double size_mm = 0;                  // the item's size option (keychains), 0: the profile's trim
  int sides = 1;                       // 2: a double-sided keychain
  std::string text{};                  // a postcard's greeting
  std::vector<std::string> options{};  // "k=v" from the command line (size_mm, sides)
};

int RunPrintRender(const PrintRenderArgs& args, const PrintSettings& settings);

// {"allow_low_dpi": true, "zoom": 1.5, "crop_offset": [0, -0.5], "ring_offset_mm": 3}, each
// optional; the reason
// when the object is refused.
tl::expected<PrintTuning, std::string> ParsePrintTuning(const std::string& json_text);

}  // namespace keepsake::services
