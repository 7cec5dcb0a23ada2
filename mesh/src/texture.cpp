// Texture coordinates through the repair and the colour difference it leaves (a CGAL
// translation unit: closest-point queries on an AABB tree of the original's triangles).
#include "keepsake/mesh/texture.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <unordered_map>
#include <vector>

#include <CGAL/AABB_traits.h>
#include <CGAL/AABB_tree.h>
#include <CGAL/AABB_triangle_primitive.h>
#include "atlas.hpp"
#include "cgal_mesh.hpp"
#include "surface_match.hpp"

namespace keepsake::mesh {

namespace {

using cgal::Kernel;
using cgal::ParallelFor;
using cgal::Point;
using cgal::Triangle;
using cgal::TrianglesOf;
using Tree = cgal::TriangleTree;

Point PointOf(const MeshData& mesh, uint32_t v) {
  const auto& p = mesh.positions[v];
  return Point(p[0], p[1], p[2]);
}

// Barycentric weights of `p` (projected onto the triangle's plane); outside the triangle some
// are negative, which extends the triangle's parametrisation linearly.
std::array<double, 3> Weights(const Triangle& t, const Point& p) {
  const Kernel::Vector_3 a = t[1] - t[0], b = t[2] - t[0], c = p - t[0];
  const double aa = a * a, ab = a * b, bb = b * b, ca = c * a, cb = c * b;
  const double det = aa * bb - ab * ab;
  if (!(std::abs(det) > 0)) return {1.0 / 3, 1.0 / 3, 1.0 / 3};
  const double v = (bb * ca - ab * cb) / det;
  const double w = (aa * cb - ab * ca) / det;
  return {1 - v - w, v, w};
}

std::array<float, 2> Interpolate(const CornerUvs& uv, const std::array<double, 3>& w) {
  return {static_cast<float>(w[0] * uv[0][0] + w[1] * uv[1][0] + w[2] * uv[2][0]),
          static_cast<float>(w[0] * uv[0][1] + w[1] * uv[1][1] + w[2] * uv[2][1])};
}

std::array<double, 3> Lab(const std::array<uint8_t, 3>& rgb) {
  auto linear = [](uint8_t c) {
    const double s = c / 255.0;
    return s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4);
  };
  const double r = linear(rgb[0]), g = linear(rgb[1]), b = linear(rgb[2]);
  // sRGB (D65) to XYZ, relative to the D65 white
  const double x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047;
  const double y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
  const double z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883;
  auto f = [](double t) {
    return t > 216.0 / 24389 ? std::cbrt(t) : (24389.0 / 27 * t + 16) / 116;
  };
  return {116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))};
}

}  // namespace

double Ciede2000(const std::array<uint8_t, 3>& first, const std::array<uint8_t, 3>& second) {
  constexpr double kPi = 3.14159265358979323846;
  const auto deg = [](double r) { return r * 180 / kPi; };
  const auto rad = [](double d) { return d * kPi / 180; };
  const std::array<double, 3> l1 = Lab(first), l2 = Lab(second);
  const double c1 = std::hypot(l1[1], l1[2]), c2 = std::hypot(l2[1], l2[2]);
  const double c_mean7 = std::pow((c1 + c2) / 2, 7);
  const double g = 0.5 * (1 - std::sqrt(c_mean7 / (c_mean7 + std::pow(25.0, 7))));
  const double a1 = (1 + g) * l1[1], a2 = (1 + g) * l2[1];
  const double cp1 = std::hypot(a1, l1[2]), cp2 = std::hypot(a2, l2[2]);
  auto hue = [&](double b, double a) {
    if (a == 0 && b == 0) return 0.0;
    const double h = deg(std::atan2(b, a));
    return h < 0 ? h + 360 : h;
  };
  const double h1 = hue(l1[2], a1), h2 = hue(l2[2], a2);
  const double dl = l2[0] - l1[0], dc = cp2 - cp1;
  double dh = 0;
  if (cp1 * cp2 != 0) {
    dh = h2 - h1;
    if (dh > 180) dh -= 360;
    if (dh < -180) dh += 360;
  }
  const double dhh = 2 * std::sqrt(cp1 * cp2) * std::sin(rad(dh / 2));
  const double l_mean = (l1[0] + l2[0]) / 2, cp_mean = (cp1 + cp2) / 2;
  double h_mean = h1 + h2;
  if (cp1 * cp2 != 0) {
    if (std::abs(h1 - h2) <= 180) {
      h_mean = (h1 + h2) / 2;
    } else {
      h_mean = (h1 + h2 + (h1 + h2 < 360 ? 360 : -360)) / 2;
    }
  }
  const double t = 1 - 0.17 * std::cos(rad(h_mean - 30)) + 0.24 * std::cos(rad(2 * h_mean)) +
                   0.32 * std::cos(rad(3 * h_mean + 6)) - 0.20 * std::cos(rad(4 * h_mean - 63));
  const double d_theta = 30 * std::exp(-std::pow((h_mean - 275) / 25, 2));
  const double cp_mean7 = std::pow(cp_mean, 7);
  const double rc = 2 * std::sqrt(cp_mean7 / (cp_mean7 + std::pow(25.0, 7)));
  const double sl = 1 + 0.015 * std::pow(l_mean - 50, 2) / std::sqrt(20 + std::pow(l_mean - 50, 2));
  const double sc = 1 + 0.045 * cp_mean;
  const double sh = 1 + 0.015 * cp_mean * t;
  const double rt = -std::sin(rad(2 * d_theta)) * rc;
  const double x = dl / sl, y = dc / sc, z = dhh / sh;
  return std::sqrt(x * x + y * y + z * z + rt * y * z);
}

