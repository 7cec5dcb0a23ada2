// Repairs an imported mesh into a printable solid at print scale: one or more closed
// 2-manifold shells, oriented outward, without self-intersections or degenerate faces, as
// close to the customer's surface as that allows. Local repair (CGAL Polygon Mesh
// Processing): welding, stitching, hole filling, noise and crossing sheets removed, crossing
// parts united by autorefinement, folds cut out and refilled. Only what stays broken is
// rebuilt (CGAL 3D Alpha Wrapping) at the printer's resolution, and the report says so.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

#include "keepsake/mesh/error.hpp"
#include "keepsake/mesh/fidelity.hpp"
#include "keepsake/mesh/mesh_data.hpp"
#include "keepsake/mesh/texture.hpp"

namespace keepsake::mesh {

struct RepairOptions {
  double height_mm = 100;            // ordered height; every tolerance below is at this scale
  double weld_tolerance_mm = 0.001;  // vertices closer than this are one (hairline cracks)
  int max_hole_edges = 400;          // larger holes are left to the volumetric rebuild
  double min_part_mm = 0.8;          // a separate part smaller than this (bbox diagonal) is a
                                     // floating fragment and is removed; larger parts are kept
  int max_local_crossings = 2000;    // up to this many crossings made by hole fills are
                                     // removed locally before falling back to the rebuild
  // A part smaller than this share of the largest part's size (bbox diagonal), and farther
  // from every other part than twice its own size, is noise from the generator (a speck).
  double speck_share = 0.03;
  // Cutting out folds may take at most this share of the file's surface (what is refilled
  // follows the border of the cut, so the fidelity check says how far the shape moved).
  double max_replaced_share = 0.25;
  int max_refill_rounds = 12;  // rounds of cutting out crossings and refilling, at most
  // The last resort, a rebuild of the whole model, at the printer's resolution:
  double wrap_alpha_mm = 0.1;     // detail of the volumetric rebuild, at the finest: its time
                                  // grows with area / alpha^2, so a large surface takes a
  double wrap_cells = 60000;      // coarser alpha, sqrt(area / wrap_cells), said in the report
  double wrap_offset_mm = 0.02;   // how far the rebuilt surface lies outside the input
  double thicken_alpha_mm = 0.5;  // detail of a thickening rebuild (walls made thicker)
  // The result is compared with the input (both as printed) and the distances reported.
  bool measure_fidelity = true;
  // Carry the input's colour (vertex colours, texture coordinates) and measure it; a white
  // figure's order turns it off.
  bool colour = true;
  double fidelity_within_mm = 0.1;
  // Fine-tuning by a modeling engineer (rework):
  double thicken_mm = 0;  // > 0: rebuild with every wall this much thicker (half on each side)
  double base_mm = 0;     // > 0: join a round base of this thickness under the figure; the
                          // ordered height then includes the base
};

// One connected part of the input (after welding and stitching) and what became of it.
struct RepairPart {
  int64_t triangles = 0;
  double size_mm = 0;  // bounding-box diagonal at print scale
  std::array<double, 3> centre_mm{};
  bool closed = false;  // before holes were filled
  // kept | united (with the parts it crosses) | removed_fragment (under min_part_mm) |
  // removed_speck (tiny and far from everything) | removed_sheet (open, crossing another part)
  std::string fate;
};

// What was done, counted. Every change to the customer's model shows here.
struct RepairReport {
  int64_t input_vertices = 0;
  int64_t input_triangles = 0;
  int64_t welded_vertices = 0;        // merged by the tolerance weld
  int64_t degenerate_triangles = 0;   // removed (repeated vertex after welding, zero area)
  int64_t soup_fixes = 0;             // polygons removed or merged by the soup repair
  int64_t stitched_edges = 0;         // border edge pairs stitched together
  int64_t non_manifold_vertices = 0;  // split into manifold ones
  int64_t holes_filled = 0;
  int64_t triangles_added_by_fills = 0;   // by the hole fills and the refills of cut crossings
  int64_t triangles_added_by_unions = 0;  // split along the curves where united parts meet
  int64_t holes_left = 0;
  int64_t parts_in = 0;                       // connected components before removal
  int64_t fragments_removed = 0;              // every part removed (the three kinds below)
  int64_t specks_removed = 0;                 // noise: tiny and far from the figure
  int64_t sheets_removed = 0;                 // open sheets crossing a part
  std::vector<RepairPart> parts;              // every part with its fate
  int64_t self_intersections = 0;             // pairs of faces found after local repair
  int64_t self_intersections_from_fills = 0;  // of those, involving a face a hole fill added
  int64_t self_intersections_removed = 0;     // removed locally, by any of the ways below
  int64_t crossings_united = 0;               // pairs resolved by a union
  int64_t crossings_refilled = 0;             // pairs resolved by cutting out and refilling
  double area_replaced_mm2 = 0;               // surface the cut-and-refill replaced
  double area_buried_mm2 = 0;                 // surface a union took away: inside the solid
  int64_t beads_removed = 0;     // pockets under min_part_mm a union closed off between two sheets
  double wrap_alpha_mm = 0;      // the rebuild's detail, when it was used
  int64_t cavities_removed = 0;  // closed voids inside the solid (they would trap resin)
  bool rebuilt = false;          // the volumetric rebuild was used
  std::string rebuild_reason;
  double thickened_mm = 0;    // every wall made this much thicker (fine-tuning)
  double base_radius_mm = 0;  // radius of the joined base before the final scaling, or 0
  std::vector<std::pair<std::string, double>> step_seconds;  // where the time went
  int64_t output_vertices = 0;
  int64_t output_triangles = 0;
  int64_t shells = 0;
  double seconds = 0;
};

// Independent check of the solid properties, with CGAL's exact predicates.
struct SolidCheck {
  bool polygon_mesh = false;  // every edge has at most two faces, consistently oriented
  bool closed = false;        // no border edges
  bool outward = false;       // every shell bounds a positive volume (no voids)
  int64_t self_intersections = 0;
  int64_t degenerate_faces = 0;
  int64_t shells = 0;
  bool Ok() const {
    return polygon_mesh && closed && outward && self_intersections == 0 && degenerate_faces == 0;
  }
};

struct RepairResult {
  // In mm, standing on z = 0, Z extent = height_mm. When the input has vertex colours, every
  // output vertex is coloured from the closest point of the input surface.
  MeshData mesh;
  RepairReport report;
  Fidelity fidelity;  // the result against the input as printed (options.measure_fidelity)
  // How the input's coordinates became the result's: `to_height` first, then `final` (the
  // result placed again when a removed part or the wrap changed its bounds).
  Placement to_height, final;
  // The solid properties of `mesh`, from the repair's last step: its crossing test ran on the
  // final single-precision coordinates, so the whole test is not run again (4 s at 1.25M
  // triangles). The tests check every result with CheckSolid independently.
  SolidCheck check;
  // With a texture (input.uvs): how the result's coordinates were found.
  TextureTransfer texture;
  // With colour (a texture or vertex colours): the colour the result prints against the
  // input's, and the same for the result's vertex colours alone (the plain colour path).
  ColourFidelity colour, vertex_colour;
  std::vector<float> corner_colour_de;  // CornerColourDifferences, with colour
};

// Errors: kEmpty (nothing printable left), kUnreadable (the geometry is unusable).
tl::expected<RepairResult, Error> RepairToSolid(const MeshData& input,
                                                const RepairOptions& options);

SolidCheck CheckSolid(const MeshData& mesh);

// Local wall thickness: for each face, one ray from its centre inward along its normal to the
// first other face (Embree, src/walls.cpp). Area-weighted, in the mesh's units (mm at print scale).
struct WallThickness {
  double area_mm2 = 0;
  double area_below_mm2 = 0;  // area whose thickness is under `threshold_mm`
  double threshold_mm = 0;
  double p1_mm = 0;            // 1st percentile of thickness by area
  double p50_mm = 0;           // median by area
  std::vector<float> face_mm;  // per triangle of the measured mesh (infinity: no opposite wall)
  double ShareBelow() const { return area_mm2 > 0 ? area_below_mm2 / area_mm2 : 0; }
};
WallThickness MeasureWallThickness(const MeshData& mesh, double threshold_mm);

}  // namespace keepsake::mesh
