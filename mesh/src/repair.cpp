// Repair to a printable solid (a CGAL translation unit: about 50 s and 1.4 GB to build; the
// others are crossings.cpp and fidelity.cpp). CGAL 5.5 Polygon Mesh Processing:
// repair_polygon_soup, orient_polygon_soup, polygon_soup_to_polygon_mesh, stitch_borders,
// remove_degenerate_faces, duplicate_non_manifold_vertices, triangulate_hole
// (do_not_use_cubic_algorithm: bounded cost), Side_of_triangle_mesh for nesting; the parts and the
// crossings are sorted out in crossings.cpp; corefine_and_compute_union joins an optional base.
// CGAL 3D Alpha Wrapping (alpha_wrap_3) is the last resort and the thickening: its output is
// watertight, 2-manifold, orientable and free of self-intersections by construction.
#include "keepsake/mesh/repair.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <unordered_map>

#include <CGAL/AABB_face_graph_triangle_primitive.h>
#include <CGAL/AABB_traits.h>
#include <CGAL/AABB_tree.h>
#include <CGAL/AABB_triangle_primitive.h>
#include <CGAL/Polygon_mesh_processing/bbox.h>
#include <CGAL/Polygon_mesh_processing/border.h>
#include <CGAL/Polygon_mesh_processing/connected_components.h>
#include <CGAL/Polygon_mesh_processing/corefinement.h>
#include <CGAL/Polygon_mesh_processing/orient_polygon_soup.h>
#include <CGAL/Polygon_mesh_processing/orientation.h>
#include <CGAL/Polygon_mesh_processing/polygon_soup_to_polygon_mesh.h>
#include <CGAL/Polygon_mesh_processing/repair.h>
#include <CGAL/Polygon_mesh_processing/repair_degeneracies.h>
#include <CGAL/Polygon_mesh_processing/repair_polygon_soup.h>
#include <CGAL/Polygon_mesh_processing/self_intersections.h>
#include <CGAL/Polygon_mesh_processing/shape_predicates.h>
#include <CGAL/Polygon_mesh_processing/stitch_borders.h>
#include <CGAL/Polygon_mesh_processing/triangulate_hole.h>
#include <CGAL/Side_of_triangle_mesh.h>
#include <CGAL/alpha_wrap_3.h>
#include <CGAL/boost/graph/Face_filtered_graph.h>
#include <CGAL/boost/graph/copy_face_graph.h>

#include "cgal_mesh.hpp"
#include "crossings.hpp"

namespace keepsake::mesh {

namespace {

namespace PMP = CGAL::Polygon_mesh_processing;
using namespace keepsake::mesh::cgal;  // NOLINT: the module's own CGAL vocabulary
using Polygon = std::vector<std::size_t>;

// Seconds per step of the repair, in the order they ran.
class StepClock {
 public:
  explicit StepClock(RepairReport& report) : report_(report) {}
  void Done(const char* step) {
    const auto now = std::chrono::steady_clock::now();
    report_.step_seconds.emplace_back(step, std::chrono::duration<double>(now - last_).count());
    last_ = now;
  }

