// Private: unpacks a ZIP bundle (an OBJ with its MTL and textures) into a folder, refusing
// what a hostile archive tries: paths that leave the folder, too many entries, too many bytes.
#pragma once

#include <string>

#include <tl/expected.hpp>

#include "keepsake/mesh/error.hpp"

namespace keepsake::mesh {

struct BundleLimits {
  int64_t max_entries = 256;
  int64_t max_total_bytes = 512ll * 1024 * 1024;  // uncompressed
};

// Extracts `zip_path` into `out_dir` (created) and returns the path of the one .obj in it.
// Errors: kBadBundle.
tl::expected<std::string, Error> ExtractBundle(const std::string& zip_path,
                                               const std::string& out_dir,
                                               const BundleLimits& limits);

}  // namespace keepsake::mesh
