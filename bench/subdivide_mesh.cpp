// Makes the large meshes of the preparation benchmark: imports a sample with Keepsake's own
// importer, splits every triangle into four at its edge midpoints LEVELS times (the shape is
// unchanged, the count grows 4x per level), and writes a binary PLY with vertex colours (when
// the sample has them), a textured OBJ zip (when it has a texture: the corners' texture
// coordinates split with their triangles) or a binary STL.
//   keepsake_subdivide INPUT LEVELS OUTPUT.{ply,zip,stl}
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "keepsake/mesh/export.hpp"
#include "keepsake/mesh/format.hpp"
#include "keepsake/mesh/import.hpp"

using keepsake::mesh::MeshData;

namespace {

MeshData Subdivide(const MeshData& in) {
  MeshData out;
  out.positions = in.positions;
  out.colors = in.colors;
  std::map<std::pair<uint32_t, uint32_t>, uint32_t> midpoint;
  auto middle = [&](uint32_t a, uint32_t b) {
    const auto key = std::minmax(a, b);
    auto [it, fresh] = midpoint.try_emplace({key.first, key.second}, 0);
    if (fresh) {
      it->second = static_cast<uint32_t>(out.positions.size());
      const auto& p = in.positions[a];
      const auto& q = in.positions[b];
      out.positions.push_back({(p[0] + q[0]) / 2, (p[1] + q[1]) / 2, (p[2] + q[2]) / 2});
      if (!in.colors.empty()) {
        std::array<uint8_t, 3> c{};
        for (size_t k = 0; k < 3; ++k) {
          c[k] = static_cast<uint8_t>((in.colors[a][k] + in.colors[b][k]) / 2);
        }
        out.colors.push_back(c);
      }
    }
    return it->second;
  };
  out.texture = in.texture;
  for (size_t i = 0; i < in.triangles.size(); ++i) {
    const auto& t = in.triangles[i];
    const uint32_t ab = middle(t[0], t[1]), bc = middle(t[1], t[2]), ca = middle(t[2], t[0]);
    out.triangles.push_back({t[0], ab, ca});
    out.triangles.push_back({ab, t[1], bc});
    out.triangles.push_back({ca, bc, t[2]});
    out.triangles.push_back({ab, bc, ca});
    if (i < in.uvs.size()) {
      const auto& uv = in.uvs[i];
      const auto mid = [](const std::array<float, 2>& p, const std::array<float, 2>& q) {
        return std::array<float, 2>{(p[0] + q[0]) / 2, (p[1] + q[1]) / 2};
      };
      const auto uv_ab = mid(uv[0], uv[1]), uv_bc = mid(uv[1], uv[2]), uv_ca = mid(uv[2], uv[0]);
      out.uvs.push_back({uv[0], uv_ab, uv_ca});
      out.uvs.push_back({uv_ab, uv[1], uv_bc});
      out.uvs.push_back({uv_ca, uv_bc, uv[2]});
      out.uvs.push_back({uv_ab, uv_bc, uv_ca});
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: keepsake_subdivide INPUT LEVELS OUTPUT.{ply,zip,stl}\n");
    return 1;
  }
  const std::filesystem::path input = std::filesystem::absolute(argv[1]);
  std::string content(4096, '\0');
  FILE* f = std::fopen(input.c_str(), "rb");
  if (f == nullptr) return std::fprintf(stderr, "cannot read %s\n", argv[1]), 1;
  content.resize(std::fread(content.data(), 1, content.size(), f));
  std::fclose(f);
  auto format = keepsake::mesh::SniffMeshFormat(content);
  if (!format) {
    // a short prefix is not enough for STL's size check; the benchmark's inputs are others
    return std::fprintf(stderr, "not a mesh format Keepsake reads\n"), 1;
  }
  keepsake::mesh::ImportLimits limits;
  auto imported =
      keepsake::mesh::ImportMesh(input.parent_path().string(), input.string(), *format, limits);
  if (!imported) return std::fprintf(stderr, "%s\n", imported.error().message.c_str()), 1;
  MeshData mesh = imported->mesh;
  for (int level = 0; level < std::atoi(argv[2]); ++level) mesh = Subdivide(mesh);
  const std::string out = argv[3];
  auto written =
      out.ends_with(".ply") && !mesh.colors.empty() ? keepsake::mesh::WriteColorPly(mesh, out)
      : out.ends_with(".zip") && !mesh.uvs.empty()  ? keepsake::mesh::WriteTexturedObjZip(mesh, out)
                                                    : keepsake::mesh::WriteBinaryStl(mesh, out);
  if (!written) return std::fprintf(stderr, "%s\n", written.error().message.c_str()), 1;
  std::printf("%zu triangles, %zu vertices -> %s\n", mesh.triangles.size(), mesh.positions.size(),
              out.c_str());
  return 0;
}
