// `keepsake mesh prepare INPUT --height-mm N [--material ID | --colour] --out DIR`: import,
// repair to a printable solid, scale to the ordered height, check, and write DIR/model.stl,
// DIR/model.3mf (with colour also DIR/model.ply and DIR/model.wrl), DIR/preview.png and
// DIR/report.json. The prepare job runs the same code in the sandboxed worker.
// Exit 0 when a printable model was written; 2 with one clear line on stderr (and
// "printable": false with the reason in report.json) when the input cannot be made printable.
#pragma once

#include <array>
#include <optional>
#include <string>

#include <tl/expected.hpp>

namespace keepsake::services {

// A modeling engineer's fine-tuning on rework (the API's `tuning` object; the same names as
// the command's flags).
struct MeshTuning {
  std::optional<double> height_mm;              // instead of the ordered height
  std::array<double, 3> rotate_deg{};           // about X, then Y, then Z, before it is stood up
  double base_mm = 0;                           // join a round base this thick under it (0: none)
  double thicken_mm = 0;                        // make every wall this much thicker (0: as it is)
  std::optional<double> remove_parts_under_mm;  // separate parts smaller than this are removed
                                                // (default 0.8 mm; 0 keeps every part)
};

// Parses a tuning JSON object. Unknown names and values out of range are refused with the
// reason, in words for the engineer.
tl::expected<MeshTuning, std::string> ParseMeshTuning(const std::string& json_text);

struct MeshPrepareArgs {
  std::string input;
  std::string out_dir;
  double height_mm = 100;
  double min_wall_mm = 1.0;  // the material's minimum wall (products.json materials)
  bool colour = false;       // full colour: carry the model's colours to PLY, WRL and 3MF
  MeshTuning tuning;
  bool progress_lines = false;  // print "progress N phase" lines (inside the sandboxed worker)
  // The input as printed (imported, turned, scaled and placed as the result was), written as a
  // binary STL: what an independent fidelity check compares the result with (bench/).
  std::string write_original;
};

int RunMeshPrepare(const MeshPrepareArgs& args);

}  // namespace keepsake::services
