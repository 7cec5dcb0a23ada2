// Staff accounts and console sessions (staff_repository.hpp).
#include "keepsake/orders/staff_repository.hpp"

#include <algorithm>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include "database.hpp"
#include "keepsake/orders/crypto.hpp"
#include "keepsake/orders/sla.hpp"
#include "store_rows.hpp"

namespace keepsake::orders {

namespace {

using nlohmann::json;

constexpr int64_t kMinuteMs = 60 * 1000;

bool ValidStaffName(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
  });
}

void Audit(SQLite::Database& db, const std::string& actor, const std::string& role,
           const std::string& action, const json& detail, const std::string& peer = "") {
  rows::AppendAudit(db, AuditRecord{actor, role, action, std::nullopt, detail.dump(), peer});
}

// The account's name and role, for the audit row of something done to it.
std::optional<std::pair<std::string, std::string>> NameAndRole(SQLite::Database& db,
                                                               int64_t user_id) {
  SQLite::Statement q(db, "SELECT name, role FROM staff_users WHERE id = ?");
  q.bind(1, user_id);
  if (!q.executeStep()) return std::nullopt;
  return std::make_pair(q.getColumn(0).getString(), q.getColumn(1).getString());
}

void EndSessionsOf(SQLite::Database& db, int64_t user_id) {
  SQLite::Statement end(
      db, "UPDATE staff_sessions SET ended_ms = ? WHERE user_id = ? AND ended_ms IS NULL");
  end.bind(1, NowUnixMs());
  end.bind(2, user_id);
  end.exec();
}

// The id of the account `name`, or kNotFound.
Result<int64_t> UserId(SQLite::Database& db, const std::string& name) {
  SQLite::Statement q(db, "SELECT id FROM staff_users WHERE name = ?");
  q.bind(1, name);
  if (!q.executeStep()) return Fail(Errc::kNotFound, "no staff account named '" + name + "'");
  return q.getColumn(0).getInt64();
}

StaffUser UserFromRow(SQLite::Statement& q) {
  StaffUser u;
  u.id = q.getColumn(0).getInt64();
  u.name = q.getColumn(1).getString();
  u.role = ParseTokenRole(q.getColumn(2).getString()).value_or(Role::kCs);
  u.created_at = q.getColumn(3).getString();
  u.failed_attempts = q.getColumn(4).getInt();
  u.locked_until_ms = q.getColumn(5).getInt64();
  if (!q.getColumn(6).isNull()) u.disabled_at = q.getColumn(6).getString();
  u.demo = q.getColumn(7).getInt() != 0;
  return u;
}

constexpr const char* kUserColumns =
    "id, name, role, created_at, failed_attempts, locked_until_ms, disabled_at, demo";

}  // namespace

Result<int64_t> StaffRepository::CreateUser(const std::string& name, Role role,
                                            const std::string& password_hash,
                                            std::string_view totp_secret, bool demo,
                                            const std::string& actor) {
  if (!ValidStaffName(name)) {
    return Fail(Errc::kInvalidArgument,
                "a staff name is 1-64 of a-z, 0-9, '.', '-' and '_' (e.g. li.wei)", "name");
  }
  if (role == Role::kChannel) {
    return Fail(Errc::kInvalidArgument, "a channel is a machine: give it a token, not an account",
                "role");
  }
  return db_->Write([&](SQLite::Database& db) -> Result<int64_t> {
    SQLite::Statement taken(db, "SELECT 1 FROM staff_users WHERE name = ?");
    taken.bind(1, name);
    if (taken.executeStep()) {
      return Fail(Errc::kVersionConflict, "a staff account named '" + name + "' exists already");
    }
    SQLite::Statement ins(db,
                          "INSERT INTO staff_users(name, role, password_hash, totp_secret, "
                          "created_at, demo) VALUES(?, ?, ?, ks_encrypt(?), ?, ?)");
    ins.bind(1, name);
    ins.bind(2, std::string(RoleName(role)));
    ins.bind(3, password_hash);
    ins.bind(4, Base32Encode(totp_secret));
    ins.bind(5, NowUtcIso());
    ins.bind(6, demo ? 1 : 0);
    ins.exec();
    const int64_t id = db.getLastInsertRowid();
    Audit(db, actor, "admin", "staff.create",
          {{"user_id", id}, {"name", name}, {"role", RoleName(role)}, {"demo", demo}});
    return id;
  });
}

