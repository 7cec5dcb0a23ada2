#include "atlas.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>

namespace keepsake::mesh::atlas {

namespace {

// Shelves of at most `width` texels, in `order` (tallest first).
Packing PackAtWidth(const std::vector<std::array<int, 2>>& sizes,
                    const std::vector<std::size_t>& order, int width) {
  Packing out;
  out.places.resize(sizes.size());
  int x = 0, y = 0, shelf = 0;
  for (std::size_t i : order) {
    const auto& s = sizes[i];
    if (x + s[0] > width) {  // the shelf is full: start the next one under it
      y += shelf;
      x = 0;
      shelf = 0;
    }
    out.places[i] = Rect{x, y, s[0], s[1]};
    x += s[0];
    shelf = std::max(shelf, s[1]);
    out.width = std::max(out.width, x);
  }
  out.height = y + shelf;
  return out;
}

}  // namespace

Packing PackShelves(const std::vector<std::array<int, 2>>& sizes) {
  if (sizes.empty()) return {};
  double area = 0;
  int widest = 0;
  int64_t side_by_side = 0;
  for (const auto& s : sizes) {
    area += static_cast<double>(s[0]) * s[1];
    widest = std::max(widest, s[0]);
    side_by_side += s[0];
  }
  std::vector<std::size_t> order(sizes.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return sizes[a][1] > sizes[b][1]; });
  // A few widths, the smallest atlas kept: about square suits many like cells; a few large
  // textures often fit best all in one row, or one under another.
  const double square = std::sqrt(area * 1.05);
  Packing best;
  for (double width : {square, square * 1.25, static_cast<double>(widest),
                       static_cast<double>(std::min<int64_t>(side_by_side, 1 << 20))}) {
    Packing p = PackAtWidth(sizes, order, std::max(widest, static_cast<int>(std::ceil(width))));
    if (best.places.empty() || 1.0 * p.width * p.height < 1.0 * best.width * best.height) {
      best = std::move(p);
    }
  }
  return best;
}

uint8_t* TexelOf(Texture& t, int x, int y) {
  return &t.rgb[(static_cast<std::size_t>(y) * static_cast<std::size_t>(t.width) +
                 static_cast<std::size_t>(x)) *
                3];
}

void Blit(const Texture& source, const Rect& place, int pad, Texture& atlas) {
  for (int y = std::max(0, place.y - pad); y < std::min(atlas.height, place.y + place.height + pad);
       ++y) {
    // the tile's own texel (clamped into the tile for the padding), then the copy's
    const int sy = std::clamp(y - place.y, 0, place.height - 1) % source.height;
    for (int x = std::max(0, place.x - pad); x < std::min(atlas.width, place.x + place.width + pad);
         ++x) {
      const int sx = std::clamp(x - place.x, 0, place.width - 1) % source.width;
      const uint8_t* from =
          &source.rgb[(static_cast<std::size_t>(sy) * static_cast<std::size_t>(source.width) +
                       static_cast<std::size_t>(sx)) *
                      3];
      std::copy(from, from + 3, TexelOf(atlas, x, y));
    }
  }
}

void Fill(const std::array<uint8_t, 3>& colour, const Rect& place, int pad, Texture& atlas) {
  for (int y = std::max(0, place.y - pad); y < std::min(atlas.height, place.y + place.height + pad);
       ++y) {
    for (int x = std::max(0, place.x - pad); x < std::min(atlas.width, place.x + place.width + pad);
         ++x) {
      std::copy(colour.begin(), colour.end(), TexelOf(atlas, x, y));
    }
  }
}

}  // namespace keepsake::mesh::atlas
