// The order store: SQLite through SQLiteCpp, one file under the data directory.
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
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keepsake/orders/error.hpp"
#include "keepsake/orders/product_catalog.hpp"
#include "keepsake/orders/types.hpp"

namespace keepsake::orders {

struct StoreOptions {
  std::string path;          // the SQLite file
  int read_connections = 8;  // size of the reader pool
  int job_max_attempts = 3;  // a job is dead-lettered after this many failed attempts
};

struct IdempotencyKey {
  std::string scope;         // who sent it (token name): keys of two clients never collide
  std::string key;           // <= 255 characters
  std::string request_hash;  // sha256 of the canonical request body
};

struct CreateOrderResult {
  Order order;
  std::string response;  // the response body as first sent; replayed verbatim
  bool replayed = false;
};

struct ItemChange {
  std::string event;
  std::string reason;
  std::string asset_id;  // for attach_asset
  std::optional<int64_t> expected_version;
  std::string tuning;  // for reprepare: JSON object (checked by the caller), kept on the item
};

class Store {
 public:
  // Opens (creating if needed) and migrates. Errors: kStorage.
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  int SchemaVersion();

  // --- orders ---
  // Validates against `catalog` and the asset table, creates the order, its items, their
  // first jobs and the order.created event, and records the idempotency key with the response
  // produced by `render`, all in one transaction. A key seen before with the same request hash
  // replays the stored response; with another hash it is kIdempotencyMismatch.
  // Errors: kInvalidArgument, kUnknownProduct, kInvalidOption, kNotFound (asset),
  // kIdempotencyMismatch, kStorage.
  Result<CreateOrderResult> CreateOrder(const NewOrder& order, const ProductCatalog& catalog,
                                        const Actor& actor, const IdempotencyKey& key,
                                        const std::function<std::string(const Order&)>& render);
  Result<Order> GetOrder(int64_t id);
  Result<Order> GetOrderByNumber(const std::string& number);
  Result<OrderPage> ListOrders(const OrderFilter& filter);
  Result<std::vector<Event>> OrderEvents(int64_t order_id);

  // Takes `event` from the order state table. Cascades: cancel cancels the items.
  // Errors: kNotFound, kIllegalTransition, kForbiddenTransition, kVersionConflict,
  // kInvalidArgument (a reason is required for hold, resume and cancel), kStorage.
  Result<Order> TransitionOrder(int64_t order_id, std::string_view event, const Actor& actor,
                                const std::string& reason, std::optional<int64_t> expected_version);

  // Takes an item event. Entering `preparing` enqueues the item's job; the order follows its
  // items (first item in production -> order in_production, all produced -> ready_to_pack).
  Result<Item> TransitionItem(int64_t item_id, const ItemChange& change, const Actor& actor);
  Result<Item> GetItem(int64_t item_id);
  // Items waiting for a modeling engineer (needs_review), oldest first, with their order number.
  Result<std::vector<std::pair<Item, std::string>>> ReviewQueue(int limit);

  // --- assets ---
  // Records an asset already written under the data directory; an existing id is returned
  // unchanged (content addressing makes uploads idempotent).
  Result<Asset> RecordAsset(const Asset& asset);
  Result<Asset> GetAsset(const std::string& id);

  // --- tokens and audit ---
  Result<int64_t> CreateToken(const std::string& token_hash, Role role, const std::string& name);
  Result<TokenInfo> FindToken(const std::string& token_hash);
  // Revokes every live token whose name starts with `prefix`; returns how many.
  Result<int> RevokeTokensWithPrefix(const std::string& prefix);
  Result<void> AppendAudit(const AuditRecord& record);

  // --- jobs (the durable queue) ---
  // Leases the oldest runnable job: queued and due, or leased with an expired lease.
  // Returns nullopt when there is none. The attempt counter goes up by one.
  Result<std::optional<Job>> LeaseJob(const std::string& owner, int64_t lease_ms);
  // Progress 0-100 with a phase name; also renews the lease. kNotFound if the lease is lost.
  Result<void> ReportProgress(int64_t job_id, const std::string& owner, int progress,
                              const std::string& phase, int64_t lease_ms);
  // Marks the job succeeded and takes `item_event` (e.g. "prepared") on its item, atomically.
  // `print_file` is the asset the job produced for printing (empty for none); approving the
  // item freezes the newest one.
  Result<void> CompleteJob(int64_t job_id, const std::string& owner, const std::string& result,
                           const std::string& item_event, const std::string& print_file = {});
  // Records a failed attempt. A retryable failure is retried with exponential backoff until
  // max_attempts, then dead-lettered; a permanent one fails at once. When the job ends
  // (failed or dead) `item_event` is taken on its item with the reason, atomically.
  Result<void> FailJob(int64_t job_id, const std::string& owner, const std::string& reason,
                       bool retryable, const std::string& item_event);
  Result<Job> GetJob(int64_t job_id);
  Result<std::vector<Job>> JobsForItem(int64_t item_id);
  // Expires every lease at once; called at start, when the data-directory lock proves that
  // no other server holds them. Returns how many were released.
  Result<int> ReleaseAllLeases();
  Result<std::map<std::string, int64_t>> CountJobsByState();

  // --- maintenance ---
  // Deletes idempotency records older than `keep_hours` (the API promises >= 24 h).
  Result<int> PruneIdempotency(int keep_hours);
  // Online backup through the SQLite backup API into a new file at `out_path`.
  Result<void> Backup(const std::string& out_path);
  // PRAGMA integrity_check; returns its first line ("ok" when sound).
  Result<std::string> IntegrityCheck();

  struct Impl;

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// UTC now as ISO 8601 with milliseconds, e.g. 2026-11-23T15:11:37.123Z.
std::string NowUtcIso();
int64_t NowUnixMs();

}  // namespace keepsake::orders
