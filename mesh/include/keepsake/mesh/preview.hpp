// Preview pictures for the review screen and the customer's confirmation, rendered in software
// (no GPU, no display): orthographic views from the front, the side and the back, shaded, with
// vertex colours when the mesh has them and flagged faces (thin walls) in red.
#pragma once

#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "keepsake/mesh/error.hpp"

#include "keepsake/mesh/mesh_data.hpp"

namespace keepsake::mesh {

struct PreviewRow {
  const MeshData* mesh = nullptr;
  std::string label;              // drawn above the row, ASCII
  std::vector<bool> highlighted;  // per triangle, drawn red; may be empty
};

// One PNG: a row of three views (front, side, back) per mesh, each view `view_px` square.
// Returns the PNG bytes, or why it could not be encoded.
tl::expected<std::string, Error> RenderPreviewPng(const std::vector<PreviewRow>& rows,
                                                  int view_px = 360);

}  // namespace keepsake::mesh
