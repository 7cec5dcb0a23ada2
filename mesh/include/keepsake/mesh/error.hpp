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
};

struct Error {
  Errc code;
  std::string message;  // plain words, shown to staff as the job's reason
};

struct ImportLimits {
  int64_t max_faces = 2'000'000;
  int64_t max_vertices = 6'000'000;  // an STL repeats each corner: three per triangle
};

}  // namespace keepsake::mesh
