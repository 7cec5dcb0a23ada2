// Opening a customer's file with Assimp. Assimp's own IOSystem would follow a glTF "uri" or an OBJ
// "mtllib" anywhere on disk; ConfinedIOSystem refuses any path outside the job folder, and a
// ZIP bundle is unpacked (zip_bundle.cpp) and its OBJ confined to the unpacked folder.
#include "assimp_scene.hpp"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <assimp/BaseImporter.h>
#include <assimp/DefaultIOSystem.h>
#include <assimp/importerdesc.h>
#include <assimp/postprocess.h>
#include <assimp/scene.h>
#include <assimp/Importer.hpp>

#include "precheck.hpp"
#include "zip_bundle.hpp"

// Debian builds Assimp 5.2 with its internal checks on, and a failed check aborts the process:
// a malformed file (found by fuzz_mesh: a face list that TriangulateProcess miscounts) ended
// the worker with SIGABRT instead of failing the import. This definition takes the library's
// place (the dynamic linker binds libassimp's own calls to the executable's symbol first), and
// Importer::ReadFile catches the exception and reports the file as unreadable.
namespace Assimp {
[[noreturn]] void aiAssertViolation(const char* expression, const char*, int) {
  throw std::runtime_error(std::string("the importer's own check failed: ") + expression);
}
}  // namespace Assimp

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

// Assimp registers some 40 loaders (Blender, 3DS, MD5, X, ...), each a parser a hostile file
// could reach by its signature. Only the loader for the format the upload border decided
// stays registered. Returns how many are left (0: this Assimp cannot read the format).
size_t KeepOnlyLoaderFor(Assimp::Importer& importer, std::string_view extension) {
  std::vector<Assimp::BaseImporter*> others;
  for (size_t i = 0; i < importer.GetImporterCount(); ++i) {
    const aiImporterDesc* desc = importer.GetImporterInfo(i);
    bool wanted = false;
    if (desc != nullptr && desc->mFileExtensions != nullptr) {
      std::string_view list = desc->mFileExtensions;  // space separated, without dots
      while (!list.empty() && !wanted) {
        const size_t space = list.find(' ');
        wanted = list.substr(0, space) == extension;
        list = space == std::string_view::npos ? std::string_view() : list.substr(space + 1);
      }
    }
    if (!wanted) others.push_back(importer.GetImporter(i));
  }
  // Assimp's UnregisterLoader hands the loader back without deleting it (found by fuzz_mesh:
  // every import leaked the other 47 loaders)
  for (Assimp::BaseImporter* other : others) {
    importer.UnregisterLoader(other);
    delete other;
  }
  return importer.GetImporterCount();
}

constexpr unsigned kBaseFlags =
    aiProcess_ValidateDataStructure | aiProcess_Triangulate | aiProcess_SortByPType;

}  // namespace

tl::expected<std::unique_ptr<LoadedScene>, Error> LoadScene(const std::string& folder,
                                                            const std::string& path,
                                                            MeshFormat format,
                                                            const ImportLimits& limits,
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
  auto checked = CheckBeforeParsing(import_path, format, limits);
  if (!checked) return tl::unexpected(checked.error());
  const std::string_view extension =
      format == MeshFormat::kZip ? MeshFormatName(MeshFormat::kObj) : MeshFormatName(format);
  if (KeepOnlyLoaderFor(importer, extension) == 0) {
    return tl::unexpected(Error{Errc::kUnreadable, "no reader for this format"});
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

}  // namespace keepsake::mesh
