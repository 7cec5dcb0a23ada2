// The webhook outbox: each notification written in the transaction of its change, delivered and
// retried by the webhook sender.
// One of the store's repositories (store.hpp): every method is one transaction over the
// store's database; all may be called from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keepsake/orders/error.hpp"
#include "keepsake/orders/types.hpp"

namespace keepsake::orders {

struct Database;

class Outbox {
 public:
  explicit Outbox(Database& db) : db_(&db) {}

  // Pending messages due at `now_ms`, oldest first.
  Result<std::vector<OutboxMessage>> DueNotifications(int64_t now_ms, int limit);
  // One delivery attempt: HTTP status (0: no answer) and error; delivered, or retried at
  // `retry_at_ms`, or dead when `retry_at_ms` is 0.
  Result<void> RecordDelivery(int64_t outbox_id, int status, const std::string& error,
                              int64_t elapsed_ms, bool delivered, int64_t retry_at_ms);
  // Newest first; `state` empty for all.
  Result<std::vector<OutboxMessage>> ListNotifications(const std::string& state, int limit);

 private:
  Database* db_;
};

}  // namespace keepsake::orders
