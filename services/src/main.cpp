// keepsake: one binary, subcommands (CLI11), a file each under cli/. `serve` runs the API and
// the job runner; `worker` is the sandboxed child the runner starts, not meant to be typed.
#include <CLI/CLI.hpp>

#include "cli/command.hpp"

int main(int argc, char** argv) {
  using namespace keepsake::services::cli;
  CLI::App app{"Keepsake: turns a fan's AI creation into a physical keepsake"};
  app.require_subcommand(1);
  std::vector<Command> commands;
  for (auto add : {AddServe, AddToken, AddMigrate, AddLabel, AddPackingSlip, AddReport, AddPurge,
                   AddBackup, AddMesh, AddWorker, AddPrint, AddProducts, AddKeys, AddUser}) {
    for (Command& c : add(app)) commands.push_back(std::move(c));
  }
  CLI11_PARSE(app, argc, argv);
  for (const Command& command : commands) {
    if (!command.chosen->parsed()) continue;
    if (command.logs) SetUpLogging();
    return command.run();
  }
  return 0;
}
