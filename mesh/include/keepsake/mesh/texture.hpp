// A full-colour figure's texture through the repair, and the colour the printer will put where
// the customer's colour was.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "keepsake/mesh/mesh_data.hpp"

namespace keepsake::mesh {

struct TextureTransfer {
  int64_t faces_kept = 0;       // the original's own triangles: their coordinates as they were
  int64_t faces_projected = 0;  // added by the repair: coordinates from the surface they replace
  int64_t faces_baked = 0;      // a rebuilt surface: each triangle its own cell of a new atlas
  double baked_texel_mm = 0;    // the new atlas's texel at print scale (0: none was baked)
};

// Gives every triangle of `result` coordinates on `original`'s texture (both at print scale,
// in the same place): a triangle the repair kept takes its own corners' coordinates, a new one
// (a hole's fill, a refilled fold) takes those of the original triangle nearest its centre,
// extended linearly to its corners, so it stays within one island of the atlas. `result`
// gets `original`'s texture. Precondition: original.uvs.size() == original.triangles.size().
TextureTransfer TransferTexture(const MeshData& original, MeshData& result);

// For a surface rebuilt whole (a wrap, a thickening: none of the original's triangles kept,
// and an island of the original's atlas can no longer be followed across it): a new atlas with
// one cell per triangle of `result`, each texel the original's colour at the closest point of
// the original's surface. Texels are `texel_mm` at print scale (about what a full-colour
// printer resolves), never coarser than the original's own, and coarser only when the atlas
// would pass 4096 x 4096 texels. `result` gets the new texture and coordinates.
TextureTransfer BakeTexture(const MeshData& original, MeshData& result, double texel_mm = 0.1);

// Colours each vertex of `target` from the closest point on `source`'s surface, interpolating
// the source triangle's vertex colours (barycentric); a vertex the repair kept takes its own
// colour. Works on any triangle soup, both meshes in the same frame. Vertices farther than
// `max_distance` from the source (a base added under the figure) stay a neutral grey.
void TransferVertexColors(const MeshData& source, MeshData& target, double max_distance);

// CIEDE2000 colour difference between two sRGB colours (Sharma, Wu, Dalal 2005).
double Ciede2000(const std::array<uint8_t, 3>& a, const std::array<uint8_t, 3>& b);

// The colour a mesh carries at a point of a triangle (barycentric weights): its texture at the
// interpolated coordinates, else its interpolated vertex colours, else white.
std::array<uint8_t, 3> ColourAt(const MeshData& mesh, std::size_t triangle,
                                const std::array<double, 3>& weights);

struct ColourFidelity {
  int64_t samples = 0;  // points on the original's surface that the result kept (within_mm)
  double median_de = 0;
  double p95_de = 0;
  double share_under_3 = 0;  // share of those points whose difference is under 3 (barely seen)
  double within_mm = 0;      // how far from the result a point could lie and still be compared
};

// Samples points on `original` uniformly by area (fixed seed), reads their colour, finds the
// closest point of `result` and the colour the result carries there (as a printer reads it),
// and compares the two with CIEDE2000. Points farther than `within_mm` from the result (where
// the repair moved the surface) are left to the geometric fidelity.
ColourFidelity MeasureColourFidelity(const MeshData& original, const MeshData& result,
                                     int samples = 50000, double within_mm = 0.1);

// The colour difference (CIEDE2000) near each corner of each triangle of `result`, in its
// order (three values a triangle): the result's colour a little inside the triangle from the
// corner (so a corner on a seam reads its own island) against `original`'s colour at the
// closest point. Empty when `original` has no colour. For the console's colour map.
std::vector<float> CornerColourDifferences(const MeshData& original, const MeshData& result);

}  // namespace keepsake::mesh
