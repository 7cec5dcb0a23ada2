// Centre of mass by the signed tetrahedra of each face with the origin (uniform density);
// footprint as the convex hull (Andrew's monotone chain) of the vertices on the plate.
#include "keepsake/mesh/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

namespace keepsake::mesh {

namespace {

using P2 = std::array<double, 2>;

double Cross(const P2& o, const P2& a, const P2& b) {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

std::vector<P2> ConvexHull(std::vector<P2> points) {
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  if (points.size() < 3) return points;
  std::vector<P2> hull(2 * points.size());
  size_t k = 0;
  for (const P2& p : points) {  // lower hull
    while (k >= 2 && Cross(hull[k - 2], hull[k - 1], p) <= 0) --k;
    hull[k++] = p;
  }
  for (size_t i = points.size() - 1, lower = k + 1; i-- > 0;) {  // upper hull
    while (k >= lower && Cross(hull[k - 2], hull[k - 1], points[i]) <= 0) --k;
    hull[k++] = points[i];
  }
  hull.resize(k - 1);
  return hull;  // counter-clockwise
}

// Signed distance from `com` to the edge of the convex hull of the points of `mesh` at or
// below `height` (positive inside), and the hull's area; -infinity when the points make no
// area (a point or a line).
double FootprintMargin(const MeshData& mesh, double height, const P2& com, double* area) {
  std::vector<P2> contact;
  for (const auto& p : mesh.positions) {
    if (p[2] <= height) contact.push_back({p[0], p[1]});
  }
  const std::vector<P2> hull = ConvexHull(contact);
  *area = 0;
  if (hull.size() < 3) return -std::numeric_limits<double>::infinity();
  double margin = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < hull.size(); ++i) {
    const P2& a = hull[i];
    const P2& b = hull[(i + 1) % hull.size()];
    *area += (a[0] * b[1] - b[0] * a[1]) / 2;
    const double length = std::hypot(b[0] - a[0], b[1] - a[1]);
    margin = std::min(margin, Cross(a, b, com) / length);  // signed distance, inside positive
  }
  return margin;
}

}  // namespace

Stability AnalyseStability(const MeshData& mesh, double contact_mm, double settle_mm) {
  Stability out;
  double six_volume = 0;
  std::array<double, 3> weighted{};
  for (const auto& t : mesh.triangles) {
    const auto& a = mesh.positions[t[0]];
    const auto& b = mesh.positions[t[1]];
    const auto& c = mesh.positions[t[2]];
    const double v = a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) +
                     a[2] * (b[0] * c[1] - b[1] * c[0]);
    six_volume += v;
    for (size_t k = 0; k < 3; ++k) weighted[k] += v * (a[k] + b[k] + c[k]) / 4.0;
  }
  if (six_volume <= 0) return out;
  for (size_t k = 0; k < 3; ++k) out.centre_of_mass[k] = weighted[k] / six_volume;

  const P2 com = {out.centre_of_mass[0], out.centre_of_mass[1]};
  // it touches the plate in a point or a line (margin -infinity): it cannot stand as placed
  out.margin_mm = FootprintMargin(mesh, contact_mm, com, &out.footprint_area_mm2);
  out.stands = out.margin_mm > 0;
  out.settle_mm =
      settle_mm > 0 ? settle_mm : std::max(contact_mm, 0.02 * ComputeBounds(mesh).Size(2));
  double settled_area = 0;
  out.settled_margin_mm = FootprintMargin(mesh, out.settle_mm, com, &settled_area);
  out.stands_after_settling = out.stands || out.settled_margin_mm > 0;
  return out;
}

std::vector<ThinRegion> FindThinRegions(const MeshData& mesh, const std::vector<float>& face_mm,
                                        double threshold_mm, size_t max_regions) {
  // union-find over the thin faces; two thin faces sharing a vertex are one region
  const size_t n = std::min(face_mm.size(), mesh.triangles.size());
  std::vector<size_t> parent(n);
  std::iota(parent.begin(), parent.end(), size_t{0});
  auto find = [&](size_t f) {
    while (parent[f] != f) f = parent[f] = parent[parent[f]];
    return f;
  };
  constexpr size_t kNone = std::numeric_limits<size_t>::max();
  std::vector<size_t> face_at_vertex(mesh.positions.size(), kNone);
  for (size_t f = 0; f < n; ++f) {
    if (!(face_mm[f] < threshold_mm)) continue;
    for (uint32_t v : mesh.triangles[f]) {
      if (face_at_vertex[v] == kNone) {
        face_at_vertex[v] = f;
      } else {
        parent[find(f)] = find(face_at_vertex[v]);
      }
    }
  }
  std::vector<ThinRegion> regions;
  std::vector<size_t> region_of_root(n, kNone);
  const double inf = std::numeric_limits<double>::infinity();
  for (size_t f = 0; f < n; ++f) {
    if (!(face_mm[f] < threshold_mm)) continue;
    size_t& r = region_of_root[find(f)];
    if (r == kNone) {
      r = regions.size();
      ThinRegion fresh;
      fresh.min = {inf, inf, inf};
      fresh.max = {-inf, -inf, -inf};
      fresh.thinnest_mm = inf;
      regions.push_back(fresh);
    }
    ThinRegion& region = regions[r];
    const auto& t = mesh.triangles[f];
    const auto& a = mesh.positions[t[0]];
    const auto& b = mesh.positions[t[1]];
    const auto& c = mesh.positions[t[2]];
    const std::array<double, 3> u{b[0] - a[0], b[1] - a[1], b[2] - a[2]};
    const std::array<double, 3> w{c[0] - a[0], c[1] - a[1], c[2] - a[2]};
    const double area = 0.5 * std::sqrt(std::pow(u[1] * w[2] - u[2] * w[1], 2) +
                                        std::pow(u[2] * w[0] - u[0] * w[2], 2) +
                                        std::pow(u[0] * w[1] - u[1] * w[0], 2));
    for (size_t k = 0; k < 3; ++k) {
      region.centre[k] += area * (a[k] + b[k] + c[k]) / 3;
      region.min[k] = std::min({region.min[k], a[k], b[k], c[k]});
      region.max[k] = std::max({region.max[k], a[k], b[k], c[k]});
    }
    region.area_mm2 += area;
    region.thinnest_mm = std::min(region.thinnest_mm, static_cast<double>(face_mm[f]));
    ++region.faces;
  }
  for (ThinRegion& region : regions) {
    for (size_t k = 0; k < 3; ++k) {
      region.centre[k] = region.area_mm2 > 0 ? region.centre[k] / region.area_mm2
                                             : (region.min[k] + region.max[k]) / 2;
    }
  }
  std::sort(regions.begin(), regions.end(),
            [](const ThinRegion& x, const ThinRegion& y) { return x.area_mm2 > y.area_mm2; });
  if (regions.size() > max_regions) regions.resize(max_regions);
  return regions;
}

}  // namespace keepsake::mesh
