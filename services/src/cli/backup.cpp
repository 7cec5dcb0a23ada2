// `keepsake backup`: a copy of the database made with SQLite's online backup, beside a
// running server; recorded in the audit log (a purge's certificate lists the copies made
// before it, which still hold the purged data).
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"

namespace keepsake::services::cli {

namespace {

struct BackupOptions {
  ServerConfig config;
  std::string out;
};

int Run(const BackupOptions& o) {
  if (std::filesystem::exists(o.out)) return Die(o.out + " exists; choose a new file");
  auto store = OpenExistingStore(o.config);
  if (!store) return Die(store.error().message);
  auto done = (*store)->Backup(o.out);
  if (!done) return Die(done.error().message);
  // recorded, so that a later purge's certificate can say this copy still holds the data
  std::error_code ec;
  const std::string file = std::filesystem::absolute(o.out, ec).string();
  if (auto recorded =
          (*store)->Access().AppendAudit({"keepsake backup", "admin", "store.backup", std::nullopt,
                                          nlohmann::json{{"file", file}}.dump(), ""});
      !recorded) {
    return Die("the backup was written but not recorded: " + recorded.error().message);
  }
  std::cout << "backup written to " << o.out << std::endl;
  return 0;
}

}  // namespace

std::vector<Command> AddBackup(CLI::App& app) {
  auto o = std::make_shared<BackupOptions>();
  auto* backup = app.add_subcommand("backup", "Copy the database with SQLite's online backup");
  AddDataOption(*backup, o->config);
  backup->add_option("--out", o->out, "The backup file to write (must not exist)")->required();
  return {{backup, [o] { return Run(*o); }}};
}

}  // namespace keepsake::services::cli
