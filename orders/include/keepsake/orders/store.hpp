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
#include "keepsake/orders/sla.hpp"
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
  // `expires_at` (UTC ISO time) ends the token by itself; `demo` marks the demo's own tokens.
  // Audited as token.create.
  Result<int64_t> CreateToken(const std::string& token_hash, Role role, const std::string& name,
                              std::optional<std::string> expires_at = std::nullopt,
                              bool demo = false);
  // A live token: not revoked, not expired. kNotFound otherwise.
  Result<TokenInfo> FindToken(const std::string& token_hash);
  Result<std::vector<TokenRecord>> ListTokens();
  // Revokes the live token `id`, or every live token named `name`; audited as token.revoke
  // with `actor`. Returns how many; kNotFound when none was live.
  Result<int> RevokeToken(std::optional<int64_t> id, std::optional<std::string> name,
                          const std::string& actor);
  // Revokes the live tokens the demo made; returns how many.
  Result<int> RevokeDemoTokens();
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

  // --- customer service (support_store.cpp) ---
  // Opens a ticket (state open), with its first message, and notes it on the order's timeline.
  // Errors: kInvalidArgument (type, channel, level, subject), kNotFound (order), kStorage.
  Result<Ticket> OpenTicket(const NewTicket& ticket, const Actor& actor);
  // A new shipping address, before the order is packed (also while held from before packing).
  // The timeline says that it changed and why, never what it was or became.
  // Errors: kNotFound, kInvalidArgument (fields, reason), kIllegalTransition (packed or later,
  // or the customer's data was purged).
  Result<Order> ChangeAddress(int64_t order_id, const Address& address, const std::string& reason,
                              const Actor& actor);
  // An internal note on the order's timeline (staff only).
  Result<Event> AddOrderNote(int64_t order_id, const std::string& note, const Actor& actor);
  Result<Ticket> GetTicket(int64_t id);
  Result<std::vector<TicketEntry>> TicketLog(int64_t id);
  // Newest first; keyset paging by id.
  Result<std::vector<Ticket>> ListTickets(const TicketFilter& filter);
  // A message to or from the customer, or an internal note. A staff member's first message
  // (not a note) is the ticket's first response.
  Result<Ticket> AddTicketEntry(int64_t id, const std::string& body, bool internal,
                                const Actor& actor);
  // Takes `event` from the ticket state table; keeps the SLA's pause accounting.
  // Errors: kNotFound, kIllegalTransition, kForbiddenTransition, kVersionConflict.
  Result<Ticket> TransitionTicket(int64_t id, std::string_view event, const std::string& reason,
                                  const Actor& actor, std::optional<int64_t> expected_version);
  // Records each SLA breach not yet recorded (on the ticket's log and its order's timeline);
  // returns how many were recorded now.
  Result<int> RecordSlaBreaches(const SlaPolicy& policy, int64_t now_ms);
  // The audit log, newest first.
  Result<std::vector<AuditEntry>> ListAudit(std::optional<int64_t> before_id, int limit);
  // Removes the personal data of orders that ended (completed or cancelled) before
  // `before_iso` (every order, ended or not, when `everything`): customer rows, greetings,
  // ticket messages, stored first responses; keeps the anonymous order history; records the
  // purge. Then makes the deletion physical: secure_delete was on, the WAL is checkpointed and
  // truncated, the file vacuumed. Errors: kInvalidArgument (date), kStorage.
  Result<PurgeResult> PurgeCustomers(const std::string& before_iso, bool everything,
                                     const Actor& actor);

  // --- warranty claims (claims_store.cpp) ---
  // Opens a claim on a delivered item within `window_days` of delivery; outside the window (or
  // before delivery) only an admin with an override reason may. Evidence must be image assets.
  // Errors: kNotFound, kInvalidArgument (reason, window, evidence), kForbiddenTransition.
  Result<Claim> OpenClaim(const NewClaim& claim, const Actor& actor, int window_days);
  Result<Claim> GetClaim(int64_t id);
  // Newest first; by order (0: any) and state (empty: any).
  Result<std::vector<Claim>> ListClaims(int64_t order_id, const std::string& state, int limit);
  // Takes a decision from the claim table. approve_reprint creates the reshipment: a new order
  // for the same customer, marked as the reshipment of the original, whose item is approved
  // with the original's frozen print file (same sha256) and goes straight to production.
  Result<Claim> DecideClaim(int64_t id, const ClaimDecision& decision, const Actor& actor);

  // --- shipments (shipment_store.cpp; the rules are logistics') ---
  // A new parcel for an order, in state created; a reprint order's parcel is a reshipment.
  // Errors: kNotFound (order), kInvalidArgument (a tracking number the carrier already used).
  Result<Shipment> CreateShipment(const NewShipment& shipment, const Actor& actor);
  Result<std::vector<Shipment>> ShipmentsOfOrder(int64_t order_id);
  // The rules of tracking, given by the logistics module and applied here in one transaction.
  struct TrackingRules {
    // the parcel's state after replaying all its events, sorted by time
    std::function<std::string(const std::vector<TrackingEvent>& sorted)> replay;
    // the order event that follows from the parcels' states ("" for none)
    std::function<std::string(const std::string& order_state,
                              const std::vector<std::string>& parcel_states)>
        order_event;
  };
  // Takes a logistics event on a parcel (print_label, hand_over): `decide` maps (from, event,
  // role) to the new state or the refusal (the shipment table is the logistics module's).
  // Errors: kNotFound, kVersionConflict, and what `decide` returns.
  Result<Shipment> TransitionShipment(
      int64_t shipment_id, const std::string& event, const Actor& actor,
      std::optional<int64_t> expected_version,
      const std::function<Result<std::string>(const std::string& from, const std::string& event,
                                              Role role)>& decide,
      const std::string& note = "");  // on the timeline, e.g. the label batch
  Result<Shipment> GetShipment(int64_t shipment_id);
  // Parcels on their way or waiting (every state but delivered), least recently changed first,
  // at most `limit`; which of them are stuck is the logistics module's rule.
  Result<std::vector<Shipment>> UndeliveredShipments(int limit);
  // Orders in ready_to_pack or packed, the longest waiting first, at most `limit`.
  Result<std::vector<PackingQueueEntry>> PackingQueue(int limit);
  // Completes the orders delivered more than `days` ago (the contract's quiet period after
  // delivery); returns how many.
  Result<int> CompleteDeliveredOrders(int days, int64_t now_ms);
  // Records a carrier's events for the parcel `tracking_number` of `carrier` (duplicates by
  // event id are dropped), replays all of its events in time order to its state, and moves
  // the order as the parcels say. Errors: kNotFound (no such parcel), kStorage.
  Result<TrackingOutcome> ApplyTracking(const std::string& carrier,
                                        const std::string& tracking_number,
                                        const std::vector<TrackingEvent>& events,
                                        const TrackingRules& rules);

  // --- reports (report_store.cpp) ---
  // The figures of `month` ("2026-11"). Errors: kInvalidArgument (month), kStorage.
  Result<MonthlyReport> BuildMonthlyReport(const std::string& month);

  // --- notifications (the outbox, support_store.cpp) ---
  // Pending messages due at `now_ms`, oldest first.
  Result<std::vector<OutboxMessage>> DueNotifications(int64_t now_ms, int limit);
  // One delivery attempt: HTTP status (0: no answer) and error; delivered, or retried at
  // `retry_at_ms`, or dead when `retry_at_ms` is 0.
  Result<void> RecordDelivery(int64_t outbox_id, int status, const std::string& error,
                              int64_t elapsed_ms, bool delivered, int64_t retry_at_ms);
  // Newest first; `state` empty for all.
  Result<std::vector<OutboxMessage>> ListNotifications(const std::string& state, int limit);

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

// The human-facing number of an order id: KS00000042.
std::string OrderNumber(int64_t order_id);

// UTC now as ISO 8601 with milliseconds, e.g. 2026-11-23T15:11:37.123Z.
std::string NowUtcIso();
int64_t NowUnixMs();

}  // namespace keepsake::orders
