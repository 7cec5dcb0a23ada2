#include "surface_match.hpp"

#include "parallel_grid.hpp"

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

// Names for a's and b's points, equal only bit for bit: every vertex of both sorted by its
// point, equal points side by side get one name.
void NamesBitForBit(const MeshData& a, const MeshData& b, std::vector<uint32_t>& name_a,
                    std::vector<uint32_t>& name_b, std::vector<bool>& b_corner) {
  const std::size_t na = a.positions.size();
  const auto point_of = [&](uint32_t i) -> const std::array<double, 3>& {
    return i < na ? a.positions[i] : b.positions[i - na];
  };
  std::vector<uint32_t> order(na + b.positions.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [&](uint32_t x, uint32_t y) { return point_of(x) < point_of(y); });
  name_a.resize(na);
  name_b.resize(b.positions.size());
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
        if (order[j] >= na) b_corner[order[j] - na] = true;
      }
    }
    k = end;
  }
}

// Names for a's and b's points: the representative's index among both (a's first).
void NamesWithin(const MeshData& a, const MeshData& b, double same_within,
                 std::vector<uint32_t>& name_a, std::vector<uint32_t>& name_b,
                 std::vector<bool>& b_corner) {
  const std::size_t na = a.positions.size();
  const std::vector<uint32_t> rep = FirstWithin(
      na + b.positions.size(),
      [&](uint32_t i) -> const std::array<double, 3>& {
        return i < na ? a.positions[i] : b.positions[i - na];
      },
      same_within);
  name_a.assign(rep.begin(), rep.begin() + static_cast<std::ptrdiff_t>(na));
  name_b.assign(rep.begin() + static_cast<std::ptrdiff_t>(na), rep.end());
  for (std::size_t v = 0; v < name_b.size(); ++v) b_corner[v] = name_b[v] < na;
}

}  // namespace

SurfaceMatch MatchSurfaces(const MeshData& a, const MeshData& b, double same_within) {
  SurfaceMatch out;
  out.a_kept.assign(a.triangles.size(), false);
  out.b_kept.assign(b.triangles.size(), false);
  out.b_corner.assign(b.positions.size(), false);
  std::vector<uint32_t> name_a, name_b;
  if (same_within > 0) {
    NamesWithin(a, b, same_within, name_a, name_b, out.b_corner);
  } else {
    NamesBitForBit(a, b, name_a, name_b, out.b_corner);
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
