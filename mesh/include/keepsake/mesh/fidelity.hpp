// How far a prepared figure is from what the customer made: distances between the original
// surface (scaled as printed) and the result, both ways, and where the result moved.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "keepsake/mesh/mesh_data.hpp"

namespace keepsake::mesh {

// A connected patch of the result (faces joined by a shared vertex) that lies farther than
// the tolerance from the original surface.
struct MovedRegion {
  double area_mm2 = 0;
  double max_mm = 0;  // the farthest of its vertices
  std::array<double, 3> centre_mm{};
  std::array<double, 3> min_mm{};
  std::array<double, 3> max_mm_corner{};
};

struct Fidelity {
  double within_mm = 0.1;
  int64_t samples = 0;  // points sampled on each surface, by area
  // Original -> result: how much of the customer's surface is still there. Surface that lies
  // inside the result (a part sunk into another: the union buries it, and nobody sees it) is
  // counted apart, in `buried_share`, and left out of the rest.
  double p50_mm = 0, p95_mm = 0, p99_mm = 0, max_mm = 0;
  double share_within = 0;  // of the original's visible area within `within_mm` of the result
  double buried_share = 0;  // of the original's area inside the result
  // Result -> original: what the result has that the original has not (a fill, a base).
  double back_p99_mm = 0, back_max_mm = 0;
  double back_share_within = 0;
  std::vector<MovedRegion> regions;  // largest first, at most the number asked for
  // Per result vertex: its distance to the original surface (0 for a vertex kept in place);
  // what the console's deviation map colours.
  std::vector<float> vertex_deviation_mm;
};

// Both meshes in the same frame and units (the original scaled to the ordered height, the
// result as RepairToSolid made it). `original` may be any triangle soup. Deterministic: the
// samples come from a fixed seed. Triangles kept exactly are known by their corners and cost
// nothing; only what changed is measured, against the surface within a few millimetres of it.
Fidelity MeasureFidelity(const MeshData& original, const MeshData& result, double within_mm = 0.1,
                         int samples = 50000, int max_regions = 8);

}  // namespace keepsake::mesh
