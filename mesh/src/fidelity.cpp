// Distances between the original surface and the prepared one (a CGAL translation unit: the
// AABB tree of CGAL's AABB_tree package answers closest-point queries on triangles). Points are
// sampled uniformly by area with a fixed seed; a triangle that the result kept (the same three
// corners, to a hundredth of the tolerance) is at distance 0 without a query, so a local repair
// is measured where it changed something, against the surface within a millimetre of the
// points measured.
#include "keepsake/mesh/fidelity.hpp"
#include "keepsake/mesh/repair.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <unordered_map>
#include <unordered_set>

#include <CGAL/AABB_face_graph_triangle_primitive.h>
#include <CGAL/AABB_traits.h>
#include <CGAL/AABB_tree.h>
#include "cgal_mesh.hpp"
#include "surface_match.hpp"

namespace keepsake::mesh {

namespace {

using cgal::Face;
using cgal::FacePoints;
using cgal::Kernel;
using cgal::ParallelFor;
using cgal::Point;
using cgal::SurfaceMesh;
using cgal::ToSurfaceMesh;
using cgal::Triangle;
using cgal::TriangleOf;
using Tree = cgal::TriangleTree;

// A distance is first looked up among the surface within this of what changed; only a point
// farther than this from all of it is looked up on the whole surface.
constexpr double kNearMm = 1.0;
// Past this share of triangles changed (a rebuild), the whole surface is searched at once.
constexpr double kMostlyChanged = 0.25;
// What a distance reads when the other surface has no triangle to measure to.
constexpr double kNoSurfaceMm = 1000.0;

// `count` points on `mesh`, uniform by area; a point on a kept triangle is recorded as a
// distance of 0 in `zero`, the others returned.
std::vector<Point> Sample(const MeshData& mesh, const std::vector<bool>& kept, int count,
                          std::mt19937_64& random, int64_t& zero) {
  std::vector<double> cumulative(mesh.triangles.size());
  double total = 0;
  for (std::size_t i = 0; i < mesh.triangles.size(); ++i) {
    total += std::sqrt(TriangleOf(mesh, mesh.triangles[i]).squared_area());
    cumulative[i] = total;
  }
  std::vector<Point> points;
  if (total <= 0) return points;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int s = 0; s < count; ++s) {
    const double at = unit(random) * total;
    const std::size_t i = static_cast<std::size_t>(
        std::lower_bound(cumulative.begin(), cumulative.end(), at) - cumulative.begin());
    const std::size_t t = std::min(i, mesh.triangles.size() - 1);
    double a = unit(random), b = unit(random);
    if (a + b > 1) {
      a = 1 - a;
      b = 1 - b;
    }
    if (kept[t]) {
      ++zero;
      continue;
    }
    const Triangle tri = TriangleOf(mesh, mesh.triangles[t]);
    points.push_back(tri.vertex(0) + a * (tri.vertex(1) - tri.vertex(0)) +
                     b * (tri.vertex(2) - tri.vertex(0)));
  }
  return points;
}

// The space within kNearMm of what a repair changed, as cubes of kNearMm: a triangle whose
// box touches none of them lies farther than kNearMm from every change. (One box around all
// the changes took the whole model in when a hundred folds were spread over it.)
class NearChanges {
 public:
  // Everything is near (nothing is left out) until the first box is added.
  void Add(const CGAL::Bbox_3& box) {
    everywhere_ = false;
    ForCells(box, kNearMm, [&](uint64_t cell) {
      cells_.insert(cell);
      return false;
    });
  }
  void AddEverywhere() { everywhere_ = true; }
  bool Everywhere() const { return everywhere_; }
  bool Touches(const CGAL::Bbox_3& box) const {
    return everywhere_ || ForCells(box, 0, [&](uint64_t cell) { return cells_.count(cell) > 0; });
  }

