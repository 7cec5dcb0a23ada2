// The only translation unit with CGAL (about 50 s and 1.4 GB to compile): keep it that way.
// CGAL 5.5 Polygon Mesh Processing: repair_polygon_soup, orient_polygon_soup,
// polygon_soup_to_polygon_mesh, stitch_borders, remove_degenerate_faces,
// duplicate_non_manifold_vertices, triangulate_hole (do_not_use_cubic_algorithm: bounded cost),
// connected_components, does_self_intersect, orient_to_bound_a_volume; corefine_and_compute_union
// joins an optional base. CGAL 3D Alpha Wrapping
// (alpha_wrap_3) for the rebuild: its output is watertight, 2-manifold, orientable and free of
// self-intersections by construction, which is what local repair cannot promise for inputs
// such as CGAL's own man.off (CGAL 5.5's self-intersection removal fails on it).
#include "keepsake/mesh/repair.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>

#include <CGAL/AABB_face_graph_triangle_primitive.h>
#include <CGAL/AABB_traits.h>
#include <CGAL/AABB_tree.h>
#include <CGAL/AABB_triangle_primitive.h>
#include <CGAL/Exact_predicates_inexact_constructions_kernel.h>
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
#include <CGAL/Polygon_mesh_processing/repair_self_intersections.h>
#include <CGAL/Polygon_mesh_processing/self_intersections.h>
#include <CGAL/Polygon_mesh_processing/shape_predicates.h>
#include <CGAL/Polygon_mesh_processing/stitch_borders.h>
#include <CGAL/Polygon_mesh_processing/triangulate_hole.h>
#include <CGAL/Surface_mesh.h>
#include <CGAL/alpha_wrap_3.h>

