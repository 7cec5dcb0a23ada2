// Printability findings that need no CGAL: does the figure stand on its own?
#pragma once

#include <array>

#include "keepsake/mesh/mesh_data.hpp"

namespace keepsake::mesh {

struct Stability {
  std::array<double, 3> centre_of_mass{};  // of the solid (uniform density), mm
  double footprint_area_mm2 = 0;  // convex hull of what touches the plate (z <= contact_mm)
  // Distance from the centre of mass (projected on the plate) to the footprint's edge: positive
  // inside (it stands), negative outside (it tips over and needs a base).
  double margin_mm = 0;
  bool stands = false;
};

// Precondition: a closed, outward-oriented mesh standing on z = 0 (as RepairToSolid makes).
Stability AnalyseStability(const MeshData& mesh, double contact_mm = 0.5);

}  // namespace keepsake::mesh