 private:
  // Calls visit(cell) for each cube `box` grown by `grow` overlaps, until one returns true.
  template <typename Visit>
  static bool ForCells(const CGAL::Bbox_3& box, double grow, const Visit& visit) {
    const auto first = [&](double x) {
      return static_cast<int64_t>(std::floor((x - grow) / kNearMm));
    };
    const auto last = [&](double x) {
      return static_cast<int64_t>(std::floor((x + grow) / kNearMm));
    };
    for (int64_t x = first(box.xmin()); x <= last(box.xmax()); ++x) {
      for (int64_t y = first(box.ymin()); y <= last(box.ymax()); ++y) {
        for (int64_t z = first(box.zmin()); z <= last(box.zmax()); ++z) {
          if (visit(CellKey(x, y, z))) return true;  // cubes of 1 mm: a kilometre each way
        }
      }
    }
    return false;
  }

  bool everywhere_ = true;
  std::unordered_set<uint64_t> cells_;
};

// The triangles of `mesh` (not degenerate) near the changes.
std::vector<Triangle> TrianglesNear(const MeshData& mesh, const NearChanges& near) {
  std::vector<Triangle> out;
  for (const auto& t : mesh.triangles) {
    const Triangle tri = TriangleOf(mesh, t);
    if (!tri.is_degenerate() && near.Touches(tri.bbox())) out.push_back(tri);
  }
  return out;
}

// Each point's distance to the nearest of `triangles`, in parallel.
void Query(const std::vector<Point>& points, const std::vector<std::size_t>& which,
           const std::vector<Triangle>& triangles, std::vector<double>& out) {
  if (which.empty() || triangles.empty()) return;
  Tree tree(triangles.cbegin(), triangles.cend());
  tree.accelerate_distance_queries();
  (void)tree.closest_point(points[which.front()]);  // builds the search structure once, here
  cgal::ParallelFor(which.size(), [&](std::size_t begin, std::size_t end) {
    for (std::size_t k = begin; k < end; ++k) {
      out[which[k]] = std::sqrt(CGAL::to_double(tree.squared_distance(points[which[k]])));
    }
  });
}

// The distance from each of `points` (which lie on what changed) to `mesh`: looked up among
// `near` (the triangles near the changes); a point with nothing there within kNearMm is looked
// up again on the whole mesh, so every distance is exact.
std::vector<double> Distances(const std::vector<Point>& points, const std::vector<Triangle>& near,
                              const MeshData& mesh, const NearChanges& changes) {
  std::vector<double> out(points.size(), kNoSurfaceMm);
  std::vector<std::size_t> all(points.size());
  std::iota(all.begin(), all.end(), std::size_t{0});
  Query(points, all, near, out);
  std::vector<std::size_t> far;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!(out[i] <= kNearMm)) far.push_back(i);
  }
  if (!far.empty() && !changes.Everywhere()) {
    Query(points, far, TrianglesNear(mesh, NearChanges{}), out);
  }
  return out;
}

// Which of `points` lie inside the closed surface `mesh`: by the parity of a ray's crossings,
// the majority of three rays in unrelated directions (a ray through an edge counts wrong).
std::vector<bool> Inside(const std::vector<Point>& points, const MeshData& mesh) {
  std::vector<bool> out(points.size(), false);
  if (points.empty()) return out;
  std::vector<Triangle> triangles;
  for (const auto& t : mesh.triangles) {
    const Triangle tri = TriangleOf(mesh, t);
    if (!tri.is_degenerate()) triangles.push_back(tri);
  }
  if (triangles.empty()) return out;
  Tree tree(triangles.cbegin(), triangles.cend());
  tree.build();
  const std::array<Kernel::Vector_3, 3> directions = {Kernel::Vector_3(0.5773, 0.6123, 0.5406),
                                                      Kernel::Vector_3(-0.3312, 0.8124, -0.4801),
                                                      Kernel::Vector_3(0.7071, -0.2236, -0.6708)};
  cgal::ParallelFor(points.size(), [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      int votes = 0;
      for (const auto& d : directions) {
        votes += tree.number_of_intersected_primitives(Kernel::Ray_3(points[i], d)) % 2;
      }
      out[i] = votes >= 2;
    }
  });
  return out;
}

