// libFuzzer: a customer's 3D file through what the worker does with it. The bytes are typed as
// the upload is (by their content), imported with Assimp into a folder of their own, and, when
// they hold a small enough mesh, repaired to a solid with CGAL.
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

#include "keepsake/mesh/format.hpp"
#include "keepsake/mesh/import.hpp"
#include "keepsake/mesh/repair.hpp"
#include "scratch_folder.hpp"

namespace {

const std::string& Folder() {
  static const std::string folder = keepsake::fuzz::MakeScratchFolder("mesh");
  return folder;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace keepsake::mesh;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto format = SniffMeshFormat(bytes);
  if (!format) return 0;
  const std::string path = Folder() + "/input." + std::string(MeshFormatName(*format));
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  ImportLimits limits;
  limits.max_faces = 20'000;  // the worker's limits are larger; the sandbox bounds the rest
  limits.max_vertices = 60'000;
  auto imported = ImportMesh(Folder(), path, *format, limits);
  if (!imported || imported->mesh.triangles.size() > 5'000) return 0;
  RepairOptions options;
  // a small, coarse rebuild: the same code in fuzzing time (under ASan a flat file's rebuild at
  // the worker's settings takes over 30 s; the worker's CPU limit bounds it in production)
  options.height_mm = 20;
  options.wrap_alpha_mm = 4;
  options.wrap_offset_mm = 0.5;
  const auto repaired = RepairToSolid(imported->mesh, options);
  return 0;
}
