// Which 3D format a file is, decided from its bytes (never from its name): the upload border
// accepts GLB, glTF with embedded buffers, OBJ, FBX, PLY, STL, OFF, and ZIP bundles that hold
// an OBJ with its MTL and textures.
#pragma once

#include <optional>
#include <string_view>

namespace keepsake::mesh {

enum class MeshFormat { kGlb, kGltf, kObj, kFbx, kPly, kStl, kOff, kZip };

// Looks at the whole content (binary STL is recognised by its face count matching the size).
// Returns nullopt when the bytes are none of the accepted formats.
std::optional<MeshFormat> SniffMeshFormat(std::string_view content);

// Short lowercase name, also the file extension the importer expects ("glb", "obj", ...).
std::string_view MeshFormatName(MeshFormat format);
std::optional<MeshFormat> ParseMeshFormat(std::string_view name);

}  // namespace keepsake::mesh