double Percentile(std::vector<double>& values, double q) {
  if (values.empty()) return 0;
  const std::size_t k = std::min(values.size() - 1, static_cast<std::size_t>(q * values.size()));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return values[k];
}

struct UnionFind {
  std::vector<uint32_t> parent;
  explicit UnionFind(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0u); }
  uint32_t Find(uint32_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void Join(uint32_t a, uint32_t b) { parent[Find(a)] = Find(b); }
};

std::vector<MovedRegion> Regions(const MeshData& result, const std::vector<float>& deviation,
                                 double within_mm, int max_regions) {
  UnionFind sets(result.positions.size());
  std::vector<std::size_t> moved;
  for (std::size_t f = 0; f < result.triangles.size(); ++f) {
    const auto& t = result.triangles[f];
    if (std::max({deviation[t[0]], deviation[t[1]], deviation[t[2]]}) <= within_mm) continue;
    moved.push_back(f);
    sets.Join(t[0], t[1]);
    sets.Join(t[1], t[2]);
  }
  std::unordered_map<uint32_t, MovedRegion> by_root;
  std::unordered_map<uint32_t, std::array<double, 3>> weighted;
  for (std::size_t f : moved) {
    const auto& t = result.triangles[f];
    const Triangle tri = TriangleOf(result, t);
    const double area = std::sqrt(tri.squared_area());
    const uint32_t root = sets.Find(t[0]);
    auto [it, fresh] = by_root.try_emplace(root);
    MovedRegion& r = it->second;
    if (fresh) {
      r.min_mm = r.max_mm_corner = result.positions[t[0]];
    }
    r.area_mm2 += area;
    std::array<double, 3>& sum = weighted[root];
    for (uint32_t v : t) {
      r.max_mm = std::max(r.max_mm, static_cast<double>(deviation[v]));
      for (std::size_t k = 0; k < 3; ++k) {
        r.min_mm[k] = std::min(r.min_mm[k], result.positions[v][k]);
        r.max_mm_corner[k] = std::max(r.max_mm_corner[k], result.positions[v][k]);
        sum[k] += area * result.positions[v][k] / 3;
      }
    }
  }
  std::vector<MovedRegion> out;
  for (auto& [root, region] : by_root) {
    for (std::size_t k = 0; k < 3; ++k) {
      region.centre_mm[k] = region.area_mm2 > 0 ? weighted[root][k] / region.area_mm2 : 0;
    }
    out.push_back(region);
  }
  std::sort(out.begin(), out.end(),
            [](const MovedRegion& a, const MovedRegion& b) { return a.area_mm2 > b.area_mm2; });
  if (out.size() > static_cast<std::size_t>(max_regions)) {
    out.resize(static_cast<std::size_t>(max_regions));
  }
  return out;
}

}  // namespace

