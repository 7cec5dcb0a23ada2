// Orders and their items, and the customer files they are made from: placed (idempotently), listed
// and searched, moved along their state tables, re-addressed and annotated. One of the store's
// repositories (store.hpp): every method is one transaction over the store's database; all may be
// called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keepsake/orders/error.hpp"
#include "keepsake/orders/product_catalog.hpp"
#include "keepsake/orders/role.hpp"
#include "keepsake/orders/types.hpp"

namespace keepsake::orders {

struct Database;

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

class OrderRepository {
 public:
  explicit OrderRepository(Database& db) : db_(&db) {}

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
  // Items that wait on a person rather than a machine, so that none drops out of sight:
  // parked in rework, a failed preparation, a file the customer must send (awaiting_customer,
  // awaiting_asset); orders on hold or cancelled aside. Oldest first, each with its order
  // number and the reason of the step that left it there.
  Result<std::vector<WaitingItem>> ItemsWaitingOnAPerson(int limit);
  // Records an asset already written under the data directory; an existing id is returned
  // unchanged (content addressing makes uploads idempotent).
  Result<Asset> RecordAsset(const Asset& asset);
  Result<Asset> GetAsset(const std::string& id);
  // A new shipping address, before the order is packed (also while held from before packing).
  // The timeline says that it changed and why, never what it was or became.
  // Errors: kNotFound, kInvalidArgument (fields, reason), kIllegalTransition (packed or later,
  // or the customer's data was purged).
  Result<Order> ChangeAddress(int64_t order_id, const Address& address, const std::string& reason,
                              const Actor& actor);
  // An internal note on the order's timeline (staff only).
  Result<Event> AddOrderNote(int64_t order_id, const std::string& note, const Actor& actor);
  // Completes the orders delivered more than `days` ago (the contract's quiet period after
  // delivery); returns how many.
  Result<int> CompleteDeliveredOrders(int days, int64_t now_ms);

 private:
  Database* db_;
};

}  // namespace keepsake::orders
