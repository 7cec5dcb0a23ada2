// `keepsake keys rotate`: a new data key for everything encrypted under it (customers' names,
// phones and addresses, greetings, webhook and staff TOTP secrets, carriers' own labels;
// docs/security.md). Crash-safe in
// three steps: the new key is written beside the old (KEY.next, synced), the database moves to it
// in one transaction, the old key retires (KEY.retired-<time>) and the new one takes its name. A
// rotation cut short at any point is finished or undone by the next command that opens the store
// (FinishKeyRotation). Not beside a running server: it holds the old key in memory.
#include <cstdlib>
#include <iostream>

#include "cli/command.hpp"
#include "keepsake/services/paths.hpp"

namespace keepsake::services::cli {

namespace {

namespace fs = std::filesystem;

// For the tests of a rotation cut short only: KEEPSAKE_ROTATE_FAULT=before-commit stops after
// the new key is written, after-commit after the database moved to it.
void StopHereIfTold(const char* where) {
  const char* fault = std::getenv("KEEPSAKE_ROTATE_FAULT");
  if (fault != nullptr && std::string(fault) == where) std::_Exit(70);
}

int Rotate(const ServerConfig& config) {
  const DataPaths paths(config.data_dir);
  if (!fs::exists(paths.Database())) return Die("no database in " + config.data_dir);
  if (!LockDataDir(config.data_dir)) {
    return Die("a keepsake serve is using " + config.data_dir +
               " and holds its data key in memory: stop it, rotate, start it again");
  }
  const std::string key_path = DataKeyPath(config);
  if (auto finished = FinishKeyRotation(key_path, paths.Database()); !finished) {
    return Die(finished.error().message);
  }
  if (!fs::exists(key_path)) {
    return Die("no data key at " + key_path + " (give the current one with --data-key)");
  }
  auto old_key = ReadKeyFile(key_path);
  if (!old_key) return Die(old_key.error().message);
  const std::string next = key_path + ".next";
  const std::string new_key = NewDataKey();
  if (!WriteKeyFile(next, new_key)) return Die("cannot write the new data key " + next);
  StopHereIfTold("before-commit");
  auto rotated = orders::Store::RotateDataKey(paths.Database().string(), *old_key, new_key);
  if (!rotated) {
    std::error_code ec;
    fs::remove(next, ec);
    return Die(rotated.error().message);
  }
  StopHereIfTold("after-commit");
  // the same last step a rotation cut short after the commit gets from the next command
  auto retired = FinishKeyRotation(key_path, paths.Database());
  if (!retired) return Die(retired.error().message);
  std::cout << "re-encrypted " << *rotated
            << " customers, the greetings, the webhook and staff TOTP secrets and the carriers' "
               "own labels under a new data key in "
            << key_path << "\nthe old key is kept as " << *retired
            << ": a backup made before now needs it to be restored; delete it when those "
               "backups expire"
            << std::endl;
  return 0;
}

}  // namespace

std::vector<Command> AddKeys(CLI::App& app) {
  auto config = std::make_shared<ServerConfig>();
  auto* keys = app.add_subcommand("keys", "The data key customers' data is encrypted under");
  keys->require_subcommand(1);
  auto* rotate = keys->add_subcommand(
      "rotate",
      "Encrypt every customer's data and the webhook secrets again under a new data key (the "
      "server stopped); the old key is kept beside it for older backups");
  AddDataOption(*rotate, *config);
  return {{rotate, [config] { return Rotate(*config); }}};
}

}  // namespace keepsake::services::cli
