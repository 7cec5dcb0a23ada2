// Delivers the outbox to the channel's webhook: one POST per notification, JSON body, signed
// with HMAC-SHA256 (header X-Keepsake-Signature: t=<unix seconds>,v1=<hex of HMAC(secret,
// "<t>.<body>")>), the event id in X-Keepsake-Event-Id so that the receiver can de-duplicate.
// A 2xx answer delivers; anything else is retried after the configured back-off (1, 4, 16, 64,
// 256 minutes by default), then the message is dead. Every attempt is recorded.
#pragma once

#include <string>

#include "keepsake/orders/store.hpp"
#include "keepsake/services/config.hpp"
#include "keepsake/services/round_loop.hpp"

namespace keepsake::services {

class WebhookSender {
 public:
  WebhookSender(const ServerConfig& config, orders::Store& store);
  ~WebhookSender();
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // Checks the URL (http or https, host, optional port and path). Errors: the reason.
  static std::string CheckUrl(const std::string& url);

  void Start();  // no-op without a URL
  void Stop();

 private:
  void Round();
  void Send(const orders::OutboxMessage& message);

  const ServerConfig& config_;
  orders::Store& store_;
  RoundLoop rounds_;
};

}  // namespace keepsake::services
