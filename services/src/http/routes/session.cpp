// Who am I, and the console's sign-in and sign-out: a staff account's name, password (Argon2id)
// and the code of its authenticator app (TOTP) open a session held in an HttpOnly, Secure,
// SameSite=Strict cookie; machines keep their bearer tokens.
#include "http/handlers.hpp"
#include "http/routes/routes.hpp"
#include "keepsake/orders/crypto.hpp"
#include "keepsake/orders/sla.hpp"

namespace keepsake::services {

namespace {

constexpr const char* kWrongSignIn = "the name, the password or the code is wrong";

// A hash to check a password against when the name is nobody's: an unknown name then takes as
// long to refuse as a wrong password, so the time does not tell which names exist.
const std::string& NobodysHash() {
  static const std::string hash = orders::HashPassword("no account has this password");
  return hash;
}

class SessionHandlers : public Handlers {
 public:
  using Handlers::Handlers;
  void Session(const Context& ctx, const httplib::Request&, httplib::Response& res);
  void SignIn(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void SignOut(const Context& ctx, const httplib::Request& req, httplib::Response& res);

 private:
  bool PasswordMatches(const std::string& hash, const std::string& password) {
    api.password_checks.acquire();
    const bool ok = orders::VerifyPassword(hash, password);
    api.password_checks.release();
    return ok;
  }
  void Refuse(const httplib::Request& req, httplib::Response& res) {
    if (Limited(api.auth_failures, true, req, res, "too many failed sign-ins from your address")) {
      return;
    }
    ReplyProblem(req, res, ToProblem(ApiErrc::kUnauthenticated, kWrongSignIn));
  }
  void Locked(const httplib::Request& req, httplib::Response& res, int64_t until_ms) {
    const int64_t wait_s = std::max<int64_t>(1, (until_ms - orders::NowUnixMs() + 999) / 1000);
    res.set_header("Retry-After", std::to_string(wait_s));
    ReplyProblem(req, res,
                 ToProblem(ApiErrc::kAccountLocked,
                           "this account is locked after repeated failed sign-ins until " +
                               orders::IsoFromUnixMs(until_ms) +
                               " (UTC); an admin can unlock it: keepsake user unlock"));
  }
};

// Who the caller is and which routes its role may call: the console builds its navigation
// from this, so it shows only what the role may do.
json SessionJson(const orders::Actor& actor) {
  json routes = json::array();
  for (const Route& r : AllRoutes()) {
    if (std::find(r.roles.begin(), r.roles.end(), actor.role) != r.roles.end()) {
      routes.push_back(std::string(r.method) + " " + r.path);
    }
  }
  return {{"name", actor.name},
          {"role", std::string(orders::RoleName(actor.role))},
          {"routes", routes}};
}

void SessionHandlers::Session(const Context& ctx, const httplib::Request&, httplib::Response& res) {
  Reply(res, 200, SessionJson(ctx.actor));
}

void SessionHandlers::SignIn(const Context& ctx, const httplib::Request& req,
                             httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  const std::string name = body->value("name", ""), password = body->value("password", "");
  const std::string code = body->value("code", "");
  if (name.empty() || name.size() > 64)
    return ReplyInvalid(req, res, "your account's name", "name");
  if (password.empty() || password.size() > 128) {
    return ReplyInvalid(req, res, "your password (at most 128 bytes)", "password");
  }
  if (code.size() != 6 || code.find_first_not_of("0123456789") != std::string::npos) {
    return ReplyInvalid(req, res, "the 6-digit code your authenticator app shows", "code");
  }
  // an address that keeps failing waits, whichever names it tries
  if (Limited(api.auth_failures, false, req, res, "too many failed sign-ins from your address")) {
    return;
  }
  auto found = store.Staff().FindCredentials(name);
  if (!found && found.error().code != orders::Errc::kNotFound) {
    return ReplyError(req, res, found.error());
  }
  const int64_t now = orders::NowUnixMs();
  if (!found || found->user.disabled_at) {
    PasswordMatches(NobodysHash(), password);
    if (found) store.Staff().AuditRefusedSignIn(found->user.id, "disabled", ctx.peer);
    return Refuse(req, res);
  }
  const orders::StaffCredentials& account = *found;
  if (account.user.locked_until_ms > now) {
    store.Staff().AuditRefusedSignIn(account.user.id, "locked", ctx.peer);
    return Locked(req, res, account.user.locked_until_ms);
  }
  const bool password_ok = PasswordMatches(account.password_hash, password);
  const auto step =
      password_ok ? orders::MatchTotp(account.totp_secret, code, now / 1000, account.totp_last_step)
                  : std::nullopt;
  if (!step) {
    auto failure = store.Staff().RecordFailedSignIn(
        account.user.id, password_ok ? "code" : "password", ctx.peer, now);
    if (!failure) return ReplyError(req, res, failure.error());
    if (failure->locked_until_ms > 0) {
      if (api.auth_failures.per_minute() > 0) api.auth_failures.Take(ctx.peer);
      return Locked(req, res, failure->locked_until_ms);
    }
    return Refuse(req, res);
  }
  const std::string cookie = orders::NewSessionToken();
  auto started =
      store.Staff().StartSession(account.user.id, *step, orders::TokenHash(cookie), ctx.peer, now);
  if (!started && started.error().code == orders::Errc::kVersionConflict) return Refuse(req, res);
  if (!started) return ReplyError(req, res, started.error());
  // no Max-Age: the browser forgets it when it closes; the server ends it after its idle
  // and absolute limits whatever the browser keeps
  res.set_header("Set-Cookie", std::string(kSessionCookie) + "=" + cookie +
                                   "; Path=/; HttpOnly; Secure; SameSite=Strict");
  Reply(res, 201, SessionJson(orders::Actor{account.user.name, account.user.role}));
}

void SessionHandlers::SignOut(const Context&, const httplib::Request& req, httplib::Response& res) {
  if (tl_request.session.empty()) {
    return ReplyProblem(req, res,
                        ToProblem(ApiErrc::kBadRequest,
                                  "this request came with a token, not a console session: a "
                                  "token ends with 'keepsake token revoke'"));
  }
  auto ended = store.Staff().EndSession(tl_request.session, tl_request.client);
  if (!ended) return ReplyError(req, res, ended.error());
  res.set_header("Set-Cookie", std::string(kSessionCookie) +
                                   "=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0");
  res.status = 204;
}

}  // namespace

std::vector<Route> SessionRoutes() {
  using H = SessionHandlers;
  return {
      {"GET", "/api/v1/session", "/api/v1/session", Everyone(), Call<H, &H::Session>},
      {"POST", "/api/v1/session", "/api/v1/session", {}, Call<H, &H::SignIn>},
      {"DELETE", "/api/v1/session", "/api/v1/session", Everyone(), Call<H, &H::SignOut>},
  };
}

}  // namespace keepsake::services
