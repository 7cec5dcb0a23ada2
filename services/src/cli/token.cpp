// `keepsake token create | list | revoke`: the bearer tokens of channels, staff and machines.
#include <iostream>
#include <optional>

#include "cli/command.hpp"
#include "keepsake/orders/crypto.hpp"

namespace keepsake::services::cli {

namespace {

struct TokenOptions {
  ServerConfig config;
  std::string role, name;
  int expires_days = 0;
  std::optional<int64_t> revoke_id;
  std::optional<std::string> revoke_name;
};

int Create(const TokenOptions& o) {
  auto role = orders::ParseTokenRole(o.role);
  if (!role) {
    return Die("unknown role '" + o.role +
               "'; use channel, modeler, cs, logistics, production or admin");
  }
  auto store = OpenStore(o.config);
  if (!store) return Die(store.error().message);
  const std::string new_token = orders::NewApiToken();
  std::optional<std::string> expires;
  if (o.expires_days > 0) {
    expires =
        orders::IsoFromUnixMs(orders::NowUnixMs() + int64_t{o.expires_days} * 24 * 3600 * 1000);
  }
  auto id = (*store)->Access().CreateToken(orders::TokenHash(new_token), *role, o.name, expires);
  if (!id) return Die(id.error().message);
  std::cout << new_token << std::endl;
  return 0;
}

int List(const TokenOptions& o) {
  auto store = OpenExistingStore(o.config);
  if (!store) return Die(store.error().message);
  auto tokens = (*store)->Access().ListTokens();
  if (!tokens) return Die(tokens.error().message);
  const std::string now = orders::NowUtcIso();
  std::cout << "id\trole\tname\tcreated\texpires\tstate\n";
  for (const orders::TokenRecord& t : *tokens) {
    const std::string state = t.revoked_at                           ? "revoked " + *t.revoked_at
                              : t.expires_at && *t.expires_at <= now ? std::string("expired")
                                                                     : std::string("live");
    std::cout << t.id << '\t' << orders::RoleName(t.role) << '\t' << t.name
              << (t.demo ? " (demo)" : "") << '\t' << t.created_at << '\t'
              << t.expires_at.value_or("never") << '\t' << state << '\n';
  }
  return 0;
}

int Revoke(const TokenOptions& o) {
  if (!o.revoke_id && !o.revoke_name) return Die("say which token: --id N or --name NAME");
  auto store = OpenExistingStore(o.config);
  if (!store) return Die(store.error().message);
  auto revoked =
      (*store)->Access().RevokeToken(o.revoke_id, o.revoke_name, "keepsake token revoke");
  if (!revoked) return Die(revoked.error().message);
  std::cout << *revoked << " token(s) revoked" << std::endl;
  return 0;
}

}  // namespace

std::vector<Command> AddToken(CLI::App& app) {
  auto o = std::make_shared<TokenOptions>();
  auto* token = app.add_subcommand("token", "Manage API tokens");
  token->require_subcommand(1);
  auto* create = token->add_subcommand("create", "Create a token; prints it alone on stdout");
  AddDataOption(*create, o->config);
  create->add_option("--role", o->role, "channel, modeler, cs, logistics, production or admin")
      ->required();
  create->add_option("--name", o->name, "Who or what holds the token")->required();
  create
      ->add_option("--expires-days", o->expires_days,
                   "Days until the token stops working by itself (0: never)")
      ->check(CLI::Range(0, 3650));
  auto* list =
      token->add_subcommand("list", "List the tokens: id, role, name, created, expiry, state");
  AddDataOption(*list, o->config);
  auto* revoke = token->add_subcommand(
      "revoke", "Revoke a token by its id, or every token of a name (after a rotation)");
  AddDataOption(*revoke, o->config);
  auto* by_id = revoke->add_option("--id", o->revoke_id, "The token's id (token list)");
  revoke->add_option("--name", o->revoke_name, "Every live token of this name")->excludes(by_id);
  return {{create, [o] { return Create(*o); }},
          {list, [o] { return List(*o); }},
          {revoke, [o] { return Revoke(*o); }}};
}

}  // namespace keepsake::services::cli
