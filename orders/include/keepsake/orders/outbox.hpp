// The webhook outbox: each notification written in the transaction of its change, delivered and
// retried by the webhook sender.
// One of the store's repositories (store.hpp): every method is one transaction over the
// store's database; all may be called from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keepsake/orders/error.hpp"
#include "keepsake/orders/types.hpp"

namespace keepsake::orders {

struct Database;

class Outbox {
 public:
  explicit Outbox(Database& db) : db_(&db) {}

  // Pending messages due at `now_ms`, oldest first: of every channel when `every_channel` (a
  // server-wide URL takes the rest), else only of the channels with a webhook of their own.
  Result<std::vector<OutboxMessage>> DueNotifications(int64_t now_ms, int limit,
                                                      bool every_channel = true);
  // One delivery attempt: HTTP status (0: no answer) and error; delivered, or retried at
  // `retry_at_ms`, or dead when `retry_at_ms` is 0.
  Result<void> RecordDelivery(int64_t outbox_id, int status, const std::string& error,
                              int64_t elapsed_ms, bool delivered, int64_t retry_at_ms);
  // Newest first; `state` empty for all.
  Result<std::vector<OutboxMessage>> ListNotifications(const std::string& state, int limit);
  // A dead message back to pending, due now (its attempts are kept and go on counting);
  // audited. kNotFound, or kInvalidArgument when it is not dead.
  Result<OutboxMessage> Resend(const std::string& event_id, const Actor& actor);

  // A channel's webhook: set, or rotated when it has one (the old secret still signs for
  // `overlap_hours`); the secret is stored encrypted under the data key. Audited.
  Result<ChannelWebhook> SetChannelWebhook(const std::string& channel, const std::string& url,
                                           const std::string& secret, int overlap_hours,
                                           const Actor& actor);
  // The channel's webhook, or nullopt.
  Result<std::optional<ChannelWebhook>> GetChannelWebhook(const std::string& channel);
  Result<std::vector<ChannelWebhook>> ListChannelWebhooks();

 private:
  Database* db_;
};

}  // namespace keepsake::orders
