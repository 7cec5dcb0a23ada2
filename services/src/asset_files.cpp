#include "keepsake/services/asset_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include "keepsake/orders/crypto.hpp"

namespace keepsake::services {

namespace fs = std::filesystem;

bool WriteFileAtomically(const fs::path& path, std::string_view content) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out.flush()) return false;
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  return !ec;
}

std::optional<std::string> StoreAssetBytes(const DataPaths& paths, std::string_view content,
                                           bool* disk_full) {
  const std::string sha = orders::Sha256Hex(content);
  const fs::path target = paths.AssetFile(sha);
  std::error_code ec;
  if (fs::exists(target, ec)) return sha;
  fs::create_directories(target.parent_path(), ec);
  const fs::path tmp = paths.Tmp() / ("asset-" + orders::NewRequestId());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  bool ok = fd >= 0;
  size_t written = 0;
  while (ok && written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    ok = n > 0;
    if (ok) written += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (ok) {
    fs::rename(tmp, target, ec);
    ok = !ec;
  }
  if (!ok) {
    const int error = errno;
    if (disk_full != nullptr) *disk_full = error == ENOSPC || error == EDQUOT;
    fs::remove(tmp, ec);
    return std::nullopt;
  }
  return sha;
}

}  // namespace keepsake::services
