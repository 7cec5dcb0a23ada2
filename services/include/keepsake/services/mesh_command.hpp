// `keepsake mesh prepare INPUT --height-mm N --out DIR`: import, repair to a printable solid,
// scale to the ordered height, check, and write DIR/model.stl and DIR/report.json.
// Exit 0 when a printable model was written; 2 with one clear line on stderr (and
// "printable": false with the reason in report.json) when the input cannot be made printable.
#pragma once

#include <string>

namespace keepsake::services {

struct MeshPrepareArgs {
  std::string input;
  std::string out_dir;
  double height_mm = 100;
  double min_wall_mm = 1.0;     // the material's minimum wall (white resin 1.0, full colour 2.0)
  bool progress_lines = false;  // print "progress N phase" lines (inside the sandboxed worker)
};

int RunMeshPrepare(const MeshPrepareArgs& args);

}  // namespace keepsake::services
