// Crossings resolved as a union: the surface split where it crosses itself, and what ends up
// inside the solid taken away (a CGAL translation unit: about 50 s to build).
//
// A tail through a rump, an arm through a body, a fold of a surface through its neighbour: each
// is a closed surface that bounds the same solid twice. The solid the customer sees is where
// the surface winds around a point at least once; its boundary is the part of the surface with
// nothing (winding 0) on its outer side. So:
//   1. the crossing faces are cut along the curves where they cross (CGAL's experimental
//      `autorefine`, run on a copy of those faces alone, not the whole mesh);
//   2. the surface falls into patches bounded by those curves, and each patch that was cut is
//      kept when the winding number just outside it is 0 and just inside it at least 1 (one
//      ray per patch, counted with exact predicates);
//   3. the patches kept are stitched along the curves.
// Nothing is refilled or moved, so what shows of the figure stays exactly where it was; the
// surface taken away is buried inside the solid. CGAL's own
// `autorefine_and_remove_self_intersections` decides each patch from the faces around its
// curve, and kept 10 triangles of cow.off's 5,804; the winding number decides from the whole
// surface. When anything does not come out closed and clean, the caller cuts and refills.
#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <limits>
#include <map>
#include <vector>

#include <CGAL/Polygon_mesh_processing/connected_components.h>
#include <CGAL/Polygon_mesh_processing/corefinement.h>
#include <CGAL/Polygon_mesh_processing/stitch_borders.h>
#include <CGAL/boost/graph/Euler_operations.h>
#include <CGAL/boost/graph/Face_filtered_graph.h>
#include <CGAL/boost/graph/copy_face_graph.h>

#include "crossings.hpp"

