#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/command.hpp"
#include "keepsake/orders/crypto.hpp"
#include "keepsake/services/paths.hpp"
#include "keepsake/services/sandbox.hpp"

namespace keepsake::services::cli {

namespace fs = std::filesystem;

void SetUpLogging() {
  auto logger = spdlog::stderr_logger_mt("keepsake");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
  spdlog::set_default_logger(logger);
}

int Die(const std::string& message) {
  std::cerr << "keepsake: " << message << std::endl;
  return 1;
}

std::string FindAssetsDir(const std::string& given) {
  if (!given.empty()) return given;
  if (const char* env = std::getenv("KEEPSAKE_ASSETS")) return env;
  const fs::path exe = fs::path(SelfExecutable()).parent_path();
  for (const fs::path& candidate : {exe / "../assets", exe / "../../assets", fs::path("assets")}) {
    if (fs::exists(candidate / "products.json")) return fs::weakly_canonical(candidate).string();
  }
  return "assets";
}

std::string FindConsoleDir(const std::string& given) {
  std::vector<fs::path> candidates;
  if (!given.empty()) candidates.push_back(given);
  if (const char* env = std::getenv("KEEPSAKE_CONSOLE")) candidates.push_back(env);
  const fs::path exe = fs::path(SelfExecutable()).parent_path();
  candidates.insert(candidates.end(), {exe / "../console", exe / "../../console"});
  for (const fs::path& candidate : candidates) {
    if (fs::exists(candidate / "app" / "index.html")) {
      if (!fs::exists(candidate / "node_modules" / "three")) {
        spdlog::warn("event=console_incomplete reason=\"three.js is missing: run npm ci in {}\"",
                     candidate.string());
      }
      return fs::weakly_canonical(candidate).string();
    }
  }
  if (!given.empty()) spdlog::warn("event=console_missing dir={}", given);
  return "";
}

void AddDataOption(CLI::App& command, ServerConfig& config) {
  command.add_option("--data", config.data_dir, "Data directory (SQLite file, assets, jobs)")
      ->capture_default_str();
  command.add_option("--data-key", config.data_key_file,
                     "The key customers' data is encrypted under (64 hex digits; made on first "
                     "use). Default: DIR.key beside the data directory DIR");
}

bool LockDataDir(const std::string& data_dir) {
  const std::string lock_path = DataPaths(data_dir).Lock().string();
  const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  return lock_fd >= 0 && flock(lock_fd, LOCK_EX | LOCK_NB) == 0;
}

std::string DataKeyPath(const ServerConfig& config) {
  return config.data_key_file.empty() ? DataPaths(config.data_dir).DefaultDataKey().string()
                                      : config.data_key_file;
}

std::string NewDataKey() { return orders::HexDecode(orders::RandomHex(32)).value_or(""); }

bool WriteKeyFile(const std::string& path, const std::string& key) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  const std::string line = orders::HexEncode(key) + "\n";
  const bool written = fd >= 0 &&
                       ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                       ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  return written && SyncFolder(fs::path(path).parent_path());
}

bool SyncFolder(const fs::path& folder) {
  const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const bool synced = fd >= 0 && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  return synced;
}

orders::Result<std::string> ReadKeyFile(const std::string& path) {
  std::ifstream in(path);
  std::string hex;
  std::getline(in, hex);
  const std::string key = orders::HexDecode(hex).value_or(std::string());
  if (key.size() != 32) {
    return orders::Fail(orders::Errc::kStorage,
                        "the data key " + path + " is not 64 hex digits on its first line");
  }
  return key;
}

std::string RetiredKeyPath(const std::string& path) {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  return path + ".retired-" + stamp;
}

orders::Result<std::string> FinishKeyRotation(const std::string& path, const fs::path& db) {
  const std::string next = path + ".next";
  if (!fs::exists(next)) return std::string();
  auto key = ReadKeyFile(next);
  const auto holds = key ? orders::Store::HoldsDataKey(db.string(), *key)
                         : orders::Result<bool>(tl::unexpected(key.error()));
  std::error_code ec;
  if (holds && *holds) {
    // the database committed to the new key: the old one retires, the new one takes its place
    const std::string retired = RetiredKeyPath(path);
    if (fs::exists(path)) fs::rename(path, retired, ec);
    if (!ec) fs::rename(next, path, ec);
    if (ec || !SyncFolder(fs::path(path).parent_path())) {
      return orders::Fail(orders::Errc::kStorage,
                          "the database is encrypted under the new data key " + next +
                              " but it could not be put in place of " + path + " (" + ec.message() +
                              "); the next command that opens the store finishes it");
    }
    spdlog::info("event=data_key_rotation_finished");
    return retired;
  }
  // the database never took the new key: it is still the old one's
  fs::remove(next, ec);
  spdlog::warn("event=data_key_rotation_abandoned");
  return std::string();
}

namespace {

// The data key from `path` (64 hex digits); made there (0600) when it does not exist and the
// database `db` has no encrypted customers yet. A missing key for a database that has them is
// an error: a new key would make them unreadable. A rotation cut short is finished (or undone)
// first.
orders::Result<std::string> LoadDataKey(const std::string& path, const fs::path& db) {
  if (auto finished = FinishKeyRotation(path, db); !finished) {
    return tl::unexpected(finished.error());
  }
  if (!fs::exists(path)) {
    if (orders::Store::HoldsEncryptedData(db.string())) {
      return orders::Fail(orders::Errc::kStorage,
                          "the data key " + path + " is missing: the customers' data in " +
                              db.parent_path().string() +
                              " is encrypted under it and cannot be read without it (give it "
                              "with --data-key)");
    }
    if (!WriteKeyFile(path, NewDataKey())) {
      return orders::Fail(orders::Errc::kStorage, "cannot write the data key " + path);
    }
    spdlog::info("event=data_key_created");
  }
  return ReadKeyFile(path);
}

}  // namespace

orders::Result<std::unique_ptr<orders::Store>> OpenStore(const ServerConfig& config) {
  const DataPaths paths(config.data_dir);
  try {
    paths.Create();
  } catch (const std::exception& e) {
    return orders::Fail(orders::Errc::kStorage,
                        "cannot create the data directory " + config.data_dir + ": " + e.what());
  }
  auto key = LoadDataKey(DataKeyPath(config), paths.Database());
  if (!key) return tl::unexpected(key.error());
  return orders::Store::Open(orders::StoreOptions{
      paths.Database().string(), std::min(config.http_threads, 16), config.job_max_attempts, *key});
}

orders::Result<std::unique_ptr<orders::Store>> OpenExistingStore(const ServerConfig& config) {
  if (!fs::exists(DataPaths(config.data_dir).Database())) {
    return orders::Fail(orders::Errc::kNotFound, "no database in " + config.data_dir);
  }
  return OpenStore(config);
}

}  // namespace keepsake::services::cli
