// The plain triangle mesh that crosses the mesh module's border: no Assimp or CGAL type.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace keepsake::mesh {

// A base-colour texture: 8-bit sRGB, rows from the top. (u, v) runs from the bottom-left
// corner, as in OBJ, VRML97 and Assimp; outside [0, 1] it repeats.
struct Texture {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;  // width * height * 3
  bool Empty() const { return width <= 0 || height <= 0; }
  std::array<uint8_t, 3> At(float u, float v) const;  // bilinear between texel centres
};

using CornerUvs = std::array<std::array<float, 2>, 3>;

struct MeshData {
  std::vector<std::array<double, 3>> positions;    // file units on import, mm after scaling
  std::vector<std::array<uint32_t, 3>> triangles;  // counter-clockwise seen from outside
  std::vector<std::array<uint8_t, 3>> colors;      // per vertex (sRGB), or empty
  // With a texture: each triangle's corners' texture coordinates (per corner, so that seams
  // between islands of the atlas stay where they are); empty without one.
  std::vector<CornerUvs> uvs;
  Texture texture;

  size_t VertexCount() const { return positions.size(); }
  size_t TriangleCount() const { return triangles.size(); }
};

struct Bounds {
  std::array<double, 3> min{};
  std::array<double, 3> max{};
  double Size(int axis) const {
    return max[static_cast<size_t>(axis)] - min[static_cast<size_t>(axis)];
  }
};

// Axis-aligned bounds of the vertices that triangles use. Precondition: at least one triangle.
Bounds ComputeBounds(const MeshData& mesh);

// Signed volume by the divergence theorem: positive when the triangles face outward.
double SignedVolume(const MeshData& mesh);

// A uniform scale about a point: p' = (p - origin) * scale.
struct Placement {
  std::array<double, 3> origin{};
  double scale = 1;
  // Nothing would move by more than rounding: applying it is skipped, so that vertices kept by
  // a local repair stay bit for bit where they were.
  bool NearlyIdentity() const;
};
// What ScaleToHeight applies to `mesh`.
Placement HeightPlacement(const MeshData& mesh, double height_mm);
void Apply(const Placement& placement, MeshData& mesh);

// Scales uniformly so that the Z extent is `height_mm` and translates so that the model stands
// on z = 0, centred on x = y = 0.
void ScaleToHeight(MeshData& mesh, double height_mm);

// Rotates about the X, then Y, then Z axis through the origin, by degrees (right-handed).
void RotateDegrees(MeshData& mesh, const std::array<double, 3>& degrees);

}  // namespace keepsake::mesh