 private:
  RepairReport& report_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

struct Soup {
  std::vector<Point> points;
  std::vector<Polygon> polygons;
};

// Merges vertices closer than `tolerance` (hairline cracks between vertices 3e-8 apart in
// marching-cubes output): each vertex becomes the first representative within `tolerance`
// (FirstWithin). Drops triangles that collapse.
Soup WeldWithTolerance(const MeshData& in, double tolerance, RepairReport& report) {
  const std::vector<uint32_t> rep = FirstWithin(
      in.positions.size(), [&](uint32_t v) -> const auto& { return in.positions[v]; }, tolerance);
  std::vector<uint32_t> remap(in.positions.size());
  Soup soup;
  soup.points.reserve(in.positions.size());
  for (uint32_t v = 0; v < in.positions.size(); ++v) {
    if (rep[v] == v) {
      remap[v] = static_cast<uint32_t>(soup.points.size());
      const auto& p = in.positions[v];
      soup.points.emplace_back(p[0], p[1], p[2]);
    } else {
      remap[v] = remap[rep[v]];
      ++report.welded_vertices;
    }
  }
  soup.polygons.reserve(in.triangles.size());
  for (const auto& t : in.triangles) {
    const uint32_t a = remap[t[0]], b = remap[t[1]], c = remap[t[2]];
    if (a == b || b == c || a == c) {
      ++report.degenerate_triangles;
      continue;
    }
    soup.polygons.push_back({a, b, c});
  }
  return soup;
}

// Holes up to `max_edges` border edges are filled; returns (filled, left). The faces added
// are appended to `patches`.
std::pair<int64_t, int64_t> FillHoles(SurfaceMesh& sm, int max_edges, std::vector<Face>& patches) {
  std::vector<Halfedge> borders;
  PMP::extract_boundary_cycles(sm, std::back_inserter(borders));
  int64_t filled = 0, left = 0;
  for (Halfedge h : borders) {
    if (!sm.is_border(h)) continue;  // closed by an earlier fill
    int edges = 0;
    for (Halfedge e : CGAL::halfedges_around_face(h, sm)) {
      (void)e;
      if (++edges > max_edges) break;
    }
    if (edges > max_edges) {
      ++left;
      continue;
    }
    std::vector<Face> patch;
    if (!FillHole(sm, h, edges, patch, /*fair=*/true)) {
      ++left;
    } else {
      ++filled;
      patches.insert(patches.end(), patch.begin(), patch.end());
    }
  }
  return {filled, left};
}

// Removes the shells whose bounding-box diagonal is under `min_size` (never all of them).
void RemoveTinyShells(SurfaceMesh& sm, double min_size) {
  auto shell = sm.add_property_map<Face, std::size_t>("f:tiny", 0).first;
  const std::size_t shells = PMP::connected_components(sm, shell);
  std::vector<CGAL::Bbox_3> boxes(shells);
  for (Face f : sm.faces()) {
    for (auto v : CGAL::vertices_around_face(sm.halfedge(f), sm))
      boxes[shell[f]] += sm.point(v).bbox();
  }
  std::vector<std::size_t> remove;
  for (std::size_t c = 0; c < shells; ++c) {
    const CGAL::Bbox_3& b = boxes[c];
    const double diagonal =
        std::hypot(b.xmax() - b.xmin(), b.ymax() - b.ymin(), b.zmax() - b.zmin());
    if (diagonal < min_size) remove.push_back(c);
  }
  if (!remove.empty() && remove.size() < shells) {
    PMP::remove_connected_components(sm, remove, shell);
    sm.collect_garbage();
  }
  sm.remove_property_map(shell);
}

// Signed volume of each connected component; `component` maps faces to components.
template <typename ComponentMap>
std::vector<double> ShellVolumes(const SurfaceMesh& sm, const ComponentMap& component,
                                 std::size_t shells) {
  std::vector<double> volumes(shells, 0.0);
  for (Face f : sm.faces()) {
    const std::array<Point, 3> p = FacePoints(sm, f);
    volumes[component[f]] +=
        CGAL::scalar_product(p[0] - CGAL::ORIGIN,
                             CGAL::cross_product(p[1] - CGAL::ORIGIN, p[2] - CGAL::ORIGIN)) /
        6.0;
  }
  return volumes;
}

// Orients every closed shell so that the whole bounds a volume: a shell inside an odd number
// of others is a void and faces inward, every other shell faces outward. What CGAL's
// orient_to_bound_a_volume does, in a fraction of its time (2.5 s on man.off, 5 s on
// diplodocus.off, more than the rest of the repair): one shell needs only its signed volume,
// and only shells inside another's box are tested against it, by ray parity.
void OrientToBoundAVolume(SurfaceMesh& sm) {
  auto shell = sm.add_property_map<Face, std::size_t>("f:orient", 0).first;
  const std::size_t shells = PMP::connected_components(sm, shell);
  const std::vector<double> volumes = ShellVolumes(sm, shell, shells);
  std::vector<std::vector<Face>> faces(shells);
  std::vector<CGAL::Bbox_3> boxes(shells);
  std::vector<Point> probe(shells);
  for (Face f : sm.faces()) {
    faces[shell[f]].push_back(f);
    for (auto v : CGAL::vertices_around_face(sm.halfedge(f), sm)) {
      boxes[shell[f]] += sm.point(v).bbox();
      probe[shell[f]] = sm.point(v);
    }
  }
  std::vector<int> depth(shells, 0);
  std::map<std::size_t, SurfaceMesh> containers;  // shells that hold another's box, copied out
  for (std::size_t i = 0; i < shells; ++i) {
    for (std::size_t j = 0; j < shells; ++j) {
      const CGAL::Bbox_3 &in = boxes[i], &out = boxes[j];
      if (i == j || in.xmin() < out.xmin() || in.ymin() < out.ymin() || in.zmin() < out.zmin() ||
          in.xmax() > out.xmax() || in.ymax() > out.ymax() || in.zmax() > out.zmax()) {
        continue;
      }
      auto [it, fresh] = containers.try_emplace(j);
      if (fresh) {
        CGAL::Face_filtered_graph<SurfaceMesh> filtered(sm, faces[j]);
        CGAL::copy_face_graph(filtered, it->second);
      }
      const CGAL::Side_of_triangle_mesh<SurfaceMesh, Kernel> inside(it->second);
      if (inside(probe[i]) == CGAL::ON_BOUNDED_SIDE) ++depth[i];
    }
  }
  std::vector<Face> flip;
  for (std::size_t c = 0; c < shells; ++c) {
    const bool should_be_positive = depth[c] % 2 == 0;
    if ((volumes[c] > 0) != should_be_positive)
      flip.insert(flip.end(), faces[c].begin(), faces[c].end());
  }
  if (!flip.empty()) PMP::reverse_face_orientations(flip, sm);
  sm.remove_property_map(shell);
}

// A closed shell that bounds a negative volume is a void inside the solid (both
// OrientToBoundAVolume and the alpha wrap orient voids that way). Sealed voids trap resin
// and powder, so they are filled: the shell is removed. Returns how many.
int64_t RemoveCavities(SurfaceMesh& sm) {
  auto component = sm.add_property_map<Face, std::size_t>("f:cavity", 0).first;
  const std::size_t shells = PMP::connected_components(sm, component);
  const std::vector<double> volumes = ShellVolumes(sm, component, shells);
  std::vector<std::size_t> cavities;
  for (std::size_t c = 0; c < shells; ++c) {
    if (volumes[c] < 0) cavities.push_back(c);
  }
  if (!cavities.empty() && cavities.size() < shells) {
    PMP::remove_connected_components(sm, cavities, component);
    sm.collect_garbage();
  }
  sm.remove_property_map(component);
  return static_cast<int64_t>(cavities.size() < shells ? cavities.size() : 0);
}

// Joins a round base of `thickness` under the solid `sm`: centred under the lowest tenth of the
// figure, wide enough to hold it and its centre of mass. The figure sinks 0.4 mm into the
// disc so that the union is a proper overlap, not a touch. Returns the radius, or 0 when
// CGAL's corefinement could not join them.
double JoinBase(SurfaceMesh& sm, double thickness) {
  const CGAL::Bbox_3 box = PMP::bbox(sm);
  const double low = box.zmin() + 0.1 * (box.zmax() - box.zmin());
  double xmin = box.xmax(), xmax = box.xmin(), ymin = box.ymax(), ymax = box.ymin();
  for (auto v : sm.vertices()) {
    const Point& p = sm.point(v);
    if (p.z() > low) continue;
    xmin = std::min(xmin, p.x());
    xmax = std::max(xmax, p.x());
    ymin = std::min(ymin, p.y());
    ymax = std::max(ymax, p.y());
  }
  const double cx = (xmin + xmax) / 2, cy = (ymin + ymax) / 2;
  double radius = 0;
  for (auto v : sm.vertices()) {
    const Point& p = sm.point(v);
    if (p.z() <= low) radius = std::max(radius, std::hypot(p.x() - cx, p.y() - cy));
  }
  // centre of mass of the solid, from signed tetrahedra to the origin
  double volume = 0;
  std::array<double, 2> moment{};
  for (Face f : sm.faces()) {
    const std::array<Point, 3> p = FacePoints(sm, f);
    const double v =
        CGAL::scalar_product(p[0] - CGAL::ORIGIN,
                             CGAL::cross_product(p[1] - CGAL::ORIGIN, p[2] - CGAL::ORIGIN)) /
        6.0;
    volume += v;
    moment[0] += v * (p[0].x() + p[1].x() + p[2].x()) / 4;
    moment[1] += v * (p[0].y() + p[1].y() + p[2].y()) / 4;
  }
  if (volume > 0) {
    radius = std::max(radius, std::hypot(moment[0] / volume - cx, moment[1] / volume - cy) + 5);
  }
  radius += 3;  // a rim around the feet
  const double top = box.zmin() + 0.4, bottom = top - thickness;
  SurfaceMesh disc;
  constexpr int kSegments = 96;
  const auto top_centre = disc.add_vertex(Point(cx, cy, top));
  const auto bottom_centre = disc.add_vertex(Point(cx, cy, bottom));
  std::vector<SurfaceMesh::Vertex_index> upper, lower;
  for (int k = 0; k < kSegments; ++k) {
    const double a = 2 * M_PI * k / kSegments;
    const double x = cx + radius * std::cos(a), y = cy + radius * std::sin(a);
    upper.push_back(disc.add_vertex(Point(x, y, top)));
    lower.push_back(disc.add_vertex(Point(x, y, bottom)));
  }
  for (size_t k = 0; k < kSegments; ++k) {
    const size_t n = (k + 1) % kSegments;
    disc.add_face(top_centre, upper[k], upper[n]);
    disc.add_face(bottom_centre, lower[n], lower[k]);
    disc.add_face(upper[k], lower[k], lower[n]);
    disc.add_face(upper[k], lower[n], upper[n]);
  }
  SurfaceMesh joined;
  if (!PMP::corefine_and_compute_union(sm, disc, joined)) return 0;
  sm = std::move(joined);
  return radius;
}

// Removes every triangle that repeats another's three corners (in either orientation),
// keeping the first: what CGAL's soup repair would remove, found by one sort, so that a soup
// whose only fault is doubled triangles still builds face by face instead of going through
// the whole soup repair (6-7 s for 1.5M triangles). Returns how many went.
int64_t RemoveDuplicateTriangles(Soup& soup) {
  std::vector<std::array<std::size_t, 3>> corners(soup.polygons.size());
  for (std::size_t i = 0; i < soup.polygons.size(); ++i) {
    const Polygon& p = soup.polygons[i];
    corners[i] = {p[0], p[1], p[2]};
    std::sort(corners[i].begin(), corners[i].end());
  }
  std::vector<uint32_t> order(soup.polygons.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return corners[a] != corners[b] ? corners[a] < corners[b] : a < b;
  });
  std::vector<bool> repeated(soup.polygons.size(), false);
  int64_t removed = 0;
  for (std::size_t k = 1; k < order.size(); ++k) {
    if (corners[order[k]] == corners[order[k - 1]]) {
      repeated[order[k]] = true;
      ++removed;
    }
  }
  if (removed == 0) return 0;
  std::vector<Polygon> kept;
  kept.reserve(soup.polygons.size() - static_cast<std::size_t>(removed));
  for (std::size_t i = 0; i < soup.polygons.size(); ++i) {
    if (!repeated[i]) kept.push_back(std::move(soup.polygons[i]));
  }
  soup.polygons = std::move(kept);
  return removed;
}

// The triangles of `polygons` without those on an edge that three or more triangles share
// (`dropped` says how many went), or nothing when there is no such edge or when more than
// `max_dropped` triangles sit on them. Welding a generator's float-rounded vertices collapses
// slivers and leaves a few such edges; a surface without their triangles is a polygon mesh
// with small holes, which the hole fills close where they are, instead of CGAL's soup repair
// and orientation over every triangle (7-8 s for 1.5M triangles).
std::optional<std::vector<Polygon>> WithoutCrowdedEdges(const std::vector<Polygon>& polygons,
                                                        std::size_t max_dropped, int64_t& dropped) {
  const auto edge_key = [](std::size_t a, std::size_t b) {
    return static_cast<uint64_t>(std::min(a, b)) << 32 | static_cast<uint64_t>(std::max(a, b));
  };
  std::vector<uint64_t> edges;
  edges.reserve(3 * polygons.size());
  for (const Polygon& p : polygons) {
    for (std::size_t k = 0; k < 3; ++k) edges.push_back(edge_key(p[k], p[(k + 1) % 3]));
  }
  std::sort(edges.begin(), edges.end());
  std::vector<uint64_t> crowded;  // edges with three or more triangles
  for (std::size_t i = 2; i < edges.size(); ++i) {
    if (edges[i] == edges[i - 2] && (crowded.empty() || crowded.back() != edges[i])) {
      crowded.push_back(edges[i]);
    }
  }
  if (crowded.empty()) return std::nullopt;
  std::vector<Polygon> kept;
  kept.reserve(polygons.size());
  dropped = 0;
  for (const Polygon& p : polygons) {
    bool on_crowded = false;
    for (std::size_t k = 0; k < 3; ++k) {
      on_crowded |=
          std::binary_search(crowded.begin(), crowded.end(), edge_key(p[k], p[(k + 1) % 3]));
    }
    if (on_crowded) {
      if (static_cast<std::size_t>(++dropped) > max_dropped) return std::nullopt;
    } else {
      kept.push_back(p);
    }
  }
  return kept;
}

std::string LocalRepair(Soup soup, const RepairOptions& options, RepairReport& report,
                        SurfaceMesh& sm, StepClock& clock) {
  // A soup that already is a polygon mesh (manifold, consistently oriented) needs neither
  // soup repair nor orientation: on a clean million-triangle mesh they cost seconds.
  report.soup_fixes = RemoveDuplicateTriangles(soup);
  bool built = BuildFaceByFace(soup.points, soup.polygons, sm);
  if (!built) {  // a few triangles on edges of three: without them, holes to fill
    int64_t dropped = 0;
    const std::size_t at_most = std::max<std::size_t>(64, soup.polygons.size() / 1000);
    if (auto thinned = WithoutCrowdedEdges(soup.polygons, at_most, dropped)) {
      built = BuildFaceByFace(soup.points, *thinned, sm);
      if (built) report.soup_fixes += dropped;
    }
  }
  if (!built) {
    const std::size_t before = soup.polygons.size();
    PMP::repair_polygon_soup(soup.points, soup.polygons);
    report.soup_fixes += static_cast<int64_t>(before) - static_cast<int64_t>(soup.polygons.size());
    if (soup.polygons.empty()) return "nothing is left after removing degenerate faces";
    PMP::orient_polygon_soup(soup.points, soup.polygons);
    PMP::polygon_soup_to_polygon_mesh(soup.points, soup.polygons, sm);
  }
  clock.Done("soup repair and orientation");
  report.stitched_edges = static_cast<int64_t>(PMP::stitch_borders(sm));
  PMP::remove_degenerate_faces(sm);
  report.non_manifold_vertices = static_cast<int64_t>(SplitPinches(sm));
  sm.collect_garbage();
  const StepDone step = [&](const char* name) { clock.Done(name); };
  SortOutParts(sm, options, report, step);
  std::vector<Face> patches;
  std::tie(report.holes_filled, report.holes_left) = FillHoles(sm, options.max_hole_edges, patches);
  report.triangles_added_by_fills = static_cast<int64_t>(patches.size());
  clock.Done("stitching, parts and holes");
  if (!CGAL::is_closed(sm)) {
    return std::to_string(report.holes_left) + " hole(s) too large or too irregular to fill";
  }
  std::string crossings = ResolveCrossings(sm, patches, options, report, step);
  if (!crossings.empty()) return crossings;
  for (Face f : sm.faces()) {
    if (PMP::is_degenerate_triangle_face(f, sm)) return "degenerate faces remain";
  }
  OrientToBoundAVolume(sm);
  clock.Done("orientation");
  return {};
}

// The nearest single-precision value. Through a volatile float: without it GCC (12, -O2
// -frounding-math, next to CGAL's rounding-mode switches) was seen keeping the double.
double ToSingle(double x) {
  volatile float single = static_cast<float>(x);
  return single;
}

// The print files carry single-precision coordinates (STL's floats): a fold a few
// nanometres thin, clean in doubles, can cross once rounded. The surface is rounded here, and
// what crosses after rounding is resolved like any crossing, until nothing does.
std::string SettleToSinglePrecision(SurfaceMesh& sm, const RepairOptions& options,
                                    RepairReport& report, StepClock& clock) {
  constexpr int kRounds = 4;
  for (int round = 0; round < kRounds; ++round) {
    for (auto v : sm.vertices()) {
      const Point p = sm.point(v);
      const Point rounded(ToSingle(p.x()), ToSingle(p.y()), ToSingle(p.z()));
      if (rounded.x() == p.x() && rounded.y() == p.y() && rounded.z() == p.z()) continue;
      sm.point(v) = rounded;
      MarkChanged(sm, v);
    }
    if (CrossingPairs(sm).empty()) {
      clock.Done("single precision");
      return {};
    }
    RepairReport settle;  // the rounding's crossings, added to the file's own below
    const StepDone step = [&](const char* name) { clock.Done(name); };
    if (std::string failed =
            ResolveCrossings(sm, {}, options, settle, step, CrossingRepair::kRefill);
        !failed.empty()) {
      return "crossings made by rounding to single precision: " + failed;
    }
    report.self_intersections += settle.self_intersections;
    report.self_intersections_removed += settle.self_intersections_removed;
    report.crossings_refilled += settle.crossings_refilled;
    report.crossings_united += settle.crossings_united;
    report.area_replaced_mm2 += settle.area_replaced_mm2;
    report.area_buried_mm2 += settle.area_buried_mm2;
    report.beads_removed += settle.beads_removed;
    report.non_manifold_vertices += settle.non_manifold_vertices;
    report.triangles_added_by_fills += settle.triangles_added_by_fills;
    report.triangles_added_by_unions += settle.triangles_added_by_unions;
  }
  return "crossings remain after rounding to single precision";
}

// The widest a figure may be at its ordered height (a large printer's build plate).
constexpr double kMaxSideMm = 1000;

// The model at print scale (every tolerance then is in millimetres), in single precision as the
// print files will be: the file's own vertices then stay where they are when written, and only
// what the repair adds is rounded at the end. Refused when flat, or too flat to print.
tl::expected<MeshData, Error> ToPrintScale(const MeshData& input, const RepairOptions& options,
                                           RepairResult& result) {
  MeshData scaled = input;
  if (!options.colour) {
    scaled.colors.clear();
    scaled.uvs.clear();
    scaled.texture = {};
  }
  const Bounds bounds = ComputeBounds(scaled);
  if (bounds.Size(2) <= 0) {
    return tl::unexpected(Error{Errc::kUnreadable, "the model is flat: it has no height"});
  }
  // A model many times wider than it is high becomes a slab metres wide at the ordered height,
  // which no printer takes, and whose rebuild would run until the worker's CPU limit (found by
  // fuzz_mesh): refused here, with the numbers.
  const double widest =
      std::max(bounds.Size(0), bounds.Size(1)) / bounds.Size(2) * options.height_mm;
  if (!(widest <= kMaxSideMm)) {
    char reason[160];
    std::snprintf(reason, sizeof reason,
                  "the model would be %.0f mm wide at %.0f mm high: too flat to print as a "
                  "figure (at most %.0f mm)",
                  widest, options.height_mm, kMaxSideMm);
    return tl::unexpected(Error{Errc::kUnreadable, reason});
  }
  result.to_height = HeightPlacement(scaled, options.height_mm);
  Apply(result.to_height, scaled);
  for (auto& p : scaled.positions) {
    for (double& c : p) c = ToSingle(c);
  }
  return scaled;
}

// The last resort, or the engineer's thickening: the whole model wrapped again (CGAL's
// alpha_wrap_3), into `sm`.
tl::expected<void, Error> WrapAgain(const Soup& soup, const RepairOptions& options,
                                    RepairReport& report, SurfaceMesh& sm) {
  report.rebuilt = true;
  double area = 0;
  for (const auto& t : soup.polygons) {
    area += std::sqrt(CGAL::squared_area(soup.points[t[0]], soup.points[t[1]], soup.points[t[2]]));
  }
  report.wrap_alpha_mm = options.thicken_mm > 0 ? options.thicken_alpha_mm
                                                : std::max(options.wrap_alpha_mm,
                                                           std::sqrt(area / options.wrap_cells));
  SurfaceMesh wrapped;
  const double offset = std::max(options.wrap_offset_mm, options.thicken_mm / 2);
  // When local repair closed every hole but left crossings, wrap its closed surface: the
  // wrap of the raw soup would go in through the holes and make a thin double shell.
  if (!sm.is_empty() && CGAL::is_closed(sm)) {
    CGAL::alpha_wrap_3(sm, report.wrap_alpha_mm, offset, wrapped);
  } else {
    CGAL::alpha_wrap_3(soup.points, soup.polygons, report.wrap_alpha_mm, offset, wrapped);
  }
  if (wrapped.is_empty()) {
    return tl::unexpected(Error{Errc::kUnreadable, "the volumetric rebuild produced nothing"});
  }
  sm = std::move(wrapped);
  RemoveTinyShells(sm, options.min_part_mm);  // what the wrap made of dust in the soup
  return {};
}

// The wrap's offset changes the height a little, and a part removed (a speck above the head)
// changes the bounds: the result is placed again, and the input with it for the comparison.
void PlaceAgain(const RepairOptions& options, SurfaceMesh& sm, RepairResult& result,
                MeshData& scaled) {
  result.final = HeightPlacement(ToMeshData(sm), options.height_mm);
  if (result.final.NearlyIdentity()) {
    result.final = Placement{};
    return;
  }
  for (auto v : sm.vertices()) {
    const Point p = sm.point(v);
    const double s = result.final.scale;
    const auto& o = result.final.origin;
    sm.point(v) = Point((p.x() - o[0]) * s, (p.y() - o[1]) * s, (p.z() - o[2]) * s);  // Apply
  }
  MarkAllChanged(sm);
  Apply(result.final, scaled);
}

// The customer's colours onto the result (vertex colours, texture coordinates) and what the
// repair changed, measured against the original.
void CarryColourAndMeasure(const MeshData& scaled, const RepairOptions& options,
                           RepairResult& result, StepClock& clock) {
  if (!scaled.colors.empty()) {
    TransferVertexColors(scaled, result.mesh, 0.5 + options.thicken_mm);
    clock.Done("colour transfer");
  }
  if (!scaled.uvs.empty() && !scaled.texture.Empty()) {
    // a rebuilt surface follows none of the atlas's islands: its colours are baked anew
    result.texture = result.report.rebuilt ? BakeTexture(scaled, result.mesh)
                                           : TransferTexture(scaled, result.mesh);
    clock.Done(result.report.rebuilt ? "texture baked" : "texture coordinates");
  }
  if (options.measure_fidelity) {
    result.fidelity = MeasureFidelity(scaled, result.mesh, options.fidelity_within_mm);
    clock.Done("fidelity");
    if (!scaled.colors.empty() || !scaled.texture.Empty()) {
      // a rebuild lies its offset outside the input (half the thickening): colours are
      // compared out there
      const double moved =
          result.report.rebuilt ? std::max(options.wrap_offset_mm, options.thicken_mm / 2) : 0;
      const double within = options.fidelity_within_mm + 2 * moved;
      result.colour = MeasureColourFidelity(scaled, result.mesh, 50000, within);
      MeshData plain = result.mesh;  // what the printer would get from vertex colours alone
      plain.uvs.clear();
      plain.texture = {};
      result.vertex_colour = MeasureColourFidelity(scaled, plain, 50000, within);
      result.corner_colour_de = CornerColourDifferences(scaled, result.mesh);
      clock.Done("colour fidelity");
    }
  }
}

// What the settling verified, and the rest: shells, degenerate faces, orientation.
void FinalCheck(SurfaceMesh& sm, RepairResult& result) {
  RepairReport& report = result.report;
  auto component = sm.add_property_map<Face, std::size_t>("f:shell", 0).first;
  report.shells = static_cast<int64_t>(PMP::connected_components(sm, component));
  SolidCheck& check = result.check;  // what the settling above verified, and the rest here
  check.polygon_mesh = true;         // a Surface_mesh, built face by face
  check.closed = CGAL::is_closed(sm);
  for (Face f : sm.faces()) {
    if (PMP::is_degenerate_triangle_face(f, sm)) ++check.degenerate_faces;
  }
  check.self_intersections = 0;
  check.shells = report.shells;
  const std::vector<double> volumes =
      ShellVolumes(sm, component, static_cast<std::size_t>(check.shells));
  check.outward = std::all_of(volumes.begin(), volumes.end(), [](double v) { return v > 0; });
}

}  // namespace

tl::expected<RepairResult, Error> RepairToSolid(const MeshData& input,
                                                const RepairOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  if (input.triangles.empty()) return tl::unexpected(Error{Errc::kEmpty, "no triangles"});
  RepairResult result;
  RepairReport& report = result.report;
  StepClock clock(report);
  report.input_vertices = static_cast<int64_t>(input.positions.size());
  report.input_triangles = static_cast<int64_t>(input.triangles.size());
  auto print_scale = ToPrintScale(input, options, result);
  if (!print_scale) return tl::unexpected(print_scale.error());
  MeshData& scaled = *print_scale;
  Soup soup = WeldWithTolerance(scaled, options.weld_tolerance_mm, report);
  clock.Done("scale and weld");
  if (soup.polygons.empty()) {
    return tl::unexpected(Error{Errc::kEmpty, "every triangle is degenerate"});
  }

  SurfaceMesh sm;
  if (options.thicken_mm > 0) {
    char reason[64];
    std::snprintf(reason, sizeof reason, "every wall thickened by %.2f mm", options.thicken_mm);
    report.rebuild_reason = reason;
    report.thickened_mm = options.thicken_mm;
  } else {
    report.rebuild_reason = LocalRepair(soup, options, report, sm, clock);
  }
  if (!report.rebuild_reason.empty()) {
    if (auto wrapped = WrapAgain(soup, options, report, sm); !wrapped) {
      return tl::unexpected(wrapped.error());
    }
    clock.Done("volumetric rebuild");
  }
  report.cavities_removed = RemoveCavities(sm);
  if (options.base_mm > 0) {
    report.base_radius_mm = JoinBase(sm, options.base_mm);
    if (report.base_radius_mm <= 0) {
      return tl::unexpected(Error{Errc::kUnreadable, "the base could not be joined to the figure"});
    }
    clock.Done("base");
  }
  if (sm.is_empty()) return tl::unexpected(Error{Errc::kEmpty, "nothing printable is left"});
  PlaceAgain(options, sm, result, scaled);
  if (std::string left = SettleToSinglePrecision(sm, options, report, clock); !left.empty()) {
    return tl::unexpected(Error{Errc::kUnreadable, left});
  }
  result.mesh = ToMeshData(sm);
  CarryColourAndMeasure(scaled, options, result, clock);
  FinalCheck(sm, result);
  report.output_vertices = static_cast<int64_t>(result.mesh.positions.size());
  report.output_triangles = static_cast<int64_t>(result.mesh.triangles.size());
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

SolidCheck CheckSolid(const MeshData& mesh) {
  SolidCheck check;
  SurfaceMesh sm;
  check.polygon_mesh = ToSurfaceMesh(mesh, sm);
  if (!check.polygon_mesh) return check;
  check.closed = CGAL::is_closed(sm);
  for (Face f : sm.faces()) {
    if (PMP::is_degenerate_triangle_face(f, sm)) ++check.degenerate_faces;
  }
  const std::vector<std::pair<Face, Face>> pairs =
      cgal::SelfIntersections(sm, std::vector<Face>(sm.faces().begin(), sm.faces().end()));
  check.self_intersections = static_cast<int64_t>(pairs.size());
  auto component = sm.add_property_map<Face, std::size_t>("f:shell", 0).first;
  check.shells = static_cast<int64_t>(PMP::connected_components(sm, component));
  if (check.closed && check.self_intersections == 0) {
    // every shell must bound a positive volume on its own (no voids, no inverted parts)
    const std::vector<double> volumes =
        ShellVolumes(sm, component, static_cast<std::size_t>(check.shells));
    check.outward = std::all_of(volumes.begin(), volumes.end(), [](double v) { return v > 0; });
  }
  return check;
}

}  // namespace keepsake::mesh
