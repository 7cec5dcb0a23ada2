// Writing print files. Binary STL (the de-facto format: 80-byte header, uint32 count, then per
// triangle a normal, three vertices as float32 little-endian, and a uint16 attribute): units
// are millimetres by convention. Written to a temporary file and renamed into place.
#pragma once

#include <string>

#include <tl/expected.hpp>

#include "keepsake/mesh/error.hpp"
#include "keepsake/mesh/mesh_data.hpp"

namespace keepsake::mesh {

// Returns the number of bytes written, or the OS error text.
tl::expected<size_t, Error> WriteBinaryStl(const MeshData& mesh, const std::string& path);

// 3MF in millimetres (lib3mf); with a texture (mesh.uvs, mesh.texture), a texture2d resource
// (the PNG in 3D/Textures) and its coordinates per corner; else with vertex colours, a
// gradient colour per triangle. `texture_png`: the texture already encoded (EncodeTexturePng),
// so that the files carrying it encode it once; empty: encoded here.
tl::expected<size_t, Error> WriteThreeMf(const MeshData& mesh, const std::string& path,
                                         const std::string& texture_png = {});

// Binary little-endian PLY with float x, y, z and uchar red, green, blue per vertex (for
// full-colour printers). Precondition: mesh.colors has one colour per vertex.
tl::expected<size_t, Error> WriteColorPly(const MeshData& mesh, const std::string& path);

// VRML97 (.wrl) IndexedFaceSet with per-vertex colours when the mesh has them, for full-colour
// printers that take VRML. Written by us: Assimp 5.2 has no VRML exporter. Coordinates in mm.
// With a texture (mesh.uvs and mesh.texture) and a `texture_url`, an ImageTexture of that
// file (relative to the .wrl) and a TextureCoordinate per corner, as colour-jet printers read.
tl::expected<size_t, Error> WriteVrml(const MeshData& mesh, const std::string& path,
                                      const std::string& texture_url = {});

// The PNG bytes of a texture: 8-bit RGB with the sRGB chunk (and its gAMA and cHRM), so that a
// printer's software reads the colours as sRGB. Precondition: !texture.Empty().
std::string EncodeTexturePng(const Texture& texture);

// The texture as an 8-bit sRGB PNG. Precondition: !mesh.texture.Empty(). `texture_png` as
// for 3MF.
tl::expected<size_t, Error> WriteTexturePng(const MeshData& mesh, const std::string& path,
                                            const std::string& texture_png = {});

// A ZIP of model.obj (mm, a texture coordinate per corner), model.mtl (map_Kd texture.png) and
// texture.png: the textured OBJ that full-colour print services take as one upload.
// Precondition: the mesh has a texture (mesh.uvs, mesh.texture). `texture_png` as for 3MF.
tl::expected<size_t, Error> WriteTexturedObjZip(const MeshData& mesh, const std::string& path,
                                                const std::string& texture_png = {});

}  // namespace keepsake::mesh
