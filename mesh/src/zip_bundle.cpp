// libzip (https://libzip.org/documentation/). Sizes are checked from the central directory
// before extraction and again while writing, since a hostile archive may lie in its directory.
#include "zip_bundle.hpp"

#include <zip.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

namespace keepsake::mesh {

namespace {

namespace fs = std::filesystem;

tl::unexpected<Error> Bad(std::string message) {
  return tl::unexpected(Error{Errc::kBadBundle, std::move(message)});
}

bool SafeName(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.find('\\') != std::string::npos) return false;
  for (const fs::path& part : fs::path(name)) {
    if (part == ".." || part == ".") return false;
  }
  return true;
}

bool EndsWithObj(const std::string& name) {
  if (name.size() < 4) return false;
  std::string ext = name.substr(name.size() - 4);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext == ".obj";
}

}  // namespace

tl::expected<std::string, Error> ExtractBundle(const std::string& zip_path,
                                               const std::string& out_dir,
                                               const BundleLimits& limits) {
  int error = 0;
  std::unique_ptr<zip_t, decltype(&zip_discard)> archive(
      zip_open(zip_path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &error), &zip_discard);
  if (!archive) return Bad("the ZIP bundle cannot be opened (damaged or not a ZIP)");
  const zip_int64_t entries = zip_get_num_entries(archive.get(), 0);
  if (entries < 0 || entries > limits.max_entries) {
    return Bad("the ZIP bundle has more than " + std::to_string(limits.max_entries) + " entries");
  }
  int64_t total = 0;
  std::vector<std::string> objs;
  for (zip_int64_t i = 0; i < entries; ++i) {
    zip_stat_t st;
    if (zip_stat_index(archive.get(), static_cast<zip_uint64_t>(i), 0, &st) != 0) {
      return Bad("the ZIP bundle's directory is damaged");
    }
    const std::string name = st.name ? st.name : "";
    if (!SafeName(name)) return Bad("the ZIP bundle holds a path that leaves the bundle: " + name);
    total += static_cast<int64_t>(st.size);
    if (total > limits.max_total_bytes) {
      return Bad("the ZIP bundle unpacks to more than " +
                 std::to_string(limits.max_total_bytes / (1024 * 1024)) + " MB");
    }
    if (EndsWithObj(name)) objs.push_back(name);
  }
  if (objs.size() != 1) {
    return Bad("a ZIP bundle must hold exactly one .obj file; it holds " +
               std::to_string(objs.size()));
  }
  fs::create_directories(out_dir);
  int64_t written = 0;
  std::vector<char> buffer(1 << 16);
  for (zip_int64_t i = 0; i < entries; ++i) {
    const char* raw = zip_get_name(archive.get(), static_cast<zip_uint64_t>(i), 0);
    const std::string name = raw ? raw : "";
    const fs::path target = fs::path(out_dir) / name;
    if (!name.empty() && name.back() == '/') {
      fs::create_directories(target);
      continue;
    }
    fs::create_directories(target.parent_path());
    std::unique_ptr<zip_file_t, decltype(&zip_fclose)> file(
        zip_fopen_index(archive.get(), static_cast<zip_uint64_t>(i), 0), &zip_fclose);
    if (!file) return Bad("cannot read " + name + " from the ZIP bundle");
    zip_stat_t st;
    if (zip_stat_index(archive.get(), static_cast<zip_uint64_t>(i), 0, &st) != 0) {
      return Bad("the ZIP bundle's directory is damaged");
    }
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    // an entry that inflates past the size its directory gives (a lying ZIP bomb) is stopped
    // at that size, not at the bundle's limit
    zip_uint64_t entry_written = 0;
    for (;;) {
      const zip_int64_t n = zip_fread(file.get(), buffer.data(), buffer.size());
      if (n < 0) return Bad("the ZIP bundle is damaged at " + name);
      if (n == 0) break;
      written += n;
      entry_written += static_cast<zip_uint64_t>(n);
      if (entry_written > st.size || written > limits.max_total_bytes) {
        return Bad("the ZIP bundle's " + name + " unpacks to more than its directory says");
      }
      out.write(buffer.data(), n);
    }
    if (!out) return Bad("cannot write " + name + " from the ZIP bundle");
  }
  return (fs::path(out_dir) / objs.front()).string();
}

}  // namespace keepsake::mesh
