// The order store: SQLite through SQLiteCpp, one file under the data directory, reached through
// its repositories (Orders(), Jobs(), Tickets(), ...), each one a room of the store with its own
// header; all share one database and its transactions (orders/src/database.hpp).
//
// Durability (DESIGN "nothing acknowledged is lost"): WAL, synchronous=FULL, foreign keys on,
// busy_timeout 10 s, and every write in a BEGIN IMMEDIATE transaction that also appends the
// timeline event. Writes run on one writer thread with group commit: each in its own savepoint,
// one commit (one fsync) for all writes waiting at that moment, and no call returns before the
// commit that holds its write. Reads use a small pool of connections, which WAL lets run beside
// the writer. Migrations are versioned, forward-only and applied by Open.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "keepsake/orders/access_repository.hpp"
#include "keepsake/orders/claim_repository.hpp"
#include "keepsake/orders/error.hpp"
#include "keepsake/orders/job_queue.hpp"
#include "keepsake/orders/order_repository.hpp"
#include "keepsake/orders/outbox.hpp"
#include "keepsake/orders/report_repository.hpp"
#include "keepsake/orders/staff_repository.hpp"
#include "keepsake/orders/ticket_repository.hpp"
#include "keepsake/orders/transaction.hpp"
#include "keepsake/orders/types.hpp"

namespace keepsake::orders {

struct Database;

struct StoreOptions {
  std::string path;          // the SQLite file
  int read_connections = 8;  // size of the reader pool
  int job_max_attempts = 3;  // a job is dead-lettered after this many failed attempts
  // 32 bytes: customers' names, phones and addresses are encrypted under it (AES-256-GCM)
  // and found through blind indexes (HMAC) keyed by it. A database holds the key's check
  // value; opening it with another key is refused.
  std::string data_key{};
};

class Store {
 public:
  // Whether the database file at `path` holds data encrypted under a data key (a key must
  // then be found, never made anew). A file that cannot be read counts as holding some.
  static bool HoldsEncryptedData(const std::string& path);
  // Whether `key` is the data key the database at `path` was encrypted with (its check value).
  // Errors: kStorage (no database, or one without encrypted data).
  static Result<bool> HoldsDataKey(const std::string& path, std::string_view key);
  // Brings the database to this keepsake's schema, then encrypts everything held under the
  // data key again under `new_key` (customers' names, phones and addresses, greetings and the
  // print jobs' copies, webhook secrets, staff TOTP secrets, carriers' own labels), recomputes the
  // blind indexes and moves the key check, all in one transaction: afterwards the database opens
  // with `new_key` and is refused `old_key`. Not beside a running server (it holds the old key).
  // Returns how many customers were re-encrypted. Errors: kStorage (the old key is not this
  // database's, a value does not decrypt).
  static Result<int64_t> RotateDataKey(const std::string& path, std::string_view old_key,
                                       std::string_view new_key);
  // Opens (creating if needed) and migrates. Errors: kStorage.
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  OrderRepository& Orders() { return orders_; }
  AccessRepository& Access() { return access_; }
  StaffRepository& Staff() { return staff_; }
  JobQueue& Jobs() { return jobs_; }
  TicketRepository& Tickets() { return tickets_; }
  Outbox& Notifications() { return outbox_; }
  ClaimRepository& Claims() { return claims_; }
  ReportRepository& Reports() { return reports_; }

  // One transaction for a repository of another module (transaction.hpp). `fn(Transaction&)`
  // returns a Result: a value commits and is returned after the group commit that holds it; an
  // error (or a storage exception) rolls back this write only.
  template <typename Fn>
  auto Write(Fn&& fn) -> decltype(fn(std::declval<Transaction&>())) {
    return Run(fn, &Store::RunWrite);
  }
  // One read transaction (one snapshot) on a pooled connection.
  template <typename Fn>
  auto Read(Fn&& fn) -> decltype(fn(std::declval<Transaction&>())) {
    return Run(fn, &Store::RunRead);
  }

  int SchemaVersion();
  // Deletes idempotency records older than `keep_hours` (the API promises >= 24 h).
  Result<int> PruneIdempotency(int keep_hours);
  // Online backup through the SQLite backup API into a new file at `out_path`.
  Result<void> Backup(const std::string& out_path);
  // PRAGMA integrity_check; returns its first line ("ok" when sound).
  Result<std::string> IntegrityCheck();

 private:
  explicit Store(std::unique_ptr<Database> db);
  using Body = std::function<Result<void>(Transaction&)>;
  Result<void> RunWrite(const Body& body);
  Result<void> RunRead(const Body& body);
  template <typename Fn>
  auto Run(Fn& fn, Result<void> (Store::*runner)(const Body&))
      -> decltype(fn(std::declval<Transaction&>())) {
    std::optional<decltype(fn(std::declval<Transaction&>()))> out;
    Result<void> ran = (this->*runner)([&](Transaction& tx) -> Result<void> {
      out.emplace(fn(tx));
      if (out->has_value()) return {};
      return tl::unexpected(out->error());
    });
    if (!ran) return tl::unexpected(ran.error());
    return std::move(*out);
  }
  std::unique_ptr<Database> db_;
  OrderRepository orders_;
  AccessRepository access_;
  StaffRepository staff_;
  JobQueue jobs_;
  TicketRepository tickets_;
  Outbox outbox_;
  ClaimRepository claims_;
  ReportRepository reports_;
};

// The human-facing number of an order id: KS00000042.
std::string OrderNumber(int64_t order_id);

// UTC now as ISO 8601 with milliseconds, e.g. 2026-11-23T15:11:37.123Z.
std::string NowUtcIso();
int64_t NowUnixMs();

}  // namespace keepsake::orders