std::array<uint8_t, 3> ColourAt(const MeshData& mesh, std::size_t triangle,
                                const std::array<double, 3>& w) {
  if (!mesh.texture.Empty() && triangle < mesh.uvs.size()) {
    const std::array<float, 2> uv = Interpolate(mesh.uvs[triangle], w);
    return mesh.texture.At(uv[0], uv[1]);
  }
  if (mesh.colors.size() == mesh.positions.size()) {
    std::array<uint8_t, 3> out{};
    const auto& t = mesh.triangles[triangle];
    for (std::size_t c = 0; c < 3; ++c) {
      const double v =
          w[0] * mesh.colors[t[0]][c] + w[1] * mesh.colors[t[1]][c] + w[2] * mesh.colors[t[2]][c];
      out[c] = static_cast<uint8_t>(std::lround(std::clamp(v, 0.0, 255.0)));
    }
    return out;
  }
  return {255, 255, 255};
}

TextureTransfer TransferTexture(const MeshData& original, MeshData& result) {
  TextureTransfer out;
  const std::vector<Triangle> triangles = TrianglesOf(original);
  Tree tree(triangles.begin(), triangles.end());
  tree.accelerate_distance_queries();
  result.uvs.assign(result.triangles.size(), CornerUvs{});
  std::vector<uint8_t> kept(result.triangles.size(), 0);
  cgal::ParallelFor(result.triangles.size(), [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const auto& t = result.triangles[i];
      const Point a = PointOf(result, t[0]), b = PointOf(result, t[1]), c = PointOf(result, t[2]);
      const Point centre = CGAL::centroid(a, b, c);
      const auto [closest, primitive] = tree.closest_point_and_primitive(centre);
      const auto source = static_cast<std::size_t>(primitive - triangles.begin());
      const Triangle& s = triangles[source];
      bool same = true;
      for (std::size_t k = 0; k < 3; ++k) {
        const Point corner = k == 0 ? a : (k == 1 ? b : c);
        const std::array<double, 3> w = Weights(s, corner);
        result.uvs[i][k] = Interpolate(original.uvs[source], w);
        const double nearest =
            std::min({CGAL::squared_distance(corner, s[0]), CGAL::squared_distance(corner, s[1]),
                      CGAL::squared_distance(corner, s[2])});
        same = same && nearest < 1e-8;  // within 0.1 micron: the rounding to floats
      }
      kept[i] = same ? 1 : 0;
    }
  });
  out.faces_kept = std::count(kept.begin(), kept.end(), 1);
  out.faces_projected = static_cast<int64_t>(kept.size()) - out.faces_kept;
  result.texture = original.texture;
  return out;
}

