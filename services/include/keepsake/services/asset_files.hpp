// Content-addressed files under DIR/assets/ab/<sha256>: written to DIR/tmp, fsync'd, renamed
// into place, so a crash leaves either no file or the whole file. The same bytes are one file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "keepsake/services/paths.hpp"

namespace keepsake::services {

// Writes `content` to `path` through `path`.tmp and a rename, so that a reader sees either the
// old file or the whole new one. Returns false when the disk refused.
bool WriteFileAtomically(const std::filesystem::path& path, std::string_view content);

// Stores `content` and returns its sha256 (hex), or nullopt when the disk refused.
// `disk_full` (if given) is set when the write failed for want of space.
std::optional<std::string> StoreAssetBytes(const DataPaths& paths, std::string_view content,
                                           bool* disk_full = nullptr);

}  // namespace keepsake::services
