// Errors of the mesh module, returned as values (tl::expected), and the limits of an import.
#pragma once

#include <cstdint>
#include <string>

#include <tl/expected.hpp>

namespace keepsake::mesh {

enum class Errc {
  kUnreadable,   // the importer could not parse the file, or its geometry is unusable
  kEmpty,        // parsed, but holds no triangles (or none are left after repair)
  kTooLarge,     // more faces or vertices than the limits allow
  kBadBundle,    // a ZIP bundle that is damaged, hostile, or without exactly one OBJ
  kOutsideFile,  // the file refers to a file outside its own folder or bundle
  kWriteFailed,  // a print file or the preview could not be written (disk, a library's writer)
};

// The code's stable name, as a failed job shows it ("mesh.unreadable").
constexpr const char* ErrcName(Errc code) {
  switch (code) {
    case Errc::kUnreadable:
      return "mesh.unreadable";
    case Errc::kEmpty:
      return "mesh.empty";
    case Errc::kTooLarge:
      return "mesh.too_large";
    case Errc::kBadBundle:
      return "mesh.bad_bundle";
    case Errc::kOutsideFile:
      return "mesh.outside_file";
    case Errc::kWriteFailed:
      return "mesh.write_failed";
  }
  return "mesh.unknown";
}

struct Error {
  Errc code;
  std::string message;  // plain words, shown to staff as the job's reason
};

struct ImportLimits {
  int64_t max_faces = 2'000'000;
  int64_t max_vertices = 6'000'000;  // an STL repeats each corner: three per triangle
};

}  // namespace keepsake::mesh