Fidelity MeasureFidelity(const MeshData& original, const MeshData& result, double within_mm,
                         int samples, int max_regions) {
  Fidelity out;
  out.within_mm = within_mm;
  out.samples = samples;
  out.vertex_deviation_mm.assign(result.positions.size(), 0.0f);
  if (original.triangles.empty() || result.triangles.empty()) return out;
  // a vertex the weld moved by a rounding error is not a change: the figure's own triangles
  // count as kept within a hundredth of the tolerance (0.001 mm for 0.1 mm)
  const SurfaceMatch match = MatchSurfaces(original, result, within_mm / 100);
  const std::vector<bool>& original_kept = match.a_kept;
  const std::vector<bool>& result_kept = match.b_kept;

  // the points to measure: samples on what changed, on either side, and the result's vertices
  // that are not the original's
  std::mt19937_64 random(20261205);
  int64_t forward_zero = 0, back_zero = 0;
  const std::vector<Point> forward = Sample(original, original_kept, samples, random, forward_zero);
  const std::vector<Point> back = Sample(result, result_kept, samples, random, back_zero);
  std::vector<Point> moved_vertices;
  std::vector<std::size_t> moved_index;
  for (std::size_t v = 0; v < result.positions.size(); ++v) {
    if (match.b_corner[v]) continue;
    const auto& p = result.positions[v];
    moved_vertices.emplace_back(p[0], p[1], p[2]);
    moved_index.push_back(v);
  }

  // the surface near those points on either side: cubes around the points themselves, not
  // around the changed triangles (a weld's thousands of collapsed slivers are spread over the
  // whole figure, but hardly a sample falls on them)
  const auto changed_count = std::count(original_kept.begin(), original_kept.end(), false) +
                             std::count(result_kept.begin(), result_kept.end(), false);
  NearChanges near;
  if (changed_count >
      kMostlyChanged * static_cast<double>(original.triangles.size() + result.triangles.size())) {
    near.AddEverywhere();
  } else {
    for (const Point& p : forward) near.Add(p.bbox());
    for (const Point& p : back) near.Add(p.bbox());
    for (const Point& p : moved_vertices) near.Add(p.bbox());
  }
  std::vector<double> to_result, to_original;
  std::vector<Triangle> original_near;
  if (!back.empty() || !moved_vertices.empty()) original_near = TrianglesNear(original, near);
  if (!forward.empty()) to_result = Distances(forward, TrianglesNear(result, near), result, near);
  to_original = Distances(back, original_near, original, near);

  // per result vertex: 0 where it is one of the original's vertices, else measured
  const std::vector<double> vertex_distance =
      Distances(moved_vertices, original_near, original, near);
  for (std::size_t i = 0; i < moved_index.size(); ++i) {
    out.vertex_deviation_mm[moved_index[i]] = static_cast<float>(vertex_distance[i]);
  }

  // original surface farther than the tolerance but inside the result is buried, not lost
  std::vector<Point> far;
  std::vector<std::size_t> far_index;
  for (std::size_t i = 0; i < to_result.size(); ++i) {
    if (to_result[i] > within_mm) {
      far.push_back(forward[i]);
      far_index.push_back(i);
    }
  }
  const std::vector<bool> buried = Inside(far, result);
  std::vector<double> visible;
  visible.reserve(to_result.size());
  int64_t buried_count = 0;
  {
    std::vector<bool> drop(to_result.size(), false);
    for (std::size_t k = 0; k < far.size(); ++k) drop[far_index[k]] = buried[k];
    for (std::size_t i = 0; i < to_result.size(); ++i) {
      if (drop[i]) {
        ++buried_count;
      } else {
        visible.push_back(to_result[i]);
      }
    }
  }
  to_result = std::move(visible);
  out.buried_share = samples > 0 ? static_cast<double>(buried_count) / samples : 0;
  // the zeros of the kept triangles join the measured distances
  to_result.insert(to_result.end(), static_cast<std::size_t>(forward_zero), 0.0);
  to_original.insert(to_original.end(), static_cast<std::size_t>(back_zero), 0.0);
  const auto share = [&](const std::vector<double>& d) {
    if (d.empty()) return 1.0;
    return static_cast<double>(
               std::count_if(d.begin(), d.end(), [&](double x) { return x <= within_mm; })) /
           static_cast<double>(d.size());
  };
  out.share_within = share(to_result);
  out.back_share_within = share(to_original);
  out.max_mm = to_result.empty() ? 0 : *std::max_element(to_result.begin(), to_result.end());
  out.back_max_mm =
      to_original.empty() ? 0 : *std::max_element(to_original.begin(), to_original.end());
  out.p50_mm = Percentile(to_result, 0.50);
  out.p95_mm = Percentile(to_result, 0.95);
  out.p99_mm = Percentile(to_result, 0.99);
  out.back_p99_mm = Percentile(to_original, 0.99);
  out.regions = Regions(result, out.vertex_deviation_mm, within_mm, max_regions);
  return out;
}

}  // namespace keepsake::mesh
