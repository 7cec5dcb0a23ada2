#include "keepsake/services/paths.hpp"

namespace keepsake::services {

void DataPaths::Create() const {
  namespace fs = std::filesystem;
  for (const fs::path& dir : {root_, root_ / "assets", root_ / "jobs", root_ / "tmp"}) {
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
  }
}

int DataPaths::ClearScratch() const {
  namespace fs = std::filesystem;
  int removed = 0;
  for (const fs::path& dir : {root_ / "tmp", root_ / "jobs"}) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      std::error_code gone;
      fs::remove_all(entry.path(), gone);
      if (!gone) ++removed;
    }
  }
  return removed;
}

}  // namespace keepsake::services
