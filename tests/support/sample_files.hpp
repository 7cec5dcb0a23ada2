// Where the tests' inputs come from. Everything here is in the repository (tests/data, with its
// provenance and licences in tests/data/SOURCES.md) or in a Debian package that
// scripts/install-deps.sh --test installs (libcgal-demo, assimp-testmodels). Nothing is read
// from outside the clone.
//
// Some inputs are made by the tests from those sources, in the shapes AI generators write:
// a CGAL figure written as a Y-up GLB with every triangle's vertices split (as generators split
// them at UV seams), with a picture from tests/data as its base-colour texture.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace keepsake::testing {

// A file of tests/data, e.g. "images/cutout_man_rgba_1024.png".
std::string TestData(const std::string& relative);
// A file of Debian's assimp-testmodels, e.g. "glTF2/BoxTextured-glTF-Binary/BoxTextured.glb".
std::string AssimpModel(const std::string& relative);
// A file of CGAL's data set (Debian libcgal-demo ships it as a tarball), e.g. "meshes/man.off":
// only that member is unpacked, into a folder removed when the process exits (the set is 29 MB
// and CTest runs each test in its own process).
std::string CgalData(const std::string& member);

// A plain triangle mesh for writing fixtures; `uvs` is empty or one per position.
struct FixtureMesh {
  std::vector<std::array<float, 3>> positions;
  std::vector<std::array<uint32_t, 3>> triangles;
  std::vector<std::array<float, 2>> uvs;
};

// Reads an OFF file (polygons fanned into triangles). Throws on a file it cannot read.
FixtureMesh ReadOff(const std::string& path);
// Texture coordinates by projection onto the X-Y plane (the front of a Y-up figure), so a
// picture covers its front and shows through to the back.
void ProjectFrontUvs(FixtureMesh& mesh);

struct GlbOptions {
  std::string texture_png;      // the bytes of a PNG: embedded as the base-colour texture
  bool split_vertices = false;  // every triangle its own three vertices (UV seams everywhere)
};
// A binary glTF 2.0 file (one mesh, one node; positions as they are: glTF is Y-up).
std::string GlbBytes(const FixtureMesh& mesh, const GlbOptions& options);

// OBJ + MTL (`kd` beside `map_Kd`) + the texture file, written into `folder` as mesh.obj,
// material.mtl and `texture_name` (a copy of `texture_path`). Returns the OBJ's path.
std::filesystem::path WriteTexturedObj(const FixtureMesh& mesh, const std::filesystem::path& folder,
                                       const std::string& texture_path,
                                       const std::string& texture_name, double kd);

// CGAL's homer.off (a closed, clean cartoon figure of 9,856 triangles, Y-up) as a generator
// would write it: a GLB with split vertices and the fennec-girl portrait as its texture.
std::string TexturedFigureGlb();
// homer.off pressed flat front to back, a relief as image-to-3D generators make from a photo:
// 100 mm tall it is at most 1.7 mm deep, so much of its surface is thinner than a printer's
// minimum wall (an affine squash: still closed and free of crossings), with the portrait it
// was made from as its texture.
std::string ThinReliefGlb();
// CGAL's armadillo.off (52,000 triangles, closed) as an untextured GLB: a white mesh.
std::string WhiteFigureGlb();

// Writes `bytes` to `path` and returns the path as a string.
std::string WriteBytes(const std::filesystem::path& path, const std::string& bytes);

}  // namespace keepsake::testing
