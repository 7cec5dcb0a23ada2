// `keepsake serve --demo`: seeds a few orders across the products and states from the sample
// assets in assets/demo (permissively licensed, see assets/demo/NOTICE.md), running their
// inspection jobs for real, and creates one fresh token per role.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "keepsake/orders/product_catalog.hpp"
#include "keepsake/orders/store.hpp"
#include "keepsake/services/config.hpp"

namespace keepsake::services {

class JobRunner;

// Seeds once per data directory (later starts find the demo orders and skip). Needs the runner
// started: it waits for the inspection jobs before moving orders along.
orders::Result<int> SeedDemoOrders(const ServerConfig& config, orders::Store& store,
                                   const orders::ProductCatalog& catalog);

// Revokes earlier demo tokens and returns a new one per role (role name -> token).
orders::Result<std::map<std::string, std::string>> CreateDemoTokens(orders::Store& store);

// A demo staff account for the console: its name (demo-<role>), new password and TOTP secret.
struct DemoAccount {
  std::string name;
  std::string role;
  std::string password;
  std::string totp_secret;  // raw bytes
};
// One account per staff role, made on the first start and given a new password and secret on
// every start (earlier sessions end): `keepsake user code` prints their codes.
orders::Result<std::vector<DemoAccount>> CreateDemoAccounts(orders::Store& store);

}  // namespace keepsake::services
