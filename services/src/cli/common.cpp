#include <filesystem>
#include <iostream>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/command.hpp"
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
}

orders::Result<std::unique_ptr<orders::Store>> OpenStore(const ServerConfig& config) {
  const DataPaths paths(config.data_dir);
  try {
    paths.Create();
  } catch (const std::exception& e) {
    return orders::Fail(orders::Errc::kStorage,
                        "cannot create the data directory " + config.data_dir + ": " + e.what());
  }
  return orders::Store::Open(orders::StoreOptions{
      paths.Database().string(), std::min(config.http_threads, 16), config.job_max_attempts});
}

orders::Result<std::unique_ptr<orders::Store>> OpenExistingStore(const ServerConfig& config) {
  if (!fs::exists(DataPaths(config.data_dir).Database())) {
    return orders::Fail(orders::Errc::kNotFound, "no database in " + config.data_dir);
  }
  return OpenStore(config);
}

}  // namespace keepsake::services::cli
