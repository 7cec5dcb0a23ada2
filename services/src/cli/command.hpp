// The command line: a file per subcommand registers its options and what it runs; main()
// parses and runs the one that was chosen.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "keepsake/orders/store.hpp"
#include "keepsake/services/config.hpp"

namespace keepsake::services::cli {

// A subcommand that was registered: `chosen` is the (sub)command whose parse means "run this".
struct Command {
  CLI::App* chosen;
  std::function<int()> run;
  bool logs = true;  // false for the commands whose stdout and stderr are their output
};

// Each adds one subcommand (and its own subcommands) to `app`.
std::vector<Command> AddServe(CLI::App& app);
std::vector<Command> AddToken(CLI::App& app);
std::vector<Command> AddMigrate(CLI::App& app);
std::vector<Command> AddLabel(CLI::App& app);
std::vector<Command> AddPackingSlip(CLI::App& app);
std::vector<Command> AddReport(CLI::App& app);
std::vector<Command> AddPurge(CLI::App& app);
std::vector<Command> AddBackup(CLI::App& app);
std::vector<Command> AddMesh(CLI::App& app);
std::vector<Command> AddWorker(CLI::App& app);
std::vector<Command> AddPrint(CLI::App& app);
std::vector<Command> AddProducts(CLI::App& app);
std::vector<Command> AddKeys(CLI::App& app);
std::vector<Command> AddUser(CLI::App& app);

// --- shared by the subcommands ------------------------------------------------------------

void SetUpLogging();
// "keepsake: <message>" on stderr; returns the exit status 1.
int Die(const std::string& message);
// assets/ next to the binary (build/keepsake -> ../assets) or in the working directory.
std::string FindAssetsDir(const std::string& given);
// The staff console's folder: --console, KEEPSAKE_CONSOLE, or console/ of the source tree the
// binary was built in. Empty (and /console not served) when none has app/index.html.
std::string FindConsoleDir(const std::string& given);
// --data, the data directory.
void AddDataOption(CLI::App& command, ServerConfig& config);
orders::Result<std::unique_ptr<orders::Store>> OpenStore(const ServerConfig& config);
// Takes the data directory's lock (held until the process exits): one `keepsake serve` per data
// directory, and the maintenance commands that must not run beside it (purge, keys rotate).
// False when another process holds it.
bool LockDataDir(const std::string& data_dir);
// The data key's file: written whole (0600, synced with its folder; false if it exists or
// cannot be written), read (64 hex digits), and the name a retired key is kept under
// (PATH.retired-<UTC time>).
std::string DataKeyPath(const ServerConfig& config);  // --data-key, or DIR.key beside DIR
std::string NewDataKey();                             // 32 random bytes (OpenSSL's RAND_bytes)
bool WriteKeyFile(const std::string& path, const std::string& key);
bool SyncFolder(const std::filesystem::path& folder);
orders::Result<std::string> ReadKeyFile(const std::string& path);
std::string RetiredKeyPath(const std::string& path);
// A rotation's last step, or one cut short (`keepsake keys rotate` writes PATH.next before the
// database moves to it): finished when the database `db` holds the new key (the old one retired
// beside it; returns the retired key's path), undone when it does not (returns ""). Every
// command that opens the store calls it first.
orders::Result<std::string> FinishKeyRotation(const std::string& path,
                                              const std::filesystem::path& db);
// The store of a data directory that must exist already (the maintenance commands never
// create an empty one by mistake).
orders::Result<std::unique_ptr<orders::Store>> OpenExistingStore(const ServerConfig& config);

}  // namespace keepsake::services::cli
