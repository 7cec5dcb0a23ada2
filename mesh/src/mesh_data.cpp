#include "keepsake/mesh/mesh_data.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace keepsake::mesh {

Bounds ComputeBounds(const MeshData& mesh) {
  Bounds b;
  const double inf = std::numeric_limits<double>::infinity();
  b.min = {inf, inf, inf};
  b.max = {-inf, -inf, -inf};
  for (const auto& t : mesh.triangles) {
    for (uint32_t v : t) {
      for (size_t k = 0; k < 3; ++k) {
        b.min[k] = std::min(b.min[k], mesh.positions[v][k]);
        b.max[k] = std::max(b.max[k], mesh.positions[v][k]);
      }
    }
  }
  return b;
}

double SignedVolume(const MeshData& mesh) {
  double six_volume = 0;
  for (const auto& t : mesh.triangles) {
    const auto& a = mesh.positions[t[0]];
    const auto& b = mesh.positions[t[1]];
    const auto& c = mesh.positions[t[2]];
    six_volume += a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) +
                  a[2] * (b[0] * c[1] - b[1] * c[0]);
  }
  return six_volume / 6.0;
}

std::array<uint8_t, 3> Texture::At(float u, float v) const {
  if (Empty()) return {255, 255, 255};
  const double fu = (u - std::floor(u)) * width - 0.5;
  const double fv = (1.0 - (v - std::floor(v))) * height - 0.5;  // rows from the top
  const double x0 = std::floor(fu), y0 = std::floor(fv);
  const double ax = fu - x0, ay = fv - y0;
  auto texel = [&](double x, double y, int c) {
    const int xi = std::clamp(static_cast<int>(x), 0, width - 1);
    const int yi = std::clamp(static_cast<int>(y), 0, height - 1);
    return static_cast<double>(
        rgb[(static_cast<size_t>(yi) * static_cast<size_t>(width) + static_cast<size_t>(xi)) * 3 +
            static_cast<size_t>(c)]);
  };
  std::array<uint8_t, 3> out{};
  for (int c = 0; c < 3; ++c) {
    const double top = texel(x0, y0, c) * (1 - ax) + texel(x0 + 1, y0, c) * ax;
    const double bottom = texel(x0, y0 + 1, c) * (1 - ax) + texel(x0 + 1, y0 + 1, c) * ax;
    out[static_cast<size_t>(c)] =
        static_cast<uint8_t>(std::lround(std::clamp(top * (1 - ay) + bottom * ay, 0.0, 255.0)));
  }
  return out;
}

bool Placement::NearlyIdentity() const {
  return std::abs(scale - 1) < 1e-12 && std::abs(origin[0]) < 1e-9 && std::abs(origin[1]) < 1e-9 &&
         std::abs(origin[2]) < 1e-9;
}

Placement HeightPlacement(const MeshData& mesh, double height_mm) {
  const Bounds b = ComputeBounds(mesh);
  return {{(b.min[0] + b.max[0]) / 2, (b.min[1] + b.max[1]) / 2, b.min[2]}, height_mm / b.Size(2)};
}

void Apply(const Placement& placement, MeshData& mesh) {
  const auto& o = placement.origin;
  for (auto& p : mesh.positions) {
    p = {(p[0] - o[0]) * placement.scale, (p[1] - o[1]) * placement.scale,
         (p[2] - o[2]) * placement.scale};
  }
}

void ScaleToHeight(MeshData& mesh, double height_mm) {
  Apply(HeightPlacement(mesh, height_mm), mesh);
}

void RotateDegrees(MeshData& mesh, const std::array<double, 3>& degrees) {
  for (size_t axis = 0; axis < 3; ++axis) {
    if (degrees[axis] == 0) continue;
    const double a = degrees[axis] * std::acos(-1.0) / 180;
    const double c = std::cos(a), s = std::sin(a);
    // the two coordinates that turn, in right-handed order: X turns y->z, Y turns z->x, Z x->y
    const size_t i = (axis + 1) % 3, j = (axis + 2) % 3;
    for (auto& p : mesh.positions) {
      const double u = p[i], v = p[j];
      p[i] = c * u - s * v;
      p[j] = s * u + c * v;
    }
  }
}

}  // namespace keepsake::mesh