namespace {

// The original's texel at print scale: the median over its triangles of the surface a texel
// covers (each triangle's area against the area its coordinates take in the texture).
double OriginalTexelMm(const MeshData& original) {
  std::vector<double> sizes;
  sizes.reserve(original.triangles.size());
  const double w = original.texture.width, h = original.texture.height;
  for (std::size_t i = 0; i < original.triangles.size() && i < original.uvs.size(); ++i) {
    const auto& uv = original.uvs[i];
    const double texels = std::abs((uv[1][0] - uv[0][0]) * w * (uv[2][1] - uv[0][1]) * h -
                                   (uv[2][0] - uv[0][0]) * w * (uv[1][1] - uv[0][1]) * h) /
                          2;
    const double area = std::sqrt(cgal::TriangleOf(original, original.triangles[i]).squared_area());
    if (texels > 1e-9 && area > 0) sizes.push_back(std::sqrt(area / texels));
  }
  if (sizes.empty()) return 1e9;
  std::nth_element(sizes.begin(), sizes.begin() + static_cast<std::ptrdiff_t>(sizes.size() / 2),
                   sizes.end());
  return sizes[sizes.size() / 2];
}

constexpr double kMaxBakedTexels = 4096.0 * 4096.0;

// A triangle's cell: its longest edge across `inner` texels, a texel of guard on each side.
int InnerTexels(const Triangle& t, double texel_mm) {
  const double longest =
      std::sqrt(std::max({CGAL::squared_distance(t[0], t[1]), CGAL::squared_distance(t[1], t[2]),
                          CGAL::squared_distance(t[2], t[0])}));
  return std::clamp(static_cast<int>(std::ceil(longest / texel_mm)), 2, 64);
}

}  // namespace

TextureTransfer BakeTexture(const MeshData& original, MeshData& result, double texel_mm) {
  TextureTransfer out;
  const std::vector<Triangle> from = TrianglesOf(original), to = TrianglesOf(result);
  if (from.empty() || to.empty()) return out;
  texel_mm = std::max(std::min(texel_mm, OriginalTexelMm(original)), 0.01);
  // the cells, coarser until they fit the largest atlas a print file should carry
  std::vector<std::array<int, 2>> sizes(to.size());
  for (;;) {
    double texels = 0;
    for (std::size_t i = 0; i < to.size(); ++i) {
      const int cell = InnerTexels(to[i], texel_mm) + 2;
      sizes[i] = {cell, cell};
      texels += 1.0 * cell * cell;
    }
    if (texels <= kMaxBakedTexels) break;
    texel_mm *= 1.25;
  }
  const atlas::Packing packing = atlas::PackShelves(sizes);
  Texture& baked = result.texture;
  baked = {};
  baked.width = packing.width;
  baked.height = packing.height;
  baked.rgb.assign(
      static_cast<std::size_t>(baked.width) * static_cast<std::size_t>(baked.height) * 3, 255);
  result.uvs.assign(to.size(), CornerUvs{});
  Tree tree(from.begin(), from.end());
  tree.accelerate_distance_queries();
  cgal::ParallelFor(to.size(), [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const Triangle& t = to[i];
      const atlas::Rect& cell = packing.places[i];
      const int inner = cell.width - 2;
      // the corner opposite the longest edge at the cell's right angle, so that no edge is
      // drawn across fewer texels than its length asks for
      std::size_t right = 0;
      double longest = -1;
      for (std::size_t k = 0; k < 3; ++k) {
        const double d = CGAL::squared_distance(t[(k + 1) % 3], t[(k + 2) % 3]);
        if (d > longest) longest = d, right = k;
      }
      const std::size_t second = (right + 1) % 3, third = (right + 2) % 3;
      const double x0 = cell.x + 1, y0 = cell.y + 1;
      result.uvs[i][right] = atlas::UvOf(x0, y0, baked.width, baked.height);
      result.uvs[i][second] = atlas::UvOf(x0 + inner, y0, baked.width, baked.height);
      result.uvs[i][third] = atlas::UvOf(x0, y0 + inner, baked.width, baked.height);
      auto hint = tree.closest_point_and_primitive(CGAL::centroid(t[0], t[1], t[2]));
      // every texel a bilinear read inside the triangle can reach (those whose centre lies
      // less than two texels, in x + y, past the long edge), the guard too: the colour at the
      // point of the triangle nearest the texel's centre; the cell's far corner, which nothing
      // reads, repeats the texel before it (for viewers' mipmaps)
      std::array<uint8_t, 3> colour{255, 255, 255};
      for (int y = 0; y < cell.height; ++y) {
        for (int x = 0; x < cell.width; ++x) {
          if (x + y <= inner + 2) {
            double s = std::max(0.0, (x + 0.5 - 1) / inner);
            double r = std::max(0.0, (y + 0.5 - 1) / inner);
            if (s + r > 1) {
              const double sum = s + r;
              s /= sum;
              r /= sum;
            }
            const Point p = CGAL::barycenter(t[right], 1 - s - r, t[second], s, t[third], r);
            hint = tree.closest_point_and_primitive(p, hint);
            const auto source = static_cast<std::size_t>(hint.second - from.begin());
            colour = ColourAt(original, source, Weights(from[source], hint.first));
          }
          std::copy(colour.begin(), colour.end(), atlas::TexelOf(baked, cell.x + x, cell.y + y));
        }
      }
    }
  });
  out.faces_baked = static_cast<int64_t>(to.size());
  out.baked_texel_mm = texel_mm;
  return out;
}

