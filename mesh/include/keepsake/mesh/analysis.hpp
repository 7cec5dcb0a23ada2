// Printability findings that need no CGAL: does the figure stand on its own?
#pragma once

#include <array>
#include <cstddef>
#include <vector>

#include "keepsake/mesh/mesh_data.hpp"

namespace keepsake::mesh {

struct Stability {
  std::array<double, 3> centre_of_mass{};  // of the solid (uniform density), mm
  double footprint_area_mm2 = 0;  // convex hull of what touches the plate (z <= contact_mm)
  // Distance from the centre of mass (projected on the plate) to the footprint's edge: positive
  // inside (it stands), negative outside (it tips over and needs a base).
  double margin_mm = 0;
  bool stands = false;
  // After settling: a figure whose feet are not level rocks onto the lowest ones. It settles
  // on the lower convex hull face under its centre of mass, whose corners lie within
  // `settle_mm` of the lowest point for small tilts; it stands when the centre of mass is
  // inside the footprint of those points.
  double settle_mm = 0;
  double settled_margin_mm = 0;
  bool stands_after_settling = false;
  bool Rocks() const { return stands_after_settling && !stands; }  // wobbles: consider a base
};

// Precondition: a closed, outward-oriented mesh standing on z = 0 (as RepairToSolid makes).
// `settle_mm` 0 means 2 % of the height (at least `contact_mm`).
Stability AnalyseStability(const MeshData& mesh, double contact_mm = 0.5, double settle_mm = 0);

// A connected patch of surface thinner than the material's minimum wall (faces joined by a
// shared vertex), where the engineer should look: thicken, scale up, or accept.
struct ThinRegion {
  std::array<double, 3> centre{};  // area-weighted, mm
  std::array<double, 3> min{};     // bounding box, mm
  std::array<double, 3> max{};
  double area_mm2 = 0;
  double thinnest_mm = 0;
  size_t faces = 0;
};

// `face_mm` holds one thickness per triangle (as MeasureWallThickness gives). Largest area
// first, at most `max_regions`.
std::vector<ThinRegion> FindThinRegions(const MeshData& mesh, const std::vector<float>& face_mm,
                                        double threshold_mm, size_t max_regions);

}  // namespace keepsake::mesh
