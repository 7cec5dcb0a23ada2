// Imports a customer's 3D file into a MeshData, Z-up, with its vertex colours when it has
// them. Runs only inside the sandboxed worker.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

#include "keepsake/mesh/error.hpp"
#include "keepsake/mesh/format.hpp"
#include "keepsake/mesh/mesh_data.hpp"

namespace keepsake::mesh {

struct ImportStats {
  int64_t file_vertices = 0;  // as stored (split at UV seams)
  int64_t positions = 0;      // after the exact weld
  int64_t triangles = 0;
  // Everything here is Z-up. glTF and GLB are Y-up by their spec, STL is Z-up by 3D-printing
  // custom; OBJ, PLY, OFF and FBX say nothing, and the taller of Y and Z is taken as up
  // (figures stand taller than they are deep: SF3D's OBJ is Y-up, TripoSR's Z-up).
  bool converted_y_up = false;
  std::string up_axis_rule;  // "format" or "taller of y and z"
  bool has_vertex_colors = false;
  bool has_texture_colors = false;  // colours sampled from a base-colour texture at the UVs
  // The texture itself kept (mesh.texture, mesh.uvs): one textured material for the whole
  // model. Otherwise only the vertex colours sampled from it, and why in `texture_note`.
  bool texture_kept = false;
  std::string texture_note;
  // Textures a material names that could not be read (missing, not an image): their names.
  std::vector<std::string> unreadable_textures;
};

struct ImportedMesh {
  MeshData mesh;  // vertices welded where their positions are exactly equal
  ImportStats stats;
};

// Node transforms are applied; all meshes of the file become one. Nothing outside `folder` (or,
// for a ZIP bundle, outside the unpacked bundle) is opened. Errors: kUnreadable, kBadBundle,
// kOutsideFile, and
// kTooLarge over `limits`, kEmpty without triangles.
tl::expected<ImportedMesh, Error> ImportMesh(const std::string& folder, const std::string& path,
                                             MeshFormat format, const ImportLimits& limits);

}  // namespace keepsake::mesh
