// Staff accounts and their console sessions: a name, a role, a password (its Argon2id string),
// a TOTP secret (encrypted under the data key), failed sign-ins and the lock they set, and
// sessions kept by the SHA-256 of their cookie. Machines (channels, carriers, worker hosts)
// keep their bearer tokens (access_repository.hpp).
// One of the store's repositories (store.hpp): every method is one transaction over the
// store's database; all may be called from any thread. The checks of a password and a code
// (crypto.hpp) run between FindCredentials and the write that records their outcome, outside
// any transaction: an Argon2id check takes a tenth of a second and must not hold the writer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keepsake/orders/error.hpp"
#include "keepsake/orders/role.hpp"

namespace keepsake::orders {

struct Database;

// An account as `keepsake user list` shows it (never its password or secret).
struct StaffUser {
  int64_t id = 0;
  std::string name;
  Role role = Role::kCs;
  std::string created_at;
  int failed_attempts = 0;
  int64_t locked_until_ms = 0;  // 0: not locked
  std::optional<std::string> disabled_at;
  bool demo = false;
};

// What a sign-in checks.
struct StaffCredentials {
  StaffUser user;
  std::string password_hash;
  std::string totp_secret;  // the raw key bytes
  int64_t totp_last_step = 0;
};

// A failed sign-in as counted: whether it locked the account, and until when.
struct SignInFailure {
  int failed_attempts = 0;
  int64_t locked_until_ms = 0;  // 0: not locked
};

struct StaffSession {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string name;
  Role role = Role::kCs;
};

class StaffRepository {
 public:
  // The fifth failed sign-in in a row locks the account for a minute; each failure after a lock
  // has run out locks it for twice as long as the last, up to an hour.
  static constexpr int kFailuresBeforeLock = 5;
  static constexpr int64_t kMaxLockMs = 60 * 60 * 1000;

  explicit StaffRepository(Database& db) : db_(&db) {}

  // A new account. `name`: 1-64 of a-z, 0-9, '.', '-', '_'. Audited as staff.create by
  // `actor`. Errors: kInvalidArgument (name, role), kVersionConflict (the name is taken).
  Result<int64_t> CreateUser(const std::string& name, Role role, const std::string& password_hash,
                             std::string_view totp_secret, bool demo, const std::string& actor);
  // A new password and secret for `name` (a forgotten password, a lost phone, the demo's
  // restart): unlocks it and ends its sessions. Audited as staff.reset. kNotFound.
  Result<void> ResetUser(const std::string& name, const std::string& password_hash,
                         std::string_view totp_secret, const std::string& actor);
  Result<std::vector<StaffUser>> ListUsers();
  // No more sign-ins, its sessions ended. Audited as staff.disable. kNotFound.
  Result<void> DisableUser(const std::string& name, const std::string& actor);
  // Clears the failed sign-ins and the lock. Audited as staff.unlock. kNotFound.
  Result<void> UnlockUser(const std::string& name, const std::string& actor);
  // The account `name` with its password hash and secret. kNotFound.
  Result<StaffCredentials> FindCredentials(const std::string& name);

  // Counts a failed sign-in of `user_id` at `now_ms` and locks the account when it is the
  // kFailuresBeforeLock-th in a row; audited as staff.sign_in_refused with `why` (which check
  // failed: never the password or the code) and the peer address.
  Result<SignInFailure> RecordFailedSignIn(int64_t user_id, const std::string& why,
                                           const std::string& peer, int64_t now_ms);
  // A refused sign-in of an account that stays as it is (locked, disabled), audited.
  Result<void> AuditRefusedSignIn(int64_t user_id, const std::string& why, const std::string& peer);
  // A session for `user_id` whose code was of time step `totp_step`: the step becomes the last
  // used (kVersionConflict when that step or a later one was used meanwhile: the same code
  // twice), the failed sign-ins are cleared, the session stored by `session_hash`. Audited as
  // staff.sign_in.
  Result<int64_t> StartSession(int64_t user_id, int64_t totp_step, const std::string& session_hash,
                               const std::string& peer, int64_t now_ms);
  // The live session `session_hash` at `now_ms`: not ended, its account not disabled, used
  // within `idle_ms` and started within `absolute_ms`. Its last use moves to now (written at
  // most once a minute). kNotFound otherwise.
  Result<StaffSession> FindSession(const std::string& session_hash, int64_t now_ms, int64_t idle_ms,
                                   int64_t absolute_ms);
  // Ends the session (signing out); audited as staff.sign_out. kNotFound when not live.
  Result<void> EndSession(const std::string& session_hash, const std::string& peer);

 private:
  Database* db_;
};

}  // namespace keepsake::orders