Result<void> StaffRepository::ResetUser(const std::string& name, const std::string& password_hash,
                                        std::string_view totp_secret, const std::string& actor) {
  return db_->Write([&](SQLite::Database& db) -> Result<void> {
    auto id = UserId(db, name);
    if (!id) return tl::unexpected(id.error());
    SQLite::Statement upd(db,
                          "UPDATE staff_users SET password_hash = ?, totp_secret = ks_encrypt(?), "
                          "totp_last_step = 0, failed_attempts = 0, locked_until_ms = 0 "
                          "WHERE id = ?");
    upd.bind(1, password_hash);
    upd.bind(2, Base32Encode(totp_secret));
    upd.bind(3, *id);
    upd.exec();
    EndSessionsOf(db, *id);
    Audit(db, actor, "admin", "staff.reset", {{"user_id", *id}, {"name", name}});
    return {};
  });
}

Result<std::vector<StaffUser>> StaffRepository::ListUsers() {
  return db_->Read([&](SQLite::Database& db) -> Result<std::vector<StaffUser>> {
    SQLite::Statement q(db,
                        std::string("SELECT ") + kUserColumns + " FROM staff_users ORDER BY id");
    std::vector<StaffUser> out;
    while (q.executeStep()) out.push_back(UserFromRow(q));
    return out;
  });
}

Result<void> StaffRepository::DisableUser(const std::string& name, const std::string& actor) {
  return db_->Write([&](SQLite::Database& db) -> Result<void> {
    auto id = UserId(db, name);
    if (!id) return tl::unexpected(id.error());
    SQLite::Statement upd(
        db, "UPDATE staff_users SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL");
    upd.bind(1, NowUtcIso());
    upd.bind(2, *id);
    upd.exec();
    EndSessionsOf(db, *id);
    Audit(db, actor, "admin", "staff.disable", {{"user_id", *id}, {"name", name}});
    return {};
  });
}

Result<void> StaffRepository::UnlockUser(const std::string& name, const std::string& actor) {
  return db_->Write([&](SQLite::Database& db) -> Result<void> {
    auto id = UserId(db, name);
    if (!id) return tl::unexpected(id.error());
    SQLite::Statement upd(
        db, "UPDATE staff_users SET failed_attempts = 0, locked_until_ms = 0 WHERE id = ?");
    upd.bind(1, *id);
    upd.exec();
    Audit(db, actor, "admin", "staff.unlock", {{"user_id", *id}, {"name", name}});
    return {};
  });
}

Result<StaffCredentials> StaffRepository::FindCredentials(const std::string& name) {
  return db_->Read([&](SQLite::Database& db) -> Result<StaffCredentials> {
    SQLite::Statement q(db, std::string("SELECT ") + kUserColumns +
                                ", password_hash, ks_decrypt(totp_secret), totp_last_step "
                                "FROM staff_users WHERE name = ?");
    q.bind(1, name);
    if (!q.executeStep()) return Fail(Errc::kNotFound, "no staff account named '" + name + "'");
    StaffCredentials c;
    c.user = UserFromRow(q);
    c.password_hash = q.getColumn(8).getString();
    auto secret = Base32Decode(q.getColumn(9).getString());
    if (!secret) return Fail(Errc::kStorage, "the account's TOTP secret is not base32");
    c.totp_secret = std::move(*secret);
    c.totp_last_step = q.getColumn(10).getInt64();
    return c;
  });
}

Result<SignInFailure> StaffRepository::RecordFailedSignIn(int64_t user_id, const std::string& why,
                                                          const std::string& peer, int64_t now_ms) {
  return db_->Write([&](SQLite::Database& db) -> Result<SignInFailure> {
    SQLite::Statement q(db, "SELECT failed_attempts FROM staff_users WHERE id = ?");
    q.bind(1, user_id);
    if (!q.executeStep()) return Fail(Errc::kNotFound, "the staff account is gone");
    SignInFailure out;
    out.failed_attempts = q.getColumn(0).getInt() + 1;
    q.reset();
    if (out.failed_attempts >= kFailuresBeforeLock) {
      // 1, 2, 4, ... minutes for the 5th, 6th, 7th failure in a row, at most an hour
      const int doublings = std::min(out.failed_attempts - kFailuresBeforeLock, 6);
      out.locked_until_ms = now_ms + std::min(kMinuteMs << doublings, kMaxLockMs);
    }
    SQLite::Statement upd(
        db, "UPDATE staff_users SET failed_attempts = ?, locked_until_ms = ? WHERE id = ?");
    upd.bind(1, out.failed_attempts);
    upd.bind(2, out.locked_until_ms);
    upd.bind(3, user_id);
    upd.exec();
    const auto who = NameAndRole(db, user_id);
    json detail = {{"user_id", user_id}, {"why", why}, {"failed_attempts", out.failed_attempts}};
    if (out.locked_until_ms > 0) detail["locked_until"] = IsoFromUnixMs(out.locked_until_ms);
    Audit(db, who ? who->first : "?", who ? who->second : "-", "staff.sign_in_refused", detail,
          peer);
    return out;
  });
}