ColourFidelity MeasureColourFidelity(const MeshData& original, const MeshData& result, int samples,
                                     double within_mm) {
  ColourFidelity out;
  out.within_mm = within_mm;
  if (original.triangles.empty() || result.triangles.empty() || samples <= 0) return out;
  const std::vector<Triangle> from = TrianglesOf(original), to = TrianglesOf(result);
  std::vector<double> cumulative(from.size());
  double total = 0;
  for (std::size_t i = 0; i < from.size(); ++i) {
    total += std::sqrt(from[i].squared_area());
    cumulative[i] = total;
  }
  if (!(total > 0)) return out;
  Tree tree(to.begin(), to.end());
  tree.accelerate_distance_queries();
  std::mt19937_64 random(20261205);
  std::uniform_real_distribution<double> unit(0, 1);
  struct Sample {
    std::size_t triangle;
    std::array<double, 3> weights;
  };
  std::vector<Sample> points(static_cast<std::size_t>(samples));
  for (Sample& s : points) {
    s.triangle = static_cast<std::size_t>(
        std::lower_bound(cumulative.begin(), cumulative.end(), unit(random) * total) -
        cumulative.begin());
    s.triangle = std::min(s.triangle, from.size() - 1);
    double u = unit(random), v = unit(random);
    if (u + v > 1) u = 1 - u, v = 1 - v;
    s.weights = {1 - u - v, u, v};
  }
  std::vector<double> differences(points.size(), -1);
  cgal::ParallelFor(points.size(), [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const Sample& s = points[i];
      const Triangle& t = from[s.triangle];
      const Point p = CGAL::barycenter(t[0], s.weights[0], t[1], s.weights[1], t[2], s.weights[2]);
      const auto [closest, primitive] = tree.closest_point_and_primitive(p);
      if (CGAL::squared_distance(p, closest) > within_mm * within_mm) continue;
      const auto target = static_cast<std::size_t>(primitive - to.begin());
      differences[i] = Ciede2000(ColourAt(original, s.triangle, s.weights),
                                 ColourAt(result, target, Weights(to[target], closest)));
    }
  });
  differences.erase(std::remove(differences.begin(), differences.end(), -1.0), differences.end());
  if (differences.empty()) return out;
  std::sort(differences.begin(), differences.end());
  out.samples = static_cast<int64_t>(differences.size());
  const auto at = [&](double q) {
    return differences[std::min(
        differences.size() - 1,
        static_cast<std::size_t>(q * static_cast<double>(differences.size())))];
  };
  out.median_de = at(0.5);
  out.p95_de = at(0.95);
  out.share_under_3 =
      static_cast<double>(std::lower_bound(differences.begin(), differences.end(), 3.0) -
                          differences.begin()) /
      static_cast<double>(differences.size());
  return out;
}

std::vector<float> CornerColourDifferences(const MeshData& original, const MeshData& result) {
  const bool coloured =
      !original.texture.Empty() || original.colors.size() == original.positions.size();
  if (!coloured || original.triangles.empty()) return {};
  const std::vector<Triangle> from = TrianglesOf(original), to = TrianglesOf(result);
  Tree tree(from.begin(), from.end());
  tree.accelerate_distance_queries();
  // a triangle the repair kept carries the original's colour as it was (its own texture
  // coordinates, or its unmoved vertices' colours): 0 without a query, as in MeasureFidelity
  const std::vector<bool> kept = MatchSurfaces(original, result).b_kept;
  std::vector<float> out(3 * to.size(), 0.0f);
  cgal::ParallelFor(to.size(), [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      if (kept[i]) continue;
      for (std::size_t k = 0; k < 3; ++k) {
        std::array<double, 3> w{0.1, 0.1, 0.1};
        w[k] = 0.8;
        const Triangle& t = to[i];
        const Point p = CGAL::barycenter(t[0], w[0], t[1], w[1], t[2], w[2]);
        const auto [closest, primitive] = tree.closest_point_and_primitive(p);
        const auto source = static_cast<std::size_t>(primitive - from.begin());
        out[3 * i + k] = static_cast<float>(Ciede2000(
            ColourAt(original, source, Weights(from[source], closest)), ColourAt(result, i, w)));
      }
    }
  });
  return out;
}

