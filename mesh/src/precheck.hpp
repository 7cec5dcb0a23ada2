// Private: checks made on a customer's file before any parser sees it, for the attacks that
// would otherwise cost the worker its stack or its memory limit instead of giving a clear
// reason: JSON nested deeper than any glTF needs (Assimp's RapidJSON parses recursively), a
// GLB whose header lies about its length, and OFF/PLY headers that declare more vertices or
// faces than the limits allow (or than the file could hold).
#pragma once

#include <string>

#include <tl/expected.hpp>

#include "keepsake/mesh/error.hpp"
#include "keepsake/mesh/format.hpp"

namespace keepsake::mesh {

inline constexpr int kMaxJsonDepth = 64;  // glTF's own structure is about 6 levels deep

tl::expected<void, Error> CheckBeforeParsing(const std::string& path, MeshFormat format,
                                             const ImportLimits& limits);

}  // namespace keepsake::mesh