namespace keepsake::mesh::cgal {

namespace {

namespace PMP = CGAL::Polygon_mesh_processing;

using Point2 = Kernel::Point_2;

// A ray from inside a face along the axis of its normal's largest component.
struct Ray {
  Face from;
  Point origin;
  int axis = 0;             // 0, 1, 2
  int face_sign = 0;        // sign of the face's normal along the axis
  bool degenerate = false;  // it grazed an edge, a corner or a plane: ask again elsewhere
  int winding = 0;          // the surface's crossings ahead of it, signed, the face itself left out
};

Point2 Project(const Point& p, int axis) {
  const int i = (axis + 1) % 3, j = (axis + 2) % 3;
  return {p[i], p[j]};
}

// A ray from the point of `f` at barycentric weights `w`.
Ray RayFrom(const SurfaceMesh& sm, Face f, const std::array<double, 3>& w) {
  const std::array<Point, 3> p = FacePoints(sm, f);
  const Kernel::Vector_3 n = CGAL::cross_product(p[1] - p[0], p[2] - p[0]);
  Ray ray;
  ray.from = f;
  for (int k = 1; k < 3; ++k) {
    if (std::abs(n[k]) > std::abs(n[ray.axis])) ray.axis = k;
  }
  ray.face_sign = n[ray.axis] > 0 ? 1 : -1;
  ray.origin = Point(w[0] * p[0].x() + w[1] * p[1].x() + w[2] * p[2].x(),
                     w[0] * p[0].y() + w[1] * p[1].y() + w[2] * p[2].y(),
                     w[0] * p[0].z() + w[1] * p[1].z() + w[2] * p[2].z());
  return ray;
}

// Counts what `ray` meets of face `g` (corners `p`): strictly inside the face's shadow along
// the ray and ahead of its origin, +1 or -1 by the sign of the face's normal along the ray; an
// edge, a corner or a plane through the origin makes the ray degenerate.
void Meet(const std::array<Point, 3>& p, Ray& ray) {
  const int k = ray.axis;
  const Point& o = ray.origin;
  const Point2 a = Project(p[0], k), b = Project(p[1], k), c = Project(p[2], k), q = Project(o, k);
  const CGAL::Orientation s1 = CGAL::orientation(a, b, q), s2 = CGAL::orientation(b, c, q),
                          s3 = CGAL::orientation(c, a, q);
  const bool some_positive = s1 == CGAL::POSITIVE || s2 == CGAL::POSITIVE || s3 == CGAL::POSITIVE;
  const bool some_negative = s1 == CGAL::NEGATIVE || s2 == CGAL::NEGATIVE || s3 == CGAL::NEGATIVE;
  if (some_positive && some_negative) return;  // outside the triangle's shadow
  if (s1 == CGAL::COLLINEAR || s2 == CGAL::COLLINEAR || s3 == CGAL::COLLINEAR) {
    ray.degenerate = true;  // on an edge or a corner of the shadow, or the face edge-on
    return;
  }
  // inside the shadow: does the face's plane lie ahead? (q's side of the plane against the side
  // that +k points to)
  const int normal_sign = some_positive ? 1 : -1;  // the face's normal along +k
  const CGAL::Orientation side = CGAL::orientation(p[0], p[1], p[2], o);
  if (side == CGAL::COPLANAR) {
    ray.degenerate = true;
    return;
  }
  const int side_sign = side == CGAL::POSITIVE ? 1 : -1;
  if (side_sign != normal_sign) ray.winding += normal_sign;
}

// Casts every ray through every face of `sm` in one pass over the faces. The rays of each axis
// are sorted by their first coordinate across it, so a face looks only at the rays within its
// box there (a thousand patches on a million faces cost a pass, not a thousand).
void Cast(const SurfaceMesh& sm, std::vector<Ray>& rays) {
  std::array<std::vector<std::size_t>, 3> by_axis;  // ray indices, by o[(axis + 1) % 3]
  for (std::size_t r = 0; r < rays.size(); ++r) by_axis[rays[r].axis].push_back(r);
  for (int k = 0; k < 3; ++k) {
    const int i = (k + 1) % 3;
    std::sort(by_axis[k].begin(), by_axis[k].end(),
              [&](std::size_t x, std::size_t y) { return rays[x].origin[i] < rays[y].origin[i]; });
  }
  for (Face g : sm.faces()) {
    const std::array<Point, 3> p = FacePoints(sm, g);
    for (int k = 0; k < 3; ++k) {
      const std::vector<std::size_t>& sorted = by_axis[k];
      if (sorted.empty()) continue;
      const int i = (k + 1) % 3, j = (k + 2) % 3;
      const double min_i = std::min({p[0][i], p[1][i], p[2][i]});
      const double max_i = std::max({p[0][i], p[1][i], p[2][i]});
      const double min_j = std::min({p[0][j], p[1][j], p[2][j]});
      const double max_j = std::max({p[0][j], p[1][j], p[2][j]});
      const double max_k = std::max({p[0][k], p[1][k], p[2][k]});
      auto it = std::lower_bound(sorted.begin(), sorted.end(), min_i,
                                 [&](std::size_t r, double v) { return rays[r].origin[i] < v; });
      for (; it != sorted.end() && rays[*it].origin[i] <= max_i; ++it) {
        Ray& ray = rays[*it];
        const Point& o = ray.origin;
        // the ray runs along +k from o
        if (ray.degenerate || g == ray.from || max_k < o[k] || o[j] < min_j || o[j] > max_j) {
          continue;
        }
        Meet(p, ray);
      }
    }
  }
}

// Winding numbers just outside and just inside each face of `faces` (one per patch).
struct Sides {
  int outside = 0, inside = 0;
  bool known = false;
};

std::vector<Sides> WindingBesideFaces(const SurfaceMesh& sm, const std::vector<Face>& faces) {
  // the centroid first; where a ray grazes something, other points of the face
  static constexpr std::array<std::array<double, 3>, 4> kWeights = {
      {{1.0 / 3, 1.0 / 3, 1.0 / 3}, {0.5, 0.3, 0.2}, {0.2, 0.5, 0.3}, {0.3, 0.2, 0.5}}};
  std::vector<Sides> sides(faces.size());
  std::vector<std::size_t> pending(faces.size());
  for (std::size_t i = 0; i < faces.size(); ++i) pending[i] = i;
  for (const auto& w : kWeights) {
    if (pending.empty()) break;
    std::vector<Ray> rays;
    for (std::size_t i : pending) rays.push_back(RayFrom(sm, faces[i], w));
    Cast(sm, rays);
    std::vector<std::size_t> again;
    for (std::size_t r = 0; r < rays.size(); ++r) {
      Sides& s = sides[pending[r]];
      if (rays[r].degenerate) {
        again.push_back(pending[r]);
        continue;
      }
      // ahead of the origin lies the face's outer side when its normal points along the ray
      if (rays[r].face_sign > 0) {
        s.outside = rays[r].winding;
        s.inside = rays[r].winding + 1;
      } else {
        s.inside = rays[r].winding;
        s.outside = rays[r].winding - 1;
      }
      s.known = true;
    }
    pending = std::move(again);
  }
  return sides;
}

// A union can close off a pocket a fraction of a millimetre wide between two crossing sheets
// (diplodocus.off: 4 faces, 0.08 mm across): a shell of its own, smaller than `min_part_mm`,
// that would print as a loose bead, and goes. Only shells that hold a face of the union can be
// new: each is flooded from there, and a flood that grows past the size of a bead (or reaches a
// shell known to be larger) stops, so the figure's own shell costs a few faces, not a pass.
void RemoveBeads(SurfaceMesh& sm, SurfaceMesh::Property_map<Face, bool> added, double min_part_mm,
                 UnionOutcome& outcome) {
  constexpr std::size_t kMostFaces = 2000;
  auto seen = sm.add_property_map<Face, uint8_t>("f:bead_seen", 0).first;
  std::vector<Face> beads;
  for (Face start : sm.faces()) {
    if (!added[start] || seen[start] != 0) continue;
    CGAL::Bbox_3 box;
    std::size_t taken = 0;
    const Flooded piece = FloodPiece(sm, start, seen, [&](Face f) {
      for (Vertex v : CGAL::vertices_around_face(sm.halfedge(f), sm)) box += sm.point(v).bbox();
      const double size =
          std::sqrt(CGAL::square(box.xmax() - box.xmin()) + CGAL::square(box.ymax() - box.ymin()) +
                    CGAL::square(box.zmax() - box.zmin()));
      return size >= min_part_mm || ++taken > kMostFaces;
    });
    if (piece.large) continue;
    beads.insert(beads.end(), piece.faces.begin(), piece.faces.end());
    ++outcome.beads_removed;
  }
  sm.remove_property_map(seen);
  for (Face f : beads) {
    outcome.buried_area_mm2 += FaceArea(sm, f);
    CGAL::Euler::remove_face(sm.halfedge(f), sm);
  }
}

}  // namespace

bool UniteByWinding(SurfaceMesh& sm, const std::vector<std::pair<Face, Face>>& pairs,
                    double min_part_mm, UnionOutcome& outcome) {
  if (pairs.empty() || !CGAL::is_closed(sm)) return false;
  std::vector<Face> crossing;
  for (const auto& [a, b] : pairs) crossing.insert(crossing.end(), {a, b});
  std::sort(crossing.begin(), crossing.end());
  crossing.erase(std::unique(crossing.begin(), crossing.end()), crossing.end());

  // 1. the crossing faces alone, cut along their crossings
  SurfaceMesh cut;
  {
    CGAL::Face_filtered_graph<SurfaceMesh> filtered(sm, crossing);
    CGAL::copy_face_graph(filtered, cut);
  }
  auto cut_curve = cut.add_property_map<SurfaceMesh::Edge_index, bool>("e:curve", false).first;
  try {
    PMP::experimental::autorefine(cut, CGAL::parameters::edge_is_constrained_map(cut_curve));
  } catch (const std::exception&) {
    return false;  // CGAL asserts on some inputs (on the whole of diplodocus.off): cut and refill
  }
  // in their place in the surface
  for (Face f : crossing) CGAL::Euler::remove_face(sm.halfedge(f), sm);
  std::vector<std::pair<Halfedge, Halfedge>> copied;
  CGAL::copy_face_graph(
      cut, sm, CGAL::parameters::halfedge_to_halfedge_output_iterator(std::back_inserter(copied)));
  auto curve = sm.add_property_map<SurfaceMesh::Edge_index, bool>("e:curve", false).first;
  auto added = sm.add_property_map<Face, bool>("f:union_added", false).first;
  for (const auto& [from, to] : copied) {
    if (cut_curve[cut.edge(from)]) curve[sm.edge(to)] = true;
    if (!sm.is_border(to)) added[sm.face(to)] = true;
  }
  PMP::stitch_borders(sm);
  const auto cleanup = [&] {
    sm.remove_property_map(curve);
    sm.remove_property_map(added);
  };
  if (!CGAL::is_closed(sm)) {
    cleanup();
    return false;
  }

  // 2. the patches between the curves; those that were cut are kept or go by their winding
  auto patch = sm.add_property_map<Face, std::size_t>("f:union_patch", 0).first;
  const std::size_t patches =
      PMP::connected_components(sm, patch, CGAL::parameters::edge_is_constrained_map(curve));
  std::vector<Face> probe(patches, SurfaceMesh::null_face());
  std::vector<double> probe_area(patches, 0);
  std::vector<bool> touched(patches, false);
  for (Face f : sm.faces()) {
    const std::size_t p = patch[f];
    touched[p] = touched[p] || added[f];
    const double area = FaceArea(sm, f);
    if (area > probe_area[p]) {
      probe_area[p] = area;
      probe[p] = f;
    }
  }
  std::vector<std::size_t> asked;
  std::vector<Face> probes;
  for (std::size_t p = 0; p < patches; ++p) {
    if (touched[p] && probe[p] != SurfaceMesh::null_face()) {
      asked.push_back(p);
      probes.push_back(probe[p]);
    }
  }
  const std::vector<Sides> sides = WindingBesideFaces(sm, probes);
  std::vector<bool> keep(patches, true);
  for (std::size_t i = 0; i < asked.size(); ++i) {
    if (!sides[i].known) {
      sm.remove_property_map(patch);
      cleanup();
      return false;
    }
    keep[asked[i]] = sides[i].outside == 0 && sides[i].inside >= 1;
  }
  std::vector<Face> buried;
  for (Face f : sm.faces()) {
    if (!keep[patch[f]]) buried.push_back(f);
  }
  outcome.buried_area_mm2 = 0;
  for (Face f : buried) outcome.buried_area_mm2 += FaceArea(sm, f);
  sm.remove_property_map(patch);
  if (buried.size() == sm.number_of_faces()) {
    cleanup();
    return false;
  }

  // 3. the kept patches stitched along their curves
  for (Face f : buried) CGAL::Euler::remove_face(sm.halfedge(f), sm);
  PMP::stitch_borders(sm);
  // where two curves touch, the stitched surface pinches: split before anything is taken away
  // (a face removed at a pinch can leave its vertex pointing at nothing)
  outcome.pinches_split = static_cast<int64_t>(SplitNewPinches(sm));
  RemoveBeads(sm, added, min_part_mm, outcome);
  // the incremental crossing test looks again at the new faces and at what lies around them
  // (a removed face's place may be reused with the old face's "checked" mark)
  // and a face in a reused place holds no input part ("f:part" names where a cut's remnant
  // came from)
  const auto [part, has_parts] = sm.property_map<Face, std::size_t>("f:part");
  for (Face f : sm.faces()) {
    if (!added[f]) continue;
    for (Vertex v : CGAL::vertices_around_face(sm.halfedge(f), sm)) MarkChanged(sm, v);
    if (has_parts) part[f] = std::numeric_limits<std::size_t>::max();
  }
  cleanup();
  if (!CGAL::is_closed(sm)) return false;
  sm.collect_garbage();
  return true;
}

}  // namespace keepsake::mesh::cgal
