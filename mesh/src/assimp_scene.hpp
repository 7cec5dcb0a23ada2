// Private: opening a customer's 3D file with Assimp, confined to its folder (or to its unpacked
// ZIP bundle). Shared by inspection and import.
#pragma once

#include <memory>
#include <string>

#include <assimp/scene.h>
#include <assimp/Importer.hpp>
#include <tl/expected.hpp>

#include "keepsake/mesh/error.hpp"
#include "keepsake/mesh/format.hpp"

namespace keepsake::mesh {

struct LoadedScene {
  Assimp::Importer importer;  // owns the scene
  const aiScene* scene = nullptr;
  std::string model_dir;  // the folder of the file actually imported (inside a bundle for ZIPs)
};

// Reads `path` (inside `folder`) with `extra_flags` added to validation, triangulation and the
// removal of points and lines, after CheckBeforeParsing and with only the format's own loader
// registered. Errors: kUnreadable, kTooLarge, kBadBundle, kOutsideFile.
tl::expected<std::unique_ptr<LoadedScene>, Error> LoadScene(const std::string& folder,
                                                            const std::string& path,
                                                            MeshFormat format,
                                                            const ImportLimits& limits,
                                                            unsigned extra_flags);

}  // namespace keepsake::mesh
