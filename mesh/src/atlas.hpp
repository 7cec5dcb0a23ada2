// Rectangles packed into one texture atlas: several materials' textures side by side (import),
// and the cells of a surface whose colours are baked again after a rebuild (texture.cpp).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "keepsake/mesh/mesh_data.hpp"

namespace keepsake::mesh::atlas {

struct Rect {
  int x = 0;  // texels from the left
  int y = 0;  // texels from the top (the texture's rows run from the top)
  int width = 0;
  int height = 0;
};

struct Packing {
  std::vector<Rect> places;  // in the order of the sizes given
  int width = 0;
  int height = 0;
};

// Places rectangles on shelves, tallest first, trying a few atlas widths (about square, one
// row, one column) and keeping the smallest atlas. Simple, and within a few per cent of the
// area for rectangles of like sizes or for a few large ones, which is what the callers pack.
Packing PackShelves(const std::vector<std::array<int, 2>>& sizes);

// The texture coordinates (u, v from the bottom left, as in Texture) of a point `x` texels from
// the atlas's left and `y` texels from its top.
inline std::array<float, 2> UvOf(double x, double y, int width, int height) {
  return {static_cast<float>(x / width), static_cast<float>(1.0 - y / height)};
}

// The texel `x` from the left and `y` from the top: its three bytes.
uint8_t* TexelOf(Texture& texture, int x, int y);

// Copies `source` into `atlas` at `place`, as many times side by side as the place holds it
// (its size is a multiple of the source's: coordinates beyond [0, 1] repeat the texture), with
// `pad` texels around that repeat the outermost texels, so that bilinear reads near the edge
// stay in the tile as they stayed in the source (Texture::At clamps at its edges).
void Blit(const Texture& source, const Rect& place, int pad, Texture& atlas);

// Fills `place` and `pad` texels around it with one colour.
void Fill(const std::array<uint8_t, 3>& colour, const Rect& place, int pad, Texture& atlas);

}  // namespace keepsake::mesh::atlas
