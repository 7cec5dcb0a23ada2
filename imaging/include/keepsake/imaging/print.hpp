// Print-ready files for the 2D products (photo prints, postcards, magnets, keychains): the
// customer's image fitted to the product's trim with bleed (cover: cropped so that faces stay
// inside the safe area; die-cut: cut around the subject), converted to CMYK through LittleCMS,
// and written as a PDF with MediaBox (trim + bleed), TrimBox, BleedBox and an output intent
// (qpdf), a PNG at the print resolution with its dpi stored, and a preview with the trim and
// safe lines drawn. Postcards get their address side as page 2, double-sided keychains their
// mirrored back. Runs only inside the sandboxed worker (or `keepsake print render`).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

#include "keepsake/imaging/inspect.hpp"

namespace keepsake::imaging {

enum class PrintShape { kRectangle, kRound, kDieCut };

// A postcard's address side, in mm from the trim's top left (the side as listed, landscape).
struct PostcardBack {
  bool present = false;
  double divider_x_mm = 0;  // the line between message and address; 0: none
  // postcode boxes (China: six red boxes at the top left, with an area kept clear around them)
  int postcode_boxes = 0;
  std::array<double, 2> box_mm{};         // width, height of one box
  double box_gap_mm = 0;                  // between boxes
  std::array<double, 2> boxes_at_mm{};    // the first box's top left
  std::array<double, 2> keep_clear_mm{};  // nothing else inside this, from the top left corner
  std::array<double, 4> box_cmyk{0, 1, 1, 0};
  std::array<double, 2> stamp_mm{};  // width, height; 0: none
  std::array<double, 2> stamp_from_top_right_mm{};
  int address_lines = 0;
  double lines_left_mm = 0, lines_right_mm = 0, lines_top_mm = 0, lines_spacing_mm = 0;
  std::array<double, 4> greeting_box_mm{};  // x, y, width, height: the customer's text goes here
  double greeting_pt = 11;
  std::string font_path;  // a font with CJK and Latin (Debian's WenQuanYi Micro Hei)
};

// One product's print numbers (assets/print_profiles.json).
struct PrintProfile {
  std::string id;
  std::string press = "fogra39";  // the press condition it is separated for (PressCondition)
  double trim_width_mm = 0;       // as listed; the artwork may turn it to match the image
  double trim_height_mm = 0;
  double bleed_mm = 0;
  double safe_mm = 0;  // inside the trim: faces and text stay in here
  int target_dpi = 300;
  int warn_below_dpi = 300;
  int refuse_below_dpi = 150;
  PrintShape shape = PrintShape::kRectangle;
  bool may_rotate = true;  // the trim may turn to the image's orientation (photos, postcards)
  // die-cut products: the subject (from the picture's transparency) is fitted inside the trim
  // less the cut offset; the cut runs cut_offset_mm around it, smoothed
  double cut_offset_mm = 2;
  double min_corner_radius_mm = 1;
  double ring_hole_mm = 0;       // keychains: a tab with a hole this wide (0: none)
  double ring_edge_mm = 2;       // the hole's distance to every edge
  bool white_underbase = false;  // clear acrylic: a White spot layer under the artwork
  int underbase_alpha = 128;     // under pixels at least this opaque (of 255): the rest is clear
  double underbase_choke_mm = 0.15;  // the White stays this far inside that edge of the artwork
  bool may_be_double_sided = false;  // keychains: sides = 2 prints the back too
  // round products are cut as a circle at the trim; a badge (button) is a disc that wraps
  // round its shell: the trim is the disc, badge_face_mm the shell's face (0: not a badge)
  double badge_face_mm = 0;
  // photo prints: also a tagged sRGB JPEG (print.jpg), what photo labs print
  bool photo_lab_jpeg = false;
  PostcardBack back;  // postcards: the address side, page 2 of the PDF
};

// The press a print file is separated for: an ICC output profile and the registered
// characterisation it stands for (the PDF/X output intent), with the limits it was built to.
// Data (assets/print_profiles.json "presses"): a shop may drop in its own licensed profile.
struct PressCondition {
  std::string id;          // fogra39
  std::string icc_path;    // the ICC output profile (CMYK, device class prtr)
  std::string identifier;  // OutputConditionIdentifier in the ICC registry, e.g. FOGRA39
  std::string registry = "http://www.color.org";
  std::string condition;            // OutputCondition: the printing condition in words
  int total_ink_limit_percent = 0;  // what the profile was built to (the report says it)
  std::string black_generation;     // likewise, in words
};

struct PrintInputs {
  std::string image_path;
  PressCondition press;
  std::string face_model_path;  // OpenCV Haar cascade; empty: centre crop only
  int64_t max_pixels = 100'000'000;
  bool allow_low_dpi = false;  // a reviewer's override of the refusal below refuse_below_dpi
  int preview_px = 900;        // the preview's longer side
  std::string text;            // a postcard's greeting (UTF-8), printed on its back
  int sides = 1;               // 2: a double-sided keychain (page 2, the back, mirrored)
  // A reviewer's crop: zoom >= 1 takes a smaller part of the picture (the dpi falls with it);
  // crop_offset places the crop in the room left around it, -1 (left, top) to 1 (right,
  // bottom), instead of centring it on the faces.
  double zoom = 1;
  std::optional<std::array<double, 2>> crop_offset;
  // keychains: the ring moved sideways from the piece's balance line, mm (a reviewer's choice)
  double ring_offset_mm = 0;
};

// Something a reviewer should look at: a code the console words in the reader's language, the
// values it names, and the English sentence for the command line and the logs. Codes:
// low_dpi {dpi, wanted}, subject_cut_off {sides}, segmented, parts_left_out {count},
// tight_corner {radius_mm}, cut_crosses_itself, face_near_trim, hangs_askew {degrees},
// ring_hole_over_subject.
struct Notice {
  std::string code;
  std::map<std::string, std::string> params;
  std::string text;
};

// A closed path of cubic Bezier segments (a cut line as potrace traces it): from `start`, each
// segment's two control points and its end; a straight edge has its controls on the line; the
// last end is `start`.
struct CubicPath {
  std::array<double, 2> start{};
  std::vector<std::array<std::array<double, 2>, 3>> segments;
};

struct PrintResult {
  std::string pdf;          // print.pdf: the front, then the back (postcards, double-sided)
  std::string png;          // print.png, RGB at target_dpi with pHYs
  std::string preview_png;  // preview.png
  std::string jpeg;         // print.jpg (photo prints): sRGB-tagged, 300 dpi in its JFIF header
  // die-cut pieces, for services that take a picture and a cut file: the artwork with the
  // outside of the cut transparent (cut.png, pHYs and sRGB), and the cut as SVG in mm (cut.svg)
  std::string cut_png;
  std::string cut_svg;
  int width_px = 0;  // of the artwork, bleed included
  int height_px = 0;
  double trim_width_mm = 0;  // after turning to the image's orientation
  double trim_height_mm = 0;
  double effective_dpi = 0;  // of the customer's pixels on the print
  // pixel art (PixelArtBlock: the side of its blocks, 1 for a sprite at its own size, 0 for
  // other pictures): scaled nearest neighbour, and exempt from the resolution rule
  int pixel_art_block = 0;
  std::string resampling;        // "nearest" (pixel art), "bicubic" (enlarged), "area" (shrunk)
  std::array<int, 4> crop_px{};  // x, y, width, height of the image used
  std::vector<std::array<int, 4>> faces;  // in the image's pixels
  std::vector<Notice> warnings;           // low dpi, face near the edge: a reviewer looks
  std::string output_intent;              // the CMYK profile's description
  // die-cut: the cut path(s) in mm from the page's lower left (the outline, then the ring hole)
  // as the cutter gets them (cut_curves_mm), and flattened to points within 0.01 mm
  std::vector<CubicPath> cut_curves_mm;
  std::vector<std::vector<std::array<double, 2>>> cut_paths_mm;
  std::vector<std::array<double, 3>> cut_circles_mm;  // x, y, radius: true circles on the cut
  // keychains: how far the piece hangs from vertical on its ring (degrees, from the hole to
  // the outline's centre of mass)
  std::optional<double> hang_deg;
  std::string input_profile;  // the picture's own ICC profile, converted from; empty: sRGB
  int pages = 1;
  int greeting_lines = 0;
  // postcards: how far the address side is turned on its page (counter-clockwise, 0 or 90);
  // both pages have the front's size and orientation
  int back_turn_deg = 0;
  // how the sheet is printed, in the PDF's Info (KeepsakePrintMode) and the report:
  // "cmyk" (no White), "white_then_colour" (clear acrylic, printed face: the White first, the
  // colour over it), "white_then_colour_both_faces" (double-sided: page 2, mirrored, likewise)
  std::string print_mode = "cmyk";
  bool segmented = false;         // die-cut subject found by segmentation (no transparency)
  bool cut_min_radius_ok = true;  // die-cut: no corner of the cut under the minimum radius
  bool cut_simple = true;         // die-cut: the cut path does not cross itself
  std::vector<std::pair<std::string, double>> step_seconds;  // where the time went
};

// Errors: kUnreadable (decoding), kTooLarge, kUnprintable (too few pixels for the product).
tl::expected<PrintResult, Error> RenderPrint(const PrintInputs& inputs,
                                             const PrintProfile& profile);

}  // namespace keepsake::imaging
