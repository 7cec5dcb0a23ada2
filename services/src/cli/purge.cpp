// `keepsake purge`: remove the personal data of orders that ended before a date, of one order
// (a data subject's request), or of every order at the end of the contract: the customer, every
// free text about them, and the files only those orders used; a signed deletion certificate is
// written. Not beside a running server (its admin API purges). `keepsake purge verify` checks a
// certificate against the shop's public key.
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/command.hpp"
#include "keepsake/services/paths.hpp"
#include "keepsake/services/purge.hpp"

namespace keepsake::services::cli {

namespace {

struct PurgeOptions {
  ServerConfig config;
  orders::PurgeScope scope;
};

struct VerifyOptions {
  std::string certificate;
  std::string public_key;
};

std::optional<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int Run(const PurgeOptions& o) {
  const orders::PurgeScope& s = o.scope;
  if ((s.everything ? 1 : 0) + (s.before_iso.empty() ? 0 : 1) + (s.order_number.empty() ? 0 : 1) !=
      1) {
    return Die(
        "say which orders: --before 2026-06-01T00:00:00Z, --order KS00000042, or --everything");
  }
  // not beside a running server: it holds the data directory's lock (use its admin API)
  const DataPaths paths(o.config.data_dir);
  if (!LockDataDir(o.config.data_dir)) {
    return Die("a keepsake serve is using " + o.config.data_dir +
               "; purge through its API (POST /api/v1/admin/purge) or stop it first");
  }
  auto store = OpenExistingStore(o.config);
  if (!store) return Die(store.error().message);
  auto done =
      PurgeAndCertify(**store, paths, s, orders::Actor{"keepsake purge", orders::Role::kAdmin},
                      SigningKeyPath(paths, o.config.signing_key));
  if (!done) return Die(done.error().message);
  const orders::PurgeResult& r = done->result;
  std::cout << "purged the customer data of " << r.orders << " orders (" << r.customers
            << " customers, " << r.texts_redacted << " texts); deleted " << r.files.size()
            << " files";
  if (!r.shared_files.empty()) {
    std::cout << ", kept " << r.shared_files.size() << " that kept orders use too";
  }
  for (const auto& earlier : done->finished_earlier) {
    std::cout << "\nfinished an earlier purge cut short (its files deleted now): "
              << earlier.string();
  }
  std::cout << "\ncertificate: " << done->written.string()
            << "\ncheck it with: keepsake purge verify " << done->written.string()
            << " --public-key " << done->public_key.string() << std::endl;
  return 0;
}

int Verify(const VerifyOptions& o) {
  const auto certificate = ReadText(o.certificate);
  if (!certificate) return Die("cannot read " + o.certificate);
  const auto key = ReadText(o.public_key);
  if (!key) return Die("cannot read " + o.public_key);
  const std::string wrong = VerifyDeletionCertificate(*certificate, *key);
  if (!wrong.empty()) return Die(o.certificate + ": " + wrong);
  std::cout << o.certificate << ": the signature holds" << std::endl;
  return 0;
}

}  // namespace

std::vector<Command> AddPurge(CLI::App& app) {
  auto o = std::make_shared<PurgeOptions>();
  auto* purge = app.add_subcommand(
      "purge",
      "Remove customers' personal data and files (orders ended before a date, one order, or "
      "every order) and write a signed deletion certificate");
  AddDataOption(*purge, o->config);
  purge->add_option(
      "--before", o->scope.before_iso,
      "Orders completed or cancelled before this UTC time, e.g. 2026-06-01T00:00:00Z");
  purge->add_option(
      "--order", o->scope.order_number,
      "One customer's orders, named by one of them (a customer's request; every order with "
      "the same phone), ended or not, e.g. KS00000042");
  purge->add_flag("--everything", o->scope.everything,
                  "Every order, ended or not (the end of the contract)");
  purge->add_option("--signing-key", o->config.signing_key,
                    "The shop's Ed25519 key (PEM; made on first use). Default: "
                    "keys/deletion-signing.pem in the data directory");
  auto v = std::make_shared<VerifyOptions>();
  auto* verify = purge->add_subcommand(
      "verify", "Check a deletion certificate's signature against the shop's public key");
  verify->add_option("certificate", v->certificate, "The certificate (purges/purge-N.json)")
      ->required();
  verify
      ->add_option("--public-key", v->public_key,
                   "The shop's public key (PEM), e.g. keys/deletion-signing.pub.pem")
      ->required();
  // verify first: when it is chosen, purge is parsed too
  return {{verify, [v] { return Verify(*v); }, false}, {purge, [o] { return Run(*o); }}};
}

}  // namespace keepsake::services::cli
