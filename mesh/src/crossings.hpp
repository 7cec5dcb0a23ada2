// Private to the mesh module: the parts of a mesh and the crossings between and within them,
// sorted out locally (crossings.cpp). Used by RepairToSolid between the stitching and the
// final orientation; the whole-model rebuild is left to the caller as the last resort.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cgal_mesh.hpp"
#include "keepsake/mesh/repair.hpp"

namespace keepsake::mesh::cgal {

using StepDone = std::function<void(const char*)>;

// The pairs of faces of `sm` that cross, found incrementally: a face found clean by an earlier
// call and unchanged since (a face property) is not tested again against another such face, so
// after the first whole test only the faces a repair added, or that crossed, are tested
// against what lies near them (1.25M triangles: 4 s for the whole test, a fraction of a
// second for a round of refills). Whoever moves a kept vertex calls MarkChanged.
std::vector<std::pair<Face, Face>> CrossingPairs(SurfaceMesh& sm);

// The crossing pairs among `faces` (CGAL's self_intersections, exact predicates), on every
// core: CGAL's own Parallel_tag ran no faster than its sequential test here (4.7 s for 1.25M
// faces), so the faces are cut into slabs along the longest axis, a face reaching into two
// slabs going to both, and the slabs are tested on a pool of threads (about 2.5 s). Each pair
// once, the smaller face first.
std::vector<std::pair<Face, Face>> SelfIntersections(const SurfaceMesh& sm,
                                                     const std::vector<Face>& faces);
void MarkChanged(SurfaceMesh& sm, Vertex v);  // the faces around `v` are tested again
void MarkAllChanged(SurfaceMesh& sm);

// Splits every pinch (a vertex where separate fans of faces meet: CGAL's
// duplicate_non_manifold_vertices) and moves the copies apart, together with any other vertices
// that share a point: faces around copies at one point touch there, which CGAL's crossing test
// reports as a crossing since they share no vertex (all 173 "crossings" of the file's own faces
// in elephant-with-holes), and which a slicer would weld back into a pinch. Each copy moves
// kPinchStepMm (at most a twentieth of its shortest edge) towards its neighbours: a touch is
// gone, a true crossing stays to be repaired. Returns the vertices CGAL split.
constexpr double kPinchStepMm = 0.01;
std::size_t SplitPinches(SurfaceMesh& sm);
// The same for a surface that had no two vertices at one point before faces were removed from
// it (a cut): only the pinches the removal made are split and moved, without sorting every
// vertex.
std::size_t SplitNewPinches(SurfaceMesh& sm);

// Fills the hole whose border `h` runs along (`edges` long): triangulated, refined to the
// density around it and faired into the surface (triangulate_refine_and_fair_hole: a fill that
// follows the curvature rather than cutting across it); a plain triangulation when the fairing
// fails. `continuity`: the fairing's (0 a membrane, 1 tangent, 2 curvature: CGAL's
// fairing_continuity). The faces added are appended to `patch`; false when none could be added.
bool FillHole(SurfaceMesh& sm, Halfedge h, int edges, std::vector<Face>& patch, bool fair,
              int continuity = 1);

// Looks at every connected part of the stitched mesh `sm` (before holes are filled): removes
// the parts that are noise (specks: tiny next to the figure and far from everything) or that
// cannot be part of a solid (open sheets that cross another part: a displaced copy of a patch,
// a second skin). Every part, kept or not, is listed in report.parts; the counts go to
// report.fragments_removed, specks_removed, sheets_removed.
void SortOutParts(SurfaceMesh& sm, const RepairOptions& options, RepairReport& report,
                  const StepDone& step);

// The piece of surface joined by edges to `start`, flooded face by face, for the callers that
// look for small pieces (a cut's remnants, a union's beads) without a pass over every face.
// `too_large(f)` is told of each face taken into the piece (`start` first) and answers whether
// the piece is now too large to be what the caller looks for; the flood stops there, or on
// reaching a face `seen` marks as part of a large piece. `seen`: 0 not reached, 1 taken into a
// small piece, 2 in a large one (the flood marks its piece so when it was large).
struct Flooded {
  std::vector<Face> faces;
  bool large = false;
};
Flooded FloodPiece(const SurfaceMesh& sm, Face start, SurfaceMesh::Property_map<Face, uint8_t> seen,
                   const std::function<bool(Face)>& too_large);

// What UniteByWinding did.
struct UnionOutcome {
  double buried_area_mm2 = 0;  // surface taken away: it lay inside the solid
  int64_t pinches_split = 0;   // where two curves of the union touch
  int64_t beads_removed = 0;   // pockets under min_part_mm closed off between crossing sheets
};

// The crossings of the closed surface `sm` (`pairs`, from CrossingPairs) resolved as the union
// of what the surface bounds (self_union.cpp): the crossing faces cut along their crossing
// curves, and every patch between the curves kept when nothing lies outside it (winding number
// 0 there) and the solid inside it; the rest, buried in the solid, goes. Covers a part pushed
// into another and a surface folded through itself alike, and moves nothing that shows; a
// pocket smaller than `min_part_mm` that it closes off between two sheets goes. False
// (and `sm` in an unspecified state: the caller keeps a copy) when the result is not closed,
// when CGAL's refinement fails, or when a patch cannot be told.
bool UniteByWinding(SurfaceMesh& sm, const std::vector<std::pair<Face, Face>>& pairs,
                    double min_part_mm, UnionOutcome& outcome);

// After the holes are filled (`fill_faces` are the faces the fills added) and every part is
// closed: removes the crossings without rebuilding the model. Crossings that the fills made
// are cut out and refilled where they are; crossings that came with the file are resolved as a
// union (UniteByWinding: parts through parts and folds alike, so no volume is lost, nothing
// doubles and nothing that shows moves), else by cutting out the crossing faces and a ring
// around them and refilling (bounded in rounds and in area, the area reported) and uniting
// the shells that still cross by corefinement. `how` picks the first way: kUnion for the
// file's crossings, kRefill for the nanometre folds that rounding to single precision makes
// (a union there leaves new curves in double precision that the next rounding folds again).
// Returns the reason when crossings remain (the caller rebuilds), empty when `sm` is free of
// them.
enum class CrossingRepair { kUnion, kRefill };
std::string ResolveCrossings(SurfaceMesh& sm, const std::vector<Face>& fill_faces,
                             const RepairOptions& options, RepairReport& report,
                             const StepDone& step, CrossingRepair how = CrossingRepair::kUnion);

}  // namespace keepsake::mesh::cgal
