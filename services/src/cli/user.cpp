// `keepsake user create | reset | list | disable | unlock | code`: the staff accounts the
// console signs in with (a password and a TOTP second factor; machines keep bearer tokens).
#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <optional>
#include <string>

#include "cli/command.hpp"
#include "keepsake/imaging/barcode.hpp"
#include "keepsake/orders/crypto.hpp"
#include "keepsake/orders/sla.hpp"

namespace keepsake::services::cli {

namespace {

constexpr size_t kMinPassword = 12, kMaxPassword = 128;

struct UserOptions {
  ServerConfig config;
  std::string role, name;
  bool password_stdin = false;
};

// One line from standard input; from a terminal without echo.
std::optional<std::string> ReadSecretLine(const std::string& prompt) {
  const bool tty = isatty(STDIN_FILENO) != 0;
  termios saved{};
  if (tty) {
    std::cerr << prompt << std::flush;
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  const bool read = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::cerr << std::endl;
  }
  if (!read) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// The new password: from a terminal, asked twice; with --password-stdin, the first line.
std::optional<std::string> NewPassword(const UserOptions& o, std::string& problem) {
  if (!o.password_stdin && isatty(STDIN_FILENO) == 0) {
    problem = "no terminal to ask the password on; pipe it with --password-stdin";
    return std::nullopt;
  }
  auto password = ReadSecretLine("New password for " + o.name + ": ");
  if (!password) {
    problem = "no password was given";
    return std::nullopt;
  }
  if (password->size() < kMinPassword || password->size() > kMaxPassword) {
    problem = "a password is 12-128 bytes (a few words make a good one)";
    return std::nullopt;
  }
  if (!o.password_stdin) {
    auto again = ReadSecretLine("The same again: ");
    if (!again || *again != *password) {
      problem = "the two passwords differ; nothing was changed";
      return std::nullopt;
    }
  }
  return password;
}

// The QR code of `text` in a terminal: two module rows per line, light modules as full blocks
// (drawn for a dark terminal, as qrencode's UTF8 mode), with a quiet zone of two modules.
std::string TerminalQr(const std::string& text) {
  auto qr = imaging::QrCode(text);
  if (!qr) return "";
  constexpr int kQuiet = 2;
  const int side = qr->width + 2 * kQuiet;
  const auto light = [&](int x, int y) {
    x -= kQuiet;
    y -= kQuiet;
    return x < 0 || y < 0 || x >= qr->width || y >= qr->height || !qr->Dark(x, y);
  };
  std::string out;
  for (int y = 0; y < side; y += 2) {
    for (int x = 0; x < side; ++x) {
      const bool top = light(x, y), bottom = y + 1 < side ? light(x, y + 1) : true;
      out += top && bottom ? "█" : top ? "▀" : bottom ? "▄" : " ";
    }
    out += '\n';
  }
  return out;
}

void PrintEnrolment(const std::string& name, const std::string& secret) {
  const std::string uri = orders::TotpUri(name, secret);
  std::cout << "Second factor: scan this with an authenticator app (FreeOTP, Aegis, Google "
               "Authenticator),\nor type the secret "
            << orders::Base32Encode(secret) << " into it.\n"
            << TerminalQr(uri) << uri << "\n"
            << "Then sign in on the console (/console/) with the name, the password and the "
               "app's 6-digit code."
            << std::endl;
}

int Create(const UserOptions& o, bool reset) {
  auto role = orders::ParseTokenRole(o.role);
  if (!reset && (!role || *role == orders::Role::kChannel)) {
    return Die("unknown staff role '" + o.role +
               "'; use modeler, cs, logistics, production or admin (a channel gets a token)");
  }
  auto store = reset ? OpenExistingStore(o.config) : OpenStore(o.config);
  if (!store) return Die(store.error().message);
  std::string problem;
  auto password = NewPassword(o, problem);
  if (!password) return Die(problem);
  const std::string secret = orders::NewTotpSecret();
  const std::string hash = orders::HashPassword(*password);
  if (reset) {
    auto done = (*store)->Staff().ResetUser(o.name, hash, secret, "keepsake user reset");
    if (!done) return Die(done.error().message);
    std::cout << "Account " << o.name << ": new password and second factor; signed out everywhere."
              << std::endl;
  } else {
    auto id = (*store)->Staff().CreateUser(o.name, *role, hash, secret, /*demo=*/false,
                                           "keepsake user create");
    if (!id) return Die(id.error().message);
    std::cout << "Account " << o.name << " (" << o.role << ") created." << std::endl;
  }
  PrintEnrolment(o.name, secret);
  return 0;
}

int List(const UserOptions& o) {
  auto store = OpenExistingStore(o.config);
  if (!store) return Die(store.error().message);
  auto users = (*store)->Staff().ListUsers();
  if (!users) return Die(users.error().message);
  const int64_t now = orders::NowUnixMs();
  std::cout << "id\tname\trole\tcreated\tstate\n";
  for (const orders::StaffUser& u : *users) {
    const std::string state =
        u.disabled_at             ? "disabled " + *u.disabled_at
        : u.locked_until_ms > now ? "locked until " + orders::IsoFromUnixMs(u.locked_until_ms)
        : u.failed_attempts > 0   ? std::to_string(u.failed_attempts) + " failed sign-in(s)"
                                  : std::string("live");
    std::cout << u.id << '\t' << u.name << (u.demo ? " (demo)" : "") << '\t'
              << orders::RoleName(u.role) << '\t' << u.created_at << '\t' << state << '\n';
  }
  return 0;
}

int Disable(const UserOptions& o, bool unlock) {
  auto store = OpenExistingStore(o.config);
  if (!store) return Die(store.error().message);
  auto done = unlock ? (*store)->Staff().UnlockUser(o.name, "keepsake user unlock")
                     : (*store)->Staff().DisableUser(o.name, "keepsake user disable");
  if (!done) return Die(done.error().message);
  std::cout << o.name << (unlock ? " unlocked" : " disabled and signed out") << std::endl;
  return 0;
}

// The current code of a demo account: a demo has no phone enrolled.
int Code(const UserOptions& o) {
  auto store = OpenExistingStore(o.config);
  if (!store) return Die(store.error().message);
  auto found = (*store)->Staff().FindCredentials(o.name);
  if (!found) return Die(found.error().message);
  if (!found->user.demo) {
    return Die(o.name + " is a person's account: its codes come from their authenticator app only");
  }
  std::cout << orders::TotpCode(found->totp_secret, orders::NowUnixMs() / 1000 / 30) << std::endl;
  return 0;
}

}  // namespace

std::vector<Command> AddUser(CLI::App& app) {
  auto o = std::make_shared<UserOptions>();
  auto* user = app.add_subcommand("user", "Manage the staff accounts the console signs in with");
  user->require_subcommand(1);
  const auto add_name = [&](CLI::App* c) {
    AddDataOption(*c, o->config);
    c->add_option("--name", o->name, "The account's name, e.g. li.wei")->required();
  };
  auto* create = user->add_subcommand(
      "create", "Create an account: asks its password, prints its second factor to enrol");
  add_name(create);
  create->add_option("--role", o->role, "modeler, cs, logistics, production or admin")->required();
  create->add_flag("--password-stdin", o->password_stdin,
                   "Read the password from the first line of standard input");
  auto* reset = user->add_subcommand(
      "reset", "A new password and second factor (a forgotten password, a lost phone)");
  add_name(reset);
  reset->add_flag("--password-stdin", o->password_stdin,
                  "Read the password from the first line of standard input");
  auto* list = user->add_subcommand("list", "List the accounts: id, name, role, created, state");
  AddDataOption(*list, o->config);
  auto* disable = user->add_subcommand("disable", "Stop an account signing in; ends its sessions");
  add_name(disable);
  auto* unlock = user->add_subcommand("unlock", "Clear an account's failed sign-ins and its lock");
  add_name(unlock);
  auto* code = user->add_subcommand("code", "Print a demo account's current 6-digit code");
  add_name(code);
  return {{create, [o] { return Create(*o, false); }, false},
          {reset, [o] { return Create(*o, true); }, false},
          {list, [o] { return List(*o); }},
          {disable, [o] { return Disable(*o, false); }},
          {unlock, [o] { return Disable(*o, true); }},
          {code, [o] { return Code(*o); }, false}};
}

}  // namespace keepsake::services::cli
