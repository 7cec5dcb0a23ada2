// Inspection of real AI-generated meshes (../shared/data/meshes/ai, see SOURCES.md there for
// the numbers quoted) and of hostile bundles made here.
#include "keepsake/mesh/inspect.hpp"

#include <gtest/gtest.h>

#include <zip.h>

#include <filesystem>
#include <fstream>

#include "test_support.hpp"

namespace keepsake::mesh {
namespace {

namespace fs = std::filesystem;
using keepsake::testing::ReadFile;
using keepsake::testing::SharedDataDir;
using keepsake::testing::TempDir;

std::string Ai(const std::string& name) { return SharedDataDir() + "/meshes/ai/" + name; }

// Copies a file into the job folder, as the runner does.
std::string Stage(const TempDir& dir, const std::string& source, const std::string& name) {
  fs::copy_file(source, dir.path() / name, fs::copy_options::overwrite_existing);
  return (dir.path() / name).string();
}

void MakeZip(const fs::path& path, const std::vector<std::pair<std::string, std::string>>& files) {
  int error = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  ASSERT_NE(z, nullptr);
  std::vector<std::string> keep;
  keep.reserve(files.size());
  for (const auto& [name, content] : files) {
    keep.push_back(content);
    zip_source_t* src = zip_source_buffer(z, keep.back().data(), keep.back().size(), 0);
    ASSERT_GE(zip_file_add(z, name.c_str(), src, ZIP_FL_ENC_UTF_8), 0);
  }
  ASSERT_EQ(zip_close(z), 0);
}

TEST(InspectMesh, TrellisGlbHasTheFacesAndTextureOfItsSource) {
  TempDir dir;
  auto m = InspectMesh(dir.path(), Stage(dir, Ai("trellis_character_tpose.glb"), "input.glb"),
                       MeshFormat::kGlb, {});
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->faces, 5336);
  EXPECT_TRUE(m->has_uv);
  EXPECT_GE(m->embedded_textures, 1);
}

TEST(InspectMesh, TripoSrObjKeepsVertexColours) {
  TempDir dir;
  auto m = InspectMesh(dir.path(), Stage(dir, Ai("triposr_chair/mesh.obj"), "input.obj"),
                       MeshFormat::kObj, {});
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->faces, 72222);
  EXPECT_TRUE(m->has_vertex_colors);
  EXPECT_FALSE(m->has_uv);
  // Z-up, 0.58 x 0.55 x 1.02 per SOURCES.md
  EXPECT_NEAR(m->bbox_max[2] - m->bbox_min[2], 1.02, 0.01);
}

TEST(InspectMesh, ZipBundleWithObjMtlAndTexture) {
  TempDir dir;
  const std::string cat = Ai("sf3d_cat/");
  MakeZip(dir.path() / "input.zip", {{"cat/mesh.obj", ReadFile(cat + "mesh.obj")},
                                     {"cat/material.mtl", ReadFile(cat + "material.mtl")},
                                     {"cat/material_0.jpeg", ReadFile(cat + "material_0.jpeg")}});
  auto m = InspectMesh(dir.path(), (dir.path() / "input.zip").string(), MeshFormat::kZip, {});
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->format, MeshFormat::kZip);
  EXPECT_EQ(m->faces, 9356);
  EXPECT_TRUE(m->has_uv);
}

TEST(InspectMesh, ZipSlipIsRefused) {
  TempDir dir;
  MakeZip(dir.path() / "input.zip", {{"../escape.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"}});
  auto m = InspectMesh(dir.path(), (dir.path() / "input.zip").string(), MeshFormat::kZip, {});
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::kBadBundle);
  EXPECT_FALSE(fs::exists(dir.path().parent_path() / "escape.obj"));
}

TEST(InspectMesh, ZipWithoutExactlyOneObjIsRefused) {
  TempDir dir;
  MakeZip(dir.path() / "input.zip", {{"a.obj", "v 0 0 0\n"}, {"b.obj", "v 0 0 0\n"}});
  auto m = InspectMesh(dir.path(), (dir.path() / "input.zip").string(), MeshFormat::kZip, {});
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::kBadBundle);
}

TEST(InspectMesh, GltfBufferOutsideTheUploadIsRefused) {
  TempDir dir;
  const fs::path secret =
      dir.path().parent_path() / ("keepsake-secret-" + std::to_string(getpid()));
  std::ofstream(secret) << std::string(36, '\0');
  // Assimp prefixes the model's folder to a URI, so the way out is "../"
  const std::string uri = "../" + secret.filename().string();
  const std::string gltf = R"({"asset":{"version":"2.0"},"buffers":[{"uri":")" + uri +
                           R"(","byteLength":36}],"bufferViews":[{"buffer":0,"byteLength":36}],
      "accessors":[{"bufferView":0,"componentType":5126,"count":3,"type":"VEC3",
      "min":[0,0,0],"max":[0,0,0]}],"meshes":[{"primitives":[{"attributes":{"POSITION":0}}]}],
      "nodes":[{"mesh":0}],"scenes":[{"nodes":[0]}],"scene":0})";
  std::ofstream(dir.path() / "input.gltf") << gltf;
  auto m = InspectMesh(dir.path(), (dir.path() / "input.gltf").string(), MeshFormat::kGltf, {});
  fs::remove(secret);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::kOutsideFile) << m.error().message;
}

TEST(InspectMesh, GarbageBehindAValidMagicIsUnreadable) {
  TempDir dir;
  std::ofstream(dir.path() / "input.glb") << "glTF" << std::string(200, '\x7f');
  auto m = InspectMesh(dir.path(), (dir.path() / "input.glb").string(), MeshFormat::kGlb, {});
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::kUnreadable);
}

TEST(InspectMesh, FaceLimitIsEnforced) {
  TempDir dir;
  auto m = InspectMesh(dir.path(), Stage(dir, Ai("trellis_character_tpose.glb"), "input.glb"),
                       MeshFormat::kGlb, InspectLimits{1000, 1000});
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::kTooLarge);
}

}  // namespace
}  // namespace keepsake::mesh
