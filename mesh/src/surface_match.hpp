// Which triangles and vertices two meshes share bit for bit: what a local repair kept, which
// the measurements skip (a kept triangle is at distance 0 and carries its colour unchanged).
#pragma once

#include <vector>

#include "keepsake/mesh/mesh_data.hpp"

namespace keepsake::mesh {

struct SurfaceMatch {
  std::vector<bool> a_kept;    // per triangle of a: b has the same three corners
  std::vector<bool> b_kept;    // per triangle of b: a has the same three corners
  std::vector<bool> b_corner;  // per vertex of b: one of a's vertices, at the same point
};

// By sorting, not hashing: both meshes' points sorted together name each distinct point once,
// and each triangle becomes its three names in order; two sorted lists of triangles are then
// merged. About 0.4 s for two meshes of 1.25 million triangles, where hash sets of corner
// coordinates took 4 s (doubles hash poorly).
SurfaceMatch MatchSurfaces(const MeshData& a, const MeshData& b);

}  // namespace keepsake::mesh
