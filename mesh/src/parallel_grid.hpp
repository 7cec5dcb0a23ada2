// Small tools the mesh measurements and repairs share, without CGAL (walls.cpp and
// surface_match.cpp use them too): a loop split over the cores, the key of a cell of a uniform
// grid, and the points that are one within a tolerance (the weld, and telling what a repair
// kept when the weld moved a vertex by a rounding error).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <thread>
#include <vector>

namespace keepsake::mesh {

// Runs body(begin, end) over [0, n) in one chunk per core: per-face ray casts and
// closest-point queries on a built, read-only structure are independent of each other.
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

// One 64-bit key for the grid cell (x, y, z): 21 bits per axis, a million cells either side of
// the origin. Cells farther apart than that alias, which a user of the key must tolerate (every
// user here compares the actual coordinates, or only sifts candidates).
inline uint64_t CellKey(int64_t x, int64_t y, int64_t z) {
  const auto bits = [](int64_t c) { return static_cast<uint64_t>(c + (1 << 20)) & 0x1FFFFF; };
  return bits(x) << 42 | bits(y) << 21 | bits(z);
}

// For each of `n` points (`point(i)` gives its coordinates, indexable [0..2]), the point it is
// one with: the first representative found within `tolerance`, or itself when there is none,
// and then it is a representative. So rep[i] <= i, and rep[i] == i marks a representative.
// Representatives are kept in a grid of cells twice the tolerance (a point looks in the 8
// cells its reach overlaps), in one flat open-addressed table of chains: a million points in a
// fifth of a second, where a hash map of vectors took 2.5 s. Cells that alias (CellKey) share
// a chain, which costs a distance check, no error.
template <typename PointOf>
std::vector<uint32_t> FirstWithin(std::size_t n, const PointOf& point, double tolerance) {
  const double cell_size = 2 * tolerance;
  const auto cell = [&](double x) { return static_cast<int64_t>(std::floor(x / cell_size)); };
  std::size_t slots = 16;
  while (slots < 2 * n) slots *= 2;
  constexpr uint32_t kEmpty = std::numeric_limits<uint32_t>::max();
  std::vector<uint64_t> slot_key(slots, 0);
  std::vector<uint32_t> slot_head(slots, kEmpty);  // the latest representative in the cell
  std::vector<uint32_t> next(n, kEmpty);           // per representative: the one before it
  const auto slot_of = [&](uint64_t k) {
    std::size_t s = static_cast<std::size_t>((k * 0x9E3779B97F4A7C15ull) >> 20) & (slots - 1);
    while (slot_head[s] != kEmpty && slot_key[s] != k) s = (s + 1) & (slots - 1);
    return s;
  };
  std::vector<uint32_t> rep(n);
  const double tol2 = tolerance * tolerance;
  for (uint32_t v = 0; v < n; ++v) {
    const auto& p = point(v);
    uint32_t found = kEmpty;
    for (int64_t x = cell(p[0] - tolerance); x <= cell(p[0] + tolerance) && found == kEmpty; ++x) {
      for (int64_t y = cell(p[1] - tolerance); y <= cell(p[1] + tolerance) && found == kEmpty;
           ++y) {
        for (int64_t z = cell(p[2] - tolerance); z <= cell(p[2] + tolerance) && found == kEmpty;
             ++z) {
          for (uint32_t r = slot_head[slot_of(CellKey(x, y, z))]; r != kEmpty; r = next[r]) {
            const auto& q = point(r);
            const double dx = q[0] - p[0], dy = q[1] - p[1], dz = q[2] - p[2];
            if (dx * dx + dy * dy + dz * dz <= tol2) {
              found = r;
              break;
            }
          }
        }
      }
    }
    if (found != kEmpty) {
      rep[v] = found;
    } else {
      rep[v] = v;
      const uint64_t k = CellKey(cell(p[0]), cell(p[1]), cell(p[2]));
      const std::size_t s = slot_of(k);
      slot_key[s] = k;
      next[v] = slot_head[s];
      slot_head[s] = v;
    }
  }
  return rep;
}

}  // namespace keepsake::mesh
