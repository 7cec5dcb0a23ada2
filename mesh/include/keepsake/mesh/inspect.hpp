// Reads a 3D asset with Assimp and reports what it holds. Runs only inside the sandboxed worker:
// the file is a customer's and may be broken or hostile.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include <tl/expected.hpp>

#include "keepsake/mesh/format.hpp"

namespace keepsake::mesh {

enum class Errc {
  kUnreadable,   // the importer could not parse the file; Error::message says why
  kEmpty,        // parsed, but holds no triangles
  kTooLarge,     // more faces or vertices than the limits allow
  kBadBundle,    // a ZIP bundle that is damaged, hostile, or without exactly one OBJ
  kOutsideFile,  // the file refers to a file outside its own folder or bundle
};

struct Error {
  Errc code;
  std::string message;
};

struct InspectLimits {
  int64_t max_faces = 2'000'000;
  int64_t max_vertices = 3'000'000;
};

struct MeshInspection {
  MeshFormat format = MeshFormat::kObj;
  int64_t meshes = 0;
  int64_t vertices = 0;  // as stored (seam-split vertices count twice)
  int64_t faces = 0;     // triangles after triangulation
  int64_t materials = 0;
  int64_t embedded_textures = 0;
  bool has_uv = false;
  bool has_vertex_colors = false;
  std::array<double, 3> bbox_min{};  // in file units, file axes
  std::array<double, 3> bbox_max{};
};

// Imports `path` (a file in `folder`; nothing outside `folder` may be opened, and for a ZIP
// bundle nothing outside the archive). Errors: every Errc above.
tl::expected<MeshInspection, Error> InspectMesh(const std::string& folder, const std::string& path,
                                                MeshFormat format, const InspectLimits& limits);

}  // namespace keepsake::mesh