Result<void> StaffRepository::AuditRefusedSignIn(int64_t user_id, const std::string& why,
                                                 const std::string& peer) {
  return db_->Write([&](SQLite::Database& db) -> Result<void> {
    const auto who = NameAndRole(db, user_id);
    Audit(db, who ? who->first : "?", who ? who->second : "-", "staff.sign_in_refused",
          {{"user_id", user_id}, {"why", why}}, peer);
    return {};
  });
}

Result<int64_t> StaffRepository::StartSession(int64_t user_id, int64_t totp_step,
                                              const std::string& session_hash,
                                              const std::string& peer, int64_t now_ms) {
  return db_->Write([&](SQLite::Database& db) -> Result<int64_t> {
    // the step moves forward only: of two sign-ins with one code, the second finds it used
    SQLite::Statement step(db,
                           "UPDATE staff_users SET totp_last_step = ?, failed_attempts = 0, "
                           "locked_until_ms = 0 WHERE id = ? AND totp_last_step < ? "
                           "AND disabled_at IS NULL");
    step.bind(1, totp_step);
    step.bind(2, user_id);
    step.bind(3, totp_step);
    if (step.exec() == 0) {
      return Fail(Errc::kVersionConflict, "this code was used already; wait for the next one");
    }
    SQLite::Statement ins(db,
                          "INSERT INTO staff_sessions(session_hash, user_id, created_ms, "
                          "last_seen_ms) VALUES(?, ?, ?, ?)");
    ins.bind(1, session_hash);
    ins.bind(2, user_id);
    ins.bind(3, now_ms);
    ins.bind(4, now_ms);
    ins.exec();
    const int64_t id = db.getLastInsertRowid();
    const auto who = NameAndRole(db, user_id);
    Audit(db, who ? who->first : "?", who ? who->second : "-", "staff.sign_in",
          {{"user_id", user_id}, {"session_id", id}}, peer);
    return id;
  });
}

Result<StaffSession> StaffRepository::FindSession(const std::string& session_hash, int64_t now_ms,
                                                  int64_t idle_ms, int64_t absolute_ms) {
  auto found = db_->Read([&](SQLite::Database& db) -> Result<std::pair<StaffSession, int64_t>> {
    SQLite::Statement q(db,
                        "SELECT s.id, s.user_id, u.name, u.role, s.last_seen_ms "
                        "FROM staff_sessions s JOIN staff_users u ON u.id = s.user_id "
                        "WHERE s.session_hash = ? AND s.ended_ms IS NULL "
                        "AND u.disabled_at IS NULL AND s.last_seen_ms > ? AND s.created_ms > ?");
    q.bind(1, session_hash);
    q.bind(2, now_ms - idle_ms);
    q.bind(3, now_ms - absolute_ms);
    if (!q.executeStep()) return Fail(Errc::kNotFound, "the session has ended or expired");
    StaffSession s;
    s.id = q.getColumn(0).getInt64();
    s.user_id = q.getColumn(1).getInt64();
    s.name = q.getColumn(2).getString();
    auto role = ParseTokenRole(q.getColumn(3).getString());
    if (!role) return Fail(Errc::kStorage, "a staff account has an unknown role");
    s.role = *role;
    return std::make_pair(s, q.getColumn(4).getInt64());
  });
  if (!found) return tl::unexpected(found.error());
  if (now_ms - found->second >= kMinuteMs) {
    auto touched = db_->Write([&](SQLite::Database& db) -> Result<void> {
      SQLite::Statement upd(db, "UPDATE staff_sessions SET last_seen_ms = ? WHERE id = ?");
      upd.bind(1, now_ms);
      upd.bind(2, found->first.id);
      upd.exec();
      return {};
    });
    if (!touched) return tl::unexpected(touched.error());
  }
  return found->first;
}

Result<void> StaffRepository::EndSession(const std::string& session_hash, const std::string& peer) {
  return db_->Write([&](SQLite::Database& db) -> Result<void> {
    SQLite::Statement q(db,
                        "SELECT id, user_id FROM staff_sessions WHERE session_hash = ? "
                        "AND ended_ms IS NULL");
    q.bind(1, session_hash);
    if (!q.executeStep()) return Fail(Errc::kNotFound, "the session has ended already");
    const int64_t id = q.getColumn(0).getInt64(), user_id = q.getColumn(1).getInt64();
    q.reset();
    SQLite::Statement end(db, "UPDATE staff_sessions SET ended_ms = ? WHERE id = ?");
    end.bind(1, NowUnixMs());
    end.bind(2, id);
    end.exec();
    const auto who = NameAndRole(db, user_id);
    Audit(db, who ? who->first : "?", who ? who->second : "-", "staff.sign_out",
          {{"user_id", user_id}, {"session_id", id}}, peer);
    return {};
  });
}

}  // namespace keepsake::orders
