// `keepsake purge`: remove customers' personal data of orders that ended before a date, or of
// every order at the end of the contract. Not beside a running server (its admin API purges).
#include <fcntl.h>
#include <sys/file.h>

#include <iostream>

#include "cli/command.hpp"
#include "keepsake/services/paths.hpp"

namespace keepsake::services::cli {

namespace {

struct PurgeOptions {
  ServerConfig config;
  std::string before;
  bool everything = false;
};

int Run(const PurgeOptions& o) {
  if (o.everything == !o.before.empty()) {
    return Die("say which orders: --before 2026-06-01T00:00:00Z, or --everything");
  }
  // not beside a running server: it holds the data directory's lock (use its admin API)
  const std::string lock_path = DataPaths(o.config.data_dir).Lock().string();
  const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    return Die("a keepsake serve is using " + o.config.data_dir +
               "; purge through its API (POST /api/v1/admin/purge) or stop it first");
  }
  auto store = OpenExistingStore(o.config);
  if (!store) return Die(store.error().message);
  auto purged = (*store)->Access().PurgeCustomers(
      o.before, o.everything, orders::Actor{"keepsake purge", orders::Role::kAdmin});
  if (!purged) return Die(purged.error().message);
  std::cout << "purged the customer data of " << purged->orders << " orders (" << purged->customers
            << " customers); record " << purged->digest << std::endl;
  return 0;
}

}  // namespace

std::vector<Command> AddPurge(CLI::App& app) {
  auto o = std::make_shared<PurgeOptions>();
  auto* purge = app.add_subcommand(
      "purge", "Remove customers' personal data of orders that ended before a date");
  AddDataOption(*purge, o->config);
  purge->add_option(
      "--before", o->before,
      "Orders completed or cancelled before this UTC time, e.g. 2026-06-01T00:00:00Z");
  purge->add_flag("--everything", o->everything,
                  "Every order, ended or not (the end of the contract)");
  return {{purge, [o] { return Run(*o); }}};
}

}  // namespace keepsake::services::cli
