#include "sample_files.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace keepsake::testing {

namespace fs = std::filesystem;
using nlohmann::json;

std::string TestData(const std::string& relative) {
  return SourceDir() + "/tests/data/" + relative;
}

std::string AssimpModel(const std::string& relative) {
  const std::string path = "/usr/share/assimp/models/" + relative;
  EXPECT_TRUE(fs::exists(path))
      << path
      << ": Debian's assimp-testmodels is needed (scripts/install-deps.sh "
         "--test installs it)";
  return path;
}

std::string CgalData(const std::string& member) {
  static TempDir dir;
  const std::string path = "data/" + member;
  if (!fs::exists(dir.path() / path)) {
    int code = -1;
    RunCommand({"/bin/tar", "-xzf", "/usr/share/doc/libcgal-dev/data.tar.gz", "-C",
                dir.path().string(), path},
               &code);
    EXPECT_EQ(code, 0) << "libcgal-demo's data.tar.gz is needed (scripts/install-deps.sh)";
  }
  return (dir.path() / path).string();
}

FixtureMesh ReadOff(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  // comments and blank lines removed, then whitespace-separated tokens
  std::stringstream clean;
  for (std::string line; std::getline(in, line);) clean << line.substr(0, line.find('#')) << '\n';
  std::string magic;
  clean >> magic;
  if (magic.rfind("OFF", 0) != 0) throw std::runtime_error(path + " is not an OFF file");
  size_t vertices = 0, faces = 0, edges = 0;
  clean >> vertices >> faces >> edges;
  FixtureMesh mesh;
  mesh.positions.resize(vertices);
  for (auto& p : mesh.positions) clean >> p[0] >> p[1] >> p[2];
  for (size_t f = 0; f < faces; ++f) {
    size_t n = 0;
    clean >> n;
    std::vector<uint32_t> polygon(n);
    for (uint32_t& v : polygon) clean >> v;
    for (size_t k = 1; k + 1 < n; ++k)
      mesh.triangles.push_back({polygon[0], polygon[k], polygon[k + 1]});
  }
  if (!clean) throw std::runtime_error(path + " ends early");
  return mesh;
}

void ProjectFrontUvs(FixtureMesh& mesh) {
  std::array<float, 2> lo{std::numeric_limits<float>::max(), std::numeric_limits<float>::max()};
  std::array<float, 2> hi{-lo[0], -lo[1]};
  for (const auto& p : mesh.positions) {
    for (size_t k = 0; k < 2; ++k) {
      lo[k] = std::min(lo[k], p[k]);
      hi[k] = std::max(hi[k], p[k]);
    }
  }
  mesh.uvs.clear();
  for (const auto& p : mesh.positions) {
    // glTF's v runs down the image, so the top of the figure meets the top of the picture
    mesh.uvs.push_back({(p[0] - lo[0]) / (hi[0] - lo[0]), 1.0f - (p[1] - lo[1]) / (hi[1] - lo[1])});
  }
}

namespace {

void Append(std::string& bin, const void* data, size_t bytes) {
  bin.append(static_cast<const char*>(data), bytes);
  while (bin.size() % 4 != 0) bin.push_back('\0');
}

void PutU32(std::string& out, uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); }

}  // namespace

