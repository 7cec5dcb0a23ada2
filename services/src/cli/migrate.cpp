// `keepsake migrate`: create or upgrade the database schema.
#include <iostream>

#include "cli/command.hpp"

namespace keepsake::services::cli {

std::vector<Command> AddMigrate(CLI::App& app) {
  auto config = std::make_shared<ServerConfig>();
  auto* migrate = app.add_subcommand("migrate", "Create or upgrade the database schema");
  AddDataOption(*migrate, *config);
  return {{migrate, [config] {
             auto store = OpenStore(*config);
             if (!store) return Die(store.error().message);
             std::cout << "schema version " << (*store)->SchemaVersion() << std::endl;
             return 0;
           }}};
}

}  // namespace keepsake::services::cli
