// Two small tools the mesh measurements and repairs share, without CGAL (walls.cpp and
// surface_match.cpp use them too): a loop split over the cores, and the key of a cell of a
// uniform grid.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
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

}  // namespace keepsake::mesh