std::string GlbBytes(const FixtureMesh& mesh, const GlbOptions& options) {
  // the vertex stream: as indexed, or three vertices a triangle
  std::vector<std::array<float, 3>> positions;
  std::vector<std::array<float, 2>> uvs;
  std::vector<uint32_t> indices;
  const bool textured = !options.texture_png.empty() && !mesh.uvs.empty();
  if (options.split_vertices) {
    for (const auto& t : mesh.triangles) {
      for (uint32_t v : t) {
        indices.push_back(static_cast<uint32_t>(positions.size()));
        positions.push_back(mesh.positions[v]);
        if (textured) uvs.push_back(mesh.uvs[v]);
      }
    }
  } else {
    positions = mesh.positions;
    if (textured) uvs = mesh.uvs;
    for (const auto& t : mesh.triangles) indices.insert(indices.end(), t.begin(), t.end());
  }
  std::array<float, 3> lo{std::numeric_limits<float>::max(), std::numeric_limits<float>::max(),
                          std::numeric_limits<float>::max()};
  std::array<float, 3> hi{-lo[0], -lo[1], -lo[2]};
  for (const auto& p : positions) {
    for (size_t k = 0; k < 3; ++k) {
      lo[k] = std::min(lo[k], p[k]);
      hi[k] = std::max(hi[k], p[k]);
    }
  }

  std::string bin;
  json views = json::array(), accessors = json::array();
  const auto view = [&](const void* data, size_t bytes, int target) {
    json v = {{"buffer", 0}, {"byteOffset", bin.size()}, {"byteLength", bytes}};
    if (target != 0) v["target"] = target;
    Append(bin, data, bytes);
    views.push_back(v);
    return views.size() - 1;
  };
  accessors.push_back({{"bufferView", view(positions.data(), positions.size() * 12, 34962)},
                       {"componentType", 5126},
                       {"count", positions.size()},
                       {"type", "VEC3"},
                       {"min", lo},
                       {"max", hi}});
  accessors.push_back({{"bufferView", view(indices.data(), indices.size() * 4, 34963)},
                       {"componentType", 5125},
                       {"count", indices.size()},
                       {"type", "SCALAR"}});
  json primitive = {{"attributes", {{"POSITION", 0}}}, {"indices", 1}, {"mode", 4}};
  json doc = {{"asset", {{"version", "2.0"}, {"generator", "keepsake tests"}}},
              {"scene", 0},
              {"scenes", {{{"nodes", {0}}}}},
              {"nodes", {{{"mesh", 0}}}}};
  if (textured) {
    accessors.push_back({{"bufferView", view(uvs.data(), uvs.size() * 8, 34962)},
                         {"componentType", 5126},
                         {"count", uvs.size()},
                         {"type", "VEC2"}});
    primitive["attributes"]["TEXCOORD_0"] = 2;
    primitive["material"] = 0;
    const size_t image = view(options.texture_png.data(), options.texture_png.size(), 0);
    doc["images"] = {{{"bufferView", image}, {"mimeType", "image/png"}}};
    doc["textures"] = {{{"source", 0}}};
    doc["materials"] = {
        {{"pbrMetallicRoughness", {{"baseColorTexture", {{"index", 0}}}, {"metallicFactor", 0}}}}};
  }
  doc["meshes"] = {{{"primitives", {primitive}}}};
  doc["buffers"] = {{{"byteLength", bin.size()}}};
  doc["bufferViews"] = views;
  doc["accessors"] = accessors;

  std::string text = doc.dump();
  while (text.size() % 4 != 0) text.push_back(' ');
  std::string glb = "glTF";
  PutU32(glb, 2);
  PutU32(glb, static_cast<uint32_t>(12 + 8 + text.size() + 8 + bin.size()));
  PutU32(glb, static_cast<uint32_t>(text.size()));
  PutU32(glb, 0x4E4F534A);  // JSON
  glb += text;
  PutU32(glb, static_cast<uint32_t>(bin.size()));
  PutU32(glb, 0x004E4942);  // BIN
  glb += bin;
  return glb;
}

fs::path WriteTexturedObj(const FixtureMesh& mesh, const fs::path& folder,
                          const std::string& texture_path, const std::string& texture_name,
                          double kd) {
  fs::create_directories(folder);
  fs::copy_file(texture_path, folder / texture_name, fs::copy_options::overwrite_existing);
  std::ofstream(folder / "material.mtl") << "newmtl skin\nKa 0 0 0\nKd " << kd << ' ' << kd << ' '
                                         << kd << "\nKs 0 0 0\nmap_Kd " << texture_name << '\n';
  std::ofstream obj(folder / "mesh.obj");
  obj << "mtllib material.mtl\nusemtl skin\n";
  for (const auto& p : mesh.positions) obj << "v " << p[0] << ' ' << p[1] << ' ' << p[2] << '\n';
  // OBJ's v runs up the image, glTF's down
  for (const auto& t : mesh.uvs) obj << "vt " << t[0] << ' ' << 1.0f - t[1] << '\n';
  for (const auto& t : mesh.triangles) {
    obj << 'f';
    for (uint32_t v : t) obj << ' ' << v + 1 << '/' << v + 1;
    obj << '\n';
  }
  return folder / "mesh.obj";
}

std::string TexturedFigureGlb() {
  static const std::string glb = [] {
    FixtureMesh homer = ReadOff(CgalData("meshes/homer.off"));
    ProjectFrontUvs(homer);
    return GlbBytes(homer,
                    {ReadFile(TestData("images/portrait_anime_fennec_girl_1024.png")), true});
  }();
  return glb;
}

std::string ThinReliefGlb() {
  static const std::string glb = [] {
    FixtureMesh homer = ReadOff(CgalData("meshes/homer.off"));
    for (auto& p : homer.positions) p[2] *= 0.05f;  // 0.33 deep for 1.0 tall, now 0.0165
    ProjectFrontUvs(homer);                         // the photo it was made from, on its front
    return GlbBytes(homer,
                    {ReadFile(TestData("images/portrait_anime_fennec_girl_1024.png")), false});
  }();
  return glb;
}

std::string WriteBytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  if (!out) throw std::runtime_error("cannot write " + path.string());
  return path.string();
}

std::string WhiteFigureGlb() {
  static const std::string glb = GlbBytes(ReadOff(CgalData("meshes/armadillo.off")), {});
  return glb;
}

}  // namespace keepsake::testing
