// The layout of the data directory:
//   keepsake.db           the order store (SQLite, WAL)
//   keepsake.lock         held by the running server (flock)
//   assets/ab/<sha256>    uploaded files, content-addressed
//   jobs/<id>-<attempt>/  a worker's directory while it runs
//   tmp/                  uploads being written (renamed into assets/ when complete)
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace keepsake::services {

class DataPaths {
 public:
  explicit DataPaths(std::filesystem::path root) : root_(std::move(root)) {}
  std::filesystem::path Root() const { return root_; }
  std::filesystem::path Database() const { return root_ / "keepsake.db"; }
  std::filesystem::path Lock() const { return root_ / "keepsake.lock"; }
  // DIR.key beside the data directory DIR: the data key lives outside the folder it protects.
  std::filesystem::path DefaultDataKey() const {
    std::filesystem::path dir = std::filesystem::absolute(root_).lexically_normal();
    if (dir.filename().empty()) dir = dir.parent_path();
    return dir.parent_path() / (dir.filename().string() + ".key");
  }
  std::filesystem::path Tmp() const { return root_ / "tmp"; }
  std::filesystem::path AssetFile(const std::string& sha256) const {
    return root_ / "assets" / sha256.substr(0, 2) / sha256;
  }
  std::filesystem::path JobDir(int64_t job_id, int attempt) const {
    return root_ / "jobs" / (std::to_string(job_id) + "-" + std::to_string(attempt));
  }
  // Creates the folders (mode 0700). Throws std::filesystem::filesystem_error.
  void Create() const;
  // Removes what a stopped server left in tmp/ and jobs/ (half-written uploads, folders of cut
  // short attempts): nothing there is ever acknowledged. Only while holding the lock, before
  // any job runs. Returns how many entries went.
  int ClearScratch() const;

 private:
  std::filesystem::path root_;
};

}  // namespace keepsake::services
