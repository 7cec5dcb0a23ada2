#include "keepsake/services/paths.hpp"

namespace keepsake::services {

void DataPaths::Create() const {
  namespace fs = std::filesystem;
  for (const fs::path& dir : {root_, root_ / "assets", root_ / "jobs", root_ / "tmp"}) {
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
  }
}

}  // namespace keepsake::services