namespace keepsake::mesh {

namespace {

namespace PMP = CGAL::Polygon_mesh_processing;
using Kernel = CGAL::Exact_predicates_inexact_constructions_kernel;
using Point = Kernel::Point_3;
using SurfaceMesh = CGAL::Surface_mesh<Point>;
using Face = SurfaceMesh::Face_index;
using Halfedge = SurfaceMesh::Halfedge_index;
using Polygon = std::vector<std::size_t>;

// Runs body(begin, end) over [0, n) in one chunk per core: the per-face ray casts and the
// closest-point queries on a const AABB tree are independent of each other.
template <typename Body>
void ParallelFor(std::size_t n, const Body& body) {
  const std::size_t threads = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 16);
  if (n < 10000 || threads == 1) return body(std::size_t{0}, n);
  std::vector<std::thread> pool;
  const std::size_t chunk = (n + threads - 1) / threads;
  for (std::size_t begin = 0; begin < n; begin += chunk) {
    pool.emplace_back([&body, begin, end = std::min(n, begin + chunk)] { body(begin, end); });
  }
  for (std::thread& t : pool) t.join();
}

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
// marching-cubes output), with a hash grid of cell size `tolerance`: each vertex looks for an
// earlier representative in the 27 cells around it. Drops triangles that collapse.
Soup WeldWithTolerance(const MeshData& in, double tolerance, RepairReport& report) {
  struct CellHash {
    size_t operator()(const std::array<int64_t, 3>& c) const {
      return static_cast<size_t>(c[0] * 73856093ll ^ c[1] * 19349663ll ^ c[2] * 83492791ll);
    }
  };
  std::unordered_map<std::array<int64_t, 3>, std::vector<uint32_t>, CellHash> grid;
  grid.reserve(in.positions.size());
  std::vector<uint32_t> remap(in.positions.size());
  Soup soup;
  const double tol2 = tolerance * tolerance;
  for (uint32_t v = 0; v < in.positions.size(); ++v) {
    const auto& p = in.positions[v];
    const std::array<int64_t, 3> cell = {static_cast<int64_t>(std::floor(p[0] / tolerance)),
                                         static_cast<int64_t>(std::floor(p[1] / tolerance)),
                                         static_cast<int64_t>(std::floor(p[2] / tolerance))};
    int64_t found = -1;
    for (int64_t dx = -1; dx <= 1 && found < 0; ++dx) {
      for (int64_t dy = -1; dy <= 1 && found < 0; ++dy) {
        for (int64_t dz = -1; dz <= 1 && found < 0; ++dz) {
          auto it = grid.find({cell[0] + dx, cell[1] + dy, cell[2] + dz});
          if (it == grid.end()) continue;
          for (uint32_t rep : it->second) {
            const Point& q = soup.points[rep];
            const double d2 = (q.x() - p[0]) * (q.x() - p[0]) + (q.y() - p[1]) * (q.y() - p[1]) +
                              (q.z() - p[2]) * (q.z() - p[2]);
            if (d2 <= tol2) {
              found = rep;
              break;
            }
          }
        }
      }
    }
    if (found >= 0) {
      remap[v] = static_cast<uint32_t>(found);
      ++report.welded_vertices;
    } else {
      remap[v] = static_cast<uint32_t>(soup.points.size());
      grid[cell].push_back(remap[v]);
      soup.points.emplace_back(p[0], p[1], p[2]);
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

MeshData ToMeshData(const SurfaceMesh& sm) {
  MeshData out;
  std::vector<uint32_t> index(sm.number_of_vertices() + sm.number_of_removed_vertices());
  for (auto v : sm.vertices()) {
    index[v.idx()] = static_cast<uint32_t>(out.positions.size());
    const Point& p = sm.point(v);
    out.positions.push_back({p.x(), p.y(), p.z()});
  }
  for (Face f : sm.faces()) {
    std::array<uint32_t, 3> t{};
    int k = 0;
    for (auto v : CGAL::vertices_around_face(sm.halfedge(f), sm)) {
      if (k < 3) t[static_cast<size_t>(k)] = index[v.idx()];
      ++k;
    }
    if (k == 3) out.triangles.push_back(t);
  }
  return out;
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
    PMP::triangulate_hole(
        sm, h, std::back_inserter(patch),
        CGAL::parameters::use_delaunay_triangulation(true).do_not_use_cubic_algorithm(edges > 100));
    if (patch.empty()) {
      ++left;
    } else {
      ++filled;
      patches.insert(patches.end(), patch.begin(), patch.end());
    }
  }
  return {filled, left};
}

// Removes components whose bounding-box diagonal is under `min_size`; returns (parts, removed).
std::pair<int64_t, int64_t> RemoveFragments(SurfaceMesh& sm, double min_size) {
  auto component = sm.add_property_map<Face, std::size_t>("f:component", 0).first;
  const std::size_t parts = PMP::connected_components(sm, component);
  std::vector<CGAL::Bbox_3> boxes(parts);
  for (Face f : sm.faces()) {
    for (auto v : CGAL::vertices_around_face(sm.halfedge(f), sm)) {
      boxes[component[f]] += sm.point(v).bbox();
    }
  }
  std::vector<std::size_t> remove;
  for (std::size_t c = 0; c < parts; ++c) {
    const CGAL::Bbox_3& b = boxes[c];
    const double diagonal = std::sqrt((b.xmax() - b.xmin()) * (b.xmax() - b.xmin()) +
                                      (b.ymax() - b.ymin()) * (b.ymax() - b.ymin()) +
                                      (b.zmax() - b.zmin()) * (b.zmax() - b.zmin()));
    if (diagonal < min_size) remove.push_back(c);
  }
  if (remove.size() == parts) remove.clear();  // never remove everything
  if (!remove.empty()) {
    PMP::remove_connected_components(sm, remove, component);
    sm.collect_garbage();
  }
  sm.remove_property_map(component);
  return {static_cast<int64_t>(parts), static_cast<int64_t>(remove.size())};
}

// The three corners of a triangle face.
std::array<Point, 3> FacePoints(const SurfaceMesh& sm, Face f) {
  std::array<Point, 3> p;
  std::size_t k = 0;
  for (auto v : CGAL::vertices_around_face(sm.halfedge(f), sm)) {
    if (k < 3) p[k] = sm.point(v);
    ++k;
  }
  return p;
}

// Builds `sm` face by face; false (and `sm` cleared) when a face cannot be added: an edge with
// more than two faces, inconsistent orientation, or a vertex whose faces do not form one fan.
// On a valid million-triangle mesh this is several times faster than checking the soup with
// is_polygon_soup_a_polygon_mesh and converting it.
template <typename Corners>
bool BuildFaceByFace(const std::vector<Point>& points, const std::vector<Corners>& faces,
                     SurfaceMesh& sm) {
  sm.clear();
  sm.reserve(static_cast<SurfaceMesh::size_type>(points.size()),
             static_cast<SurfaceMesh::size_type>(3 * faces.size() / 2),
             static_cast<SurfaceMesh::size_type>(faces.size()));
  for (const Point& p : points) sm.add_vertex(p);
  for (const auto& f : faces) {
    if (f.size() != 3 || f[0] == f[1] || f[1] == f[2] || f[0] == f[2] ||
        sm.add_face(SurfaceMesh::Vertex_index(static_cast<SurfaceMesh::size_type>(f[0])),
                    SurfaceMesh::Vertex_index(static_cast<SurfaceMesh::size_type>(f[1])),
                    SurfaceMesh::Vertex_index(static_cast<SurfaceMesh::size_type>(f[2]))) ==
            SurfaceMesh::null_face()) {
      sm.clear();
      return false;
    }
  }
  // vertices no face uses (the soup repair would drop them)
  for (auto v : sm.vertices()) {
    if (sm.is_isolated(v)) sm.remove_vertex(v);
  }
  sm.collect_garbage();
  return true;
}

// Builds `sm` from a MeshData; false when the triangles do not form a polygon mesh, which
// CGAL's mesh cannot hold. Face i of `sm` is triangle i.
bool ToSurfaceMesh(const MeshData& mesh, SurfaceMesh& sm) {
  std::vector<Point> points;
  points.reserve(mesh.positions.size());
  for (const auto& p : mesh.positions) points.emplace_back(p[0], p[1], p[2]);
  return BuildFaceByFace(points, mesh.triangles, sm);
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

// A closed shell that bounds a negative volume is a void inside the solid (both
// orient_to_bound_a_volume and the alpha wrap orient voids that way). Sealed voids trap resin
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

// Colours each vertex of `target` from the closest point on `source`'s surface, interpolating
// the source triangle's vertex colours (barycentric). Works on any triangle soup, so the
// source needs no repair; both meshes must be in the same frame.
// Vertices farther than `max_distance` from the source (a base added under the figure) stay a
// neutral grey.
void TransferVertexColors(const MeshData& source, MeshData& target, double max_distance) {
  // Local repair keeps the input's vertices where they were: those take their own colour, and
  // only the new ones (a rebuild's surface, a base) need the closest-point search.
  struct PositionHash {
    std::size_t operator()(const std::array<double, 3>& p) const {
      std::size_t h = 0;
      for (double x : p) h = h * 1000003u ^ std::hash<double>()(x);
      return h;
    }
  };
  std::unordered_map<std::array<double, 3>, uint32_t, PositionHash> same;
  same.reserve(source.positions.size());
  for (std::size_t v = 0; v < source.positions.size(); ++v) {
    same.emplace(source.positions[v], static_cast<uint32_t>(v));
  }
  target.colors.assign(target.positions.size(), {200, 200, 200});
  std::vector<std::size_t> moved;
  for (std::size_t v = 0; v < target.positions.size(); ++v) {
    const auto it = same.find(target.positions[v]);
    if (it != same.end()) {
      target.colors[v] = source.colors[it->second];
    } else {
      moved.push_back(v);
    }
  }
  if (moved.empty()) return;
  using Triangle = Kernel::Triangle_3;
  using Iterator = std::vector<Triangle>::const_iterator;
  using Primitive = CGAL::AABB_triangle_primitive<Kernel, Iterator>;
  using Tree = CGAL::AABB_tree<CGAL::AABB_traits<Kernel, Primitive>>;
  std::vector<Triangle> triangles;
  std::vector<std::array<uint32_t, 3>> corners;
  for (const auto& t : source.triangles) {
    const auto& a = source.positions[t[0]];
    const auto& b = source.positions[t[1]];
    const auto& c = source.positions[t[2]];
    Triangle tri(Point(a[0], a[1], a[2]), Point(b[0], b[1], b[2]), Point(c[0], c[1], c[2]));
    if (tri.is_degenerate()) continue;
    triangles.push_back(tri);
    corners.push_back(t);
  }
  if (triangles.empty()) return;
  Tree tree(triangles.cbegin(), triangles.cend());
  tree.accelerate_distance_queries();
  (void)tree.closest_point(triangles.front().vertex(0));  // builds the search tree once, here
  ParallelFor(moved.size(), [&](std::size_t begin, std::size_t end) {
    for (std::size_t m = begin; m < end; ++m) {
      const std::size_t v = moved[m];
      const auto& p = target.positions[v];
      const Point query(p[0], p[1], p[2]);
      const auto [closest, id] = tree.closest_point_and_primitive(query);
      if (CGAL::squared_distance(query, closest) > max_distance * max_distance) continue;
      const size_t index = static_cast<size_t>(id - triangles.cbegin());
      const Triangle& tri = triangles[index];
      // barycentric weights of the closest point, from sub-triangle areas
      const double total = std::sqrt(tri.squared_area());
      std::array<double, 3> w{};
      for (int k = 0; k < 3; ++k) {
        const Triangle sub(closest, tri.vertex((k + 1) % 3), tri.vertex((k + 2) % 3));
        w[static_cast<size_t>(k)] = std::sqrt(sub.squared_area()) / total;
      }
      const double sum = w[0] + w[1] + w[2];
      std::array<double, 3> rgb{};
      for (size_t k = 0; k < 3; ++k) {
        const auto& c = source.colors[corners[index][k]];
        for (size_t ch = 0; ch < 3; ++ch) rgb[ch] += w[k] / sum * c[ch];
      }
      for (size_t ch = 0; ch < 3; ++ch) {
        target.colors[v][ch] = static_cast<uint8_t>(std::lround(std::clamp(rgb[ch], 0.0, 255.0)));
      }
    }
  });
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

std::string LocalRepair(Soup soup, const RepairOptions& options, RepairReport& report,
                        SurfaceMesh& sm, StepClock& clock) {
  // A soup that already is a polygon mesh (manifold, consistently oriented) needs neither
  // soup repair nor orientation: on a clean million-triangle mesh they cost seconds.
  if (!BuildFaceByFace(soup.points, soup.polygons, sm)) {
    const std::size_t before = soup.polygons.size();
    PMP::repair_polygon_soup(soup.points, soup.polygons);
    report.soup_fixes = static_cast<int64_t>(before) - static_cast<int64_t>(soup.polygons.size());
    if (soup.polygons.empty()) return "nothing is left after removing degenerate faces";
    PMP::orient_polygon_soup(soup.points, soup.polygons);
    PMP::polygon_soup_to_polygon_mesh(soup.points, soup.polygons, sm);
  }
  clock.Done("soup repair and orientation");
  report.stitched_edges = static_cast<int64_t>(PMP::stitch_borders(sm));
  PMP::remove_degenerate_faces(sm);
  report.non_manifold_vertices = static_cast<int64_t>(PMP::duplicate_non_manifold_vertices(sm));
  sm.collect_garbage();
  std::tie(report.parts_in, report.fragments_removed) = RemoveFragments(sm, options.min_part_mm);
  std::vector<Face> patches;
  std::tie(report.holes_filled, report.holes_left) = FillHoles(sm, options.max_hole_edges, patches);
  clock.Done("stitching, fragments and holes");
  if (!CGAL::is_closed(sm)) {
    return std::to_string(report.holes_left) + " hole(s) too large or too irregular to fill";
  }
  std::vector<std::pair<Face, Face>> pairs;
  PMP::self_intersections<CGAL::Parallel_if_available_tag>(sm, std::back_inserter(pairs));
  clock.Done("self-intersection test");
  report.self_intersections = static_cast<int64_t>(pairs.size());
  // Crossings that our own hole fills made (a fill that folds through the surface) are removed
  // where they are: CGAL's experimental local removal cuts the faces out and refills or smooths
  // the patch. Crossings that came with the file (teeth through a jaw, hair through a hat) are
  // not: cutting them out would lose those parts, so the rebuild unites them instead.
  std::set<Face> patch_faces(patches.begin(), patches.end());
  report.self_intersections_from_fills =
      std::count_if(pairs.begin(), pairs.end(), [&](const std::pair<Face, Face>& p) {
        return patch_faces.count(p.first) > 0 || patch_faces.count(p.second) > 0;
      });
  const bool all_from_fills =
      report.self_intersections_from_fills == static_cast<int64_t>(pairs.size());
  if (!pairs.empty() && all_from_fills &&
      pairs.size() <= static_cast<std::size_t>(options.max_local_crossings)) {
    std::set<Face> crossing;
    for (const auto& [a, b] : pairs) crossing.insert({a, b});
    SurfaceMesh before = sm;
    const bool removed = PMP::experimental::remove_self_intersections(crossing, sm);
    clock.Done("local self-intersection removal");
    if (removed && CGAL::is_closed(sm) &&
        !PMP::does_self_intersect<CGAL::Parallel_if_available_tag>(sm)) {
      report.self_intersections_removed = report.self_intersections;
      pairs.clear();
    } else {
      sm = std::move(before);
    }
  }
  if (!pairs.empty()) return std::to_string(pairs.size()) + " self-intersecting face pairs";
  for (Face f : sm.faces()) {
    if (PMP::is_degenerate_triangle_face(f, sm)) return "degenerate faces remain";
  }
  PMP::orient_to_bound_a_volume(sm);
  clock.Done("orientation");
  return {};
}

}  // namespace

// The widest a figure may be at its ordered height (a large printer's build plate).
constexpr double kMaxSideMm = 1000;

tl::expected<RepairResult, Error> RepairToSolid(const MeshData& input,
                                                const RepairOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  if (input.triangles.empty()) return tl::unexpected(Error{Errc::kEmpty, "no triangles"});
  RepairResult result;
  RepairReport& report = result.report;
  StepClock clock(report);
  report.input_vertices = static_cast<int64_t>(input.positions.size());
  report.input_triangles = static_cast<int64_t>(input.triangles.size());

  // Work at print scale, so that every tolerance is in millimetres.
  MeshData scaled = input;
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
  ScaleToHeight(scaled, options.height_mm);
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
    report.rebuilt = true;
    SurfaceMesh wrapped;
    const double offset = std::max(options.wrap_offset_mm, options.thicken_mm / 2);
    // When local repair closed every hole but left crossings, wrap its closed surface: the
    // wrap of the raw soup would go in through the holes and make a thin double shell.
    if (!sm.is_empty() && CGAL::is_closed(sm)) {
      CGAL::alpha_wrap_3(sm, options.wrap_alpha_mm, offset, wrapped);
    } else {
      CGAL::alpha_wrap_3(soup.points, soup.polygons, options.wrap_alpha_mm, offset, wrapped);
    }
    if (wrapped.is_empty()) {
      return tl::unexpected(Error{Errc::kUnreadable, "the volumetric rebuild produced nothing"});
    }
    sm = std::move(wrapped);
    RemoveFragments(sm, options.min_part_mm);
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
  result.mesh = ToMeshData(sm);
  if (result.mesh.triangles.empty()) {
    return tl::unexpected(Error{Errc::kEmpty, "nothing printable is left"});
  }
  if (!scaled.colors.empty()) {
    TransferVertexColors(scaled, result.mesh, 0.5 + options.thicken_mm);
    clock.Done("colour transfer");
  }
  ScaleToHeight(result.mesh, options.height_mm);  // the wrap's offset changes the height a little
  auto component = sm.add_property_map<Face, std::size_t>("f:shell", 0).first;
  report.shells = static_cast<int64_t>(PMP::connected_components(sm, component));
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
  std::vector<std::pair<Face, Face>> pairs;
  PMP::self_intersections<CGAL::Parallel_if_available_tag>(sm, std::back_inserter(pairs));
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

WallThickness MeasureWallThickness(const MeshData& mesh, double threshold_mm) {
  using Primitive = CGAL::AABB_face_graph_triangle_primitive<SurfaceMesh>;
  using Tree = CGAL::AABB_tree<CGAL::AABB_traits<Kernel, Primitive>>;
  WallThickness out;
  out.threshold_mm = threshold_mm;
  SurfaceMesh sm;
  if (!ToSurfaceMesh(mesh, sm)) return out;
  Tree tree(faces(sm).first, faces(sm).second, sm);
  tree.build();  // before the threads: queries on a built tree only read it
  const std::size_t n = sm.number_of_faces();
  out.face_mm.assign(n, std::numeric_limits<float>::infinity());
  std::vector<double> areas(n, 0.0);
  ParallelFor(n, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const Face f(static_cast<SurfaceMesh::size_type>(i));
      const std::array<Point, 3> p = FacePoints(sm, f);
      const auto normal = CGAL::cross_product(p[1] - p[0], p[2] - p[0]);
      const double twice_area = std::sqrt(normal.squared_length());
      if (twice_area <= 0) continue;
      const Point centre = CGAL::centroid(p[0], p[1], p[2]);
      const Kernel::Ray_3 inward(centre, -normal);
      auto hit = tree.first_intersection(inward, [f](Face other) { return other == f; });
      if (hit) {
        if (const Point* at = boost::get<Point>(&hit->first)) {
          out.face_mm[i] = static_cast<float>(std::sqrt(CGAL::squared_distance(centre, *at)));
        }
      }
      areas[i] = twice_area / 2;
    }
  });
  std::vector<std::pair<double, double>> samples;  // (thickness, area)
  samples.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (areas[i] <= 0) continue;
    samples.emplace_back(out.face_mm[i], areas[i]);
    out.area_mm2 += areas[i];
    if (out.face_mm[i] < threshold_mm) out.area_below_mm2 += areas[i];
  }
  std::sort(samples.begin(), samples.end());
  double seen = 0;
  bool p1_set = false;
  for (const auto& [thickness, area] : samples) {
    seen += area;
    if (!p1_set && seen >= 0.01 * out.area_mm2) {
      out.p1_mm = thickness;
      p1_set = true;
    }
    if (seen >= 0.5 * out.area_mm2) {
      out.p50_mm = thickness;
      break;
    }
  }
  return out;
}

}  // namespace keepsake::mesh