void TransferVertexColors(const MeshData& source, MeshData& target, double max_distance) {
  // Local repair keeps the input's vertices where they were: those take their own colour, and
  // only the new ones (a rebuild's surface, a base) need the closest-point search.
  struct PositionHash {
    std::size_t operator()(const std::array<double, 3>& p) const {
      std::size_t h = 0;
      for (double x : p) h = h * 1000003u ^ std::hash<double>()(x);
      return h;
    }
  };
  std::unordered_map<std::array<double, 3>, uint32_t, PositionHash> same;
  same.reserve(source.positions.size());
  for (std::size_t v = 0; v < source.positions.size(); ++v) {
    same.emplace(source.positions[v], static_cast<uint32_t>(v));
  }
  target.colors.assign(target.positions.size(), {200, 200, 200});
  std::vector<std::size_t> moved;
  for (std::size_t v = 0; v < target.positions.size(); ++v) {
    const auto it = same.find(target.positions[v]);
    if (it != same.end()) {
      target.colors[v] = source.colors[it->second];
    } else {
      moved.push_back(v);
    }
  }
  if (moved.empty()) return;
  using Triangle = Kernel::Triangle_3;
  using Iterator = std::vector<Triangle>::const_iterator;
  using Primitive = CGAL::AABB_triangle_primitive<Kernel, Iterator>;
  using Tree = CGAL::AABB_tree<CGAL::AABB_traits<Kernel, Primitive>>;
  std::vector<Triangle> triangles;
  std::vector<std::array<uint32_t, 3>> corners;
  for (const auto& t : source.triangles) {
    const auto& a = source.positions[t[0]];
    const auto& b = source.positions[t[1]];
    const auto& c = source.positions[t[2]];
    Triangle tri(Point(a[0], a[1], a[2]), Point(b[0], b[1], b[2]), Point(c[0], c[1], c[2]));
    if (tri.is_degenerate()) continue;
    triangles.push_back(tri);
    corners.push_back(t);
  }
  if (triangles.empty()) return;
  Tree tree(triangles.cbegin(), triangles.cend());
  tree.accelerate_distance_queries();
  (void)tree.closest_point(triangles.front().vertex(0));  // builds the search tree once, here
  ParallelFor(moved.size(), [&](std::size_t begin, std::size_t end) {
    for (std::size_t m = begin; m < end; ++m) {
      const std::size_t v = moved[m];
      const auto& p = target.positions[v];
      const Point query(p[0], p[1], p[2]);
      const auto [closest, id] = tree.closest_point_and_primitive(query);
      if (CGAL::squared_distance(query, closest) > max_distance * max_distance) continue;
      const size_t index = static_cast<size_t>(id - triangles.cbegin());
      const Triangle& tri = triangles[index];
      // barycentric weights of the closest point, from sub-triangle areas
      const double total = std::sqrt(tri.squared_area());
      std::array<double, 3> w{};
      for (int k = 0; k < 3; ++k) {
        const Triangle sub(closest, tri.vertex((k + 1) % 3), tri.vertex((k + 2) % 3));
        w[static_cast<size_t>(k)] = std::sqrt(sub.squared_area()) / total;
      }
      const double sum = w[0] + w[1] + w[2];
      std::array<double, 3> rgb{};
      for (size_t k = 0; k < 3; ++k) {
        const auto& c = source.colors[corners[index][k]];
        for (size_t ch = 0; ch < 3; ++ch) rgb[ch] += w[k] / sum * c[ch];
      }
      for (size_t ch = 0; ch < 3; ++ch) {
        target.colors[v][ch] = static_cast<uint8_t>(std::lround(std::clamp(rgb[ch], 0.0, 255.0)));
      }
    }
  });
}

}  // namespace keepsake::mesh
