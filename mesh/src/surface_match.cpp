#include "surface_match.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <numeric>
#include <thread>

namespace keepsake::mesh {

namespace {

using Names = std::array<uint32_t, 3>;

// Each triangle's corners as names of distinct points, in ascending order.
std::vector<Names> TriangleNames(const MeshData& mesh, const std::vector<uint32_t>& name_of) {
  std::vector<Names> out(mesh.triangles.size());
  for (std::size_t i = 0; i < mesh.triangles.size(); ++i) {
    const auto& t = mesh.triangles[i];
    Names n = {name_of[t[0]], name_of[t[1]], name_of[t[2]]};
    std::sort(n.begin(), n.end());
    out[i] = n;
  }
  return out;
}

// The triangles of `names` in ascending order of their names.
std::vector<uint32_t> SortedOrder(const std::vector<Names>& names) {
  std::vector<uint32_t> order(names.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [&](uint32_t x, uint32_t y) { return names[x] < names[y]; });
  return order;
}

}  // namespace

SurfaceMatch MatchSurfaces(const MeshData& a, const MeshData& b) {
  SurfaceMatch out;
  out.a_kept.assign(a.triangles.size(), false);
  out.b_kept.assign(b.triangles.size(), false);
  out.b_corner.assign(b.positions.size(), false);

  // every vertex of both, sorted by its point: equal points side by side get one name
  const std::size_t na = a.positions.size();
  const auto point_of = [&](uint32_t i) -> const std::array<double, 3>& {
    return i < na ? a.positions[i] : b.positions[i - na];
  };
  std::vector<uint32_t> order(na + b.positions.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [&](uint32_t x, uint32_t y) { return point_of(x) < point_of(y); });
  std::vector<uint32_t> name_a(na), name_b(b.positions.size());
  uint32_t name = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    if (k > 0 && point_of(order[k]) != point_of(order[k - 1])) ++name;
    if (order[k] < na) {
      name_a[order[k]] = name;
    } else {
      name_b[order[k] - na] = name;
    }
  }
  // a vertex of b is one of a's when a vertex of a shares its name (a run of equal points)
  for (std::size_t k = 0; k < order.size();) {
    std::size_t end = k + 1;
    while (end < order.size() && point_of(order[end]) == point_of(order[k])) ++end;
    bool in_a = false;
    for (std::size_t j = k; j < end; ++j) in_a |= order[j] < na;
    if (in_a) {
      for (std::size_t j = k; j < end; ++j) {
        if (order[j] >= na) out.b_corner[order[j] - na] = true;
      }
    }
    k = end;
  }

  // the two meshes' triangles, sorted on two cores, then merged
  const std::vector<Names> ta = TriangleNames(a, name_a), tb = TriangleNames(b, name_b);
  std::vector<uint32_t> oa, ob;
  std::thread other([&] { oa = SortedOrder(ta); });
  ob = SortedOrder(tb);
  other.join();
  std::size_t i = 0, j = 0;
  while (i < oa.size() && j < ob.size()) {
    const Names& x = ta[oa[i]];
    const Names& y = tb[ob[j]];
    if (x < y) {
      ++i;
    } else if (y < x) {
      ++j;
    } else {  // mark every copy on both sides
      std::size_t i_end = i, j_end = j;
      while (i_end < oa.size() && ta[oa[i_end]] == x) out.a_kept[oa[i_end++]] = true;
      while (j_end < ob.size() && tb[ob[j_end]] == x) out.b_kept[ob[j_end++]] = true;
      i = i_end;
      j = j_end;
    }
  }
  return out;
}

}  // namespace keepsake::mesh
