// Assimp import for inspection. Assimp's own IOSystem would follow a glTF "uri" or an OBJ
// "mtllib" anywhere on disk; ConfinedIOSystem refuses any path outside the job folder, and a
// ZIP bundle is unpacked (zip_bundle.cpp) and its OBJ confined to the unpacked folder.
#include "keepsake/mesh/inspect.hpp"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <memory>
#include <vector>

#include <assimp/DefaultIOSystem.h>
#include <assimp/postprocess.h>
#include <assimp/scene.h>
#include <assimp/Importer.hpp>

#include "assimp_scene.hpp"
#include "zip_bundle.hpp"

namespace keepsake::mesh {

namespace {

namespace fs = std::filesystem;

class ConfinedIOSystem : public Assimp::DefaultIOSystem {
 public:
  explicit ConfinedIOSystem(fs::path folder) : folder_(fs::weakly_canonical(folder)) {}

  bool Exists(const char* file) const override {
    if (!Allowed(file)) {
      refused_ = true;
      return false;
    }
    return Assimp::DefaultIOSystem::Exists(file);
  }
  Assimp::IOStream* Open(const char* file, const char* mode) override {
    if (!Allowed(file) || std::string_view(mode).find_first_of("wa+") != std::string_view::npos) {
      refused_ = true;
      return nullptr;
    }
    return Assimp::DefaultIOSystem::Open(file, mode);
  }
  bool refused() const { return refused_; }

 private:
  bool Allowed(const char* file) const {
    std::error_code ec;
    fs::path p = fs::weakly_canonical(fs::path(file), ec);
    if (ec) return false;
    auto [end, _] = std::mismatch(folder_.begin(), folder_.end(), p.begin(), p.end());
    return end == folder_.end();
  }
  fs::path folder_;
  mutable bool refused_ = false;
};

tl::expected<MeshInspection, Error> Summarise(const aiScene* scene, MeshFormat format,
                                              const InspectLimits& limits) {
  MeshInspection out;
  out.format = format;
  out.meshes = scene->mNumMeshes;
  out.materials = scene->mNumMaterials;
  out.embedded_textures = scene->mNumTextures;
  double lo = std::numeric_limits<double>::infinity();
  out.bbox_min = {lo, lo, lo};
  out.bbox_max = {-lo, -lo, -lo};
  for (unsigned m = 0; m < scene->mNumMeshes; ++m) {
    const aiMesh* mesh = scene->mMeshes[m];
    out.vertices += mesh->mNumVertices;
    out.faces += mesh->mNumFaces;
    out.has_uv = out.has_uv || mesh->HasTextureCoords(0);
    out.has_vertex_colors = out.has_vertex_colors || mesh->HasVertexColors(0);
    for (unsigned v = 0; v < mesh->mNumVertices; ++v) {
      const aiVector3D& p = mesh->mVertices[v];
      const double xyz[3] = {p.x, p.y, p.z};
      for (int k = 0; k < 3; ++k) {
        out.bbox_min[k] = std::min(out.bbox_min[k], xyz[k]);
        out.bbox_max[k] = std::max(out.bbox_max[k], xyz[k]);
      }
    }
  }
  if (out.faces == 0) {
    return tl::unexpected(Error{Errc::kEmpty, "the file holds no triangles"});
  }
  if (out.faces > limits.max_faces || out.vertices > limits.max_vertices) {
    return tl::unexpected(Error{Errc::kTooLarge, "the model has " + std::to_string(out.faces) +
                                                     " faces and " + std::to_string(out.vertices) +
                                                     " vertices; the limit is " +
                                                     std::to_string(limits.max_faces) + " faces"});
  }
  return out;
}

constexpr unsigned kBaseFlags =
    aiProcess_ValidateDataStructure | aiProcess_Triangulate | aiProcess_SortByPType;

}  // namespace

tl::expected<std::unique_ptr<LoadedScene>, Error> LoadScene(const std::string& folder,
                                                            const std::string& path,
                                                            MeshFormat format,
                                                            unsigned extra_flags) {
  auto loaded = std::make_unique<LoadedScene>();
  Assimp::Importer& importer = loaded->importer;
  // Points and lines are dropped by SortByPType's removal flag: a print needs triangles.
  importer.SetPropertyInteger(AI_CONFIG_PP_SBP_REMOVE,
                              aiPrimitiveType_POINT | aiPrimitiveType_LINE);
  std::string import_path = path;
  std::string confine_to = folder;
  if (format == MeshFormat::kZip) {
    const std::string bundle_dir = (fs::path(folder) / "bundle").string();
    auto obj = ExtractBundle(path, bundle_dir, BundleLimits{});
    if (!obj) return tl::unexpected(obj.error());
    import_path = *obj;
    confine_to = bundle_dir;  // the OBJ may use only files from its own bundle
  }
  auto* confined = new ConfinedIOSystem(confine_to);
  importer.SetIOHandler(confined);  // the importer owns it from here
  loaded->model_dir = fs::path(import_path).parent_path().string();
  loaded->scene = importer.ReadFile(import_path, kBaseFlags | extra_flags);
  if (loaded->scene == nullptr) {
    if (confined->refused()) {
      return tl::unexpected(
          Error{Errc::kOutsideFile, "the model refers to a file outside its upload"});
    }
    return tl::unexpected(Error{Errc::kUnreadable, importer.GetErrorString()});
  }
  return loaded;
}

tl::expected<MeshInspection, Error> InspectMesh(const std::string& folder, const std::string& path,
                                                MeshFormat format, const InspectLimits& limits) {
  auto loaded = LoadScene(folder, path, format, 0);
  if (!loaded) return tl::unexpected(loaded.error());
  return Summarise((*loaded)->scene, format, limits);
}

}  // namespace keepsake::mesh
