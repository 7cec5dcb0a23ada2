#include "keepsake/services/webhook_sender.hpp"

#include <chrono>
#include <regex>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "keepsake/orders/crypto.hpp"

namespace keepsake::services {

namespace {

struct ParsedUrl {
  std::string origin;  // scheme://host:port
  std::string path;
};

std::optional<ParsedUrl> ParseUrl(const std::string& url) {
  static const std::regex pattern(
      R"(^(https?)://([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:]+\])(:\d{1,5})?(/[^\s]*)?$)");
  std::smatch m;
  if (!std::regex_match(url, m, pattern)) return std::nullopt;
  return ParsedUrl{m[1].str() + "://" + m[2].str() + m[3].str(),
                   m[4].matched ? m[4].str() : std::string("/")};
}

}  // namespace

WebhookSender::WebhookSender(const ServerConfig& config, orders::Store& store)
    : config_(config), store_(store) {}

WebhookSender::~WebhookSender() { Stop(); }

std::string WebhookSender::CheckUrl(const std::string& url) {
  return ParseUrl(url) ? "" : "the webhook URL must be http(s)://host[:port][/path]: " + url;
}

void WebhookSender::Start() {
  // always: channels may have webhooks of their own even without a server-wide URL
  rounds_.Start(std::chrono::seconds(1), [this] { Round(); });
}

void WebhookSender::Stop() { rounds_.Stop(); }

void WebhookSender::Round() {
  // with a server-wide URL every message has somewhere to go; without, only those of the
  // channels that set their own (the others wait)
  auto due = store_.Notifications().DueNotifications(orders::NowUnixMs(), 50,
                                                     !config_.webhook_url.empty());
  if (!due) {
    spdlog::error("event=webhook_outbox_unreadable error=\"{}\"", due.error().message);
    return;
  }
  for (const orders::OutboxMessage& message : *due) {
    Send(message);
    if (rounds_.Stopping()) break;
  }
}

void WebhookSender::Send(const orders::OutboxMessage& message) {
  // the channel's own webhook, else the server-wide one
  std::string target = config_.webhook_url, secret = config_.webhook_secret, previous;
  if (!message.channel.empty()) {
    auto own = store_.Notifications().GetChannelWebhook(message.channel);
    if (!own) {
      spdlog::error("event=webhook_channel_unreadable error=\"{}\"", own.error().message);
      return;
    }
    if (*own) {
      target = (*own)->url;
      secret = (*own)->secret;
      if ((*own)->previous_until_ms > orders::NowUnixMs()) previous = (*own)->previous_secret;
    }
  }
  const auto url = ParseUrl(target);
  if (!url) return;
  httplib::Client client(url->origin);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(10, 0);
  client.set_write_timeout(10, 0);
  const std::string timestamp =
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count());
  // while a rotation overlaps, a second v1 by the previous secret: a receiver that still has
  // the old secret accepts the message, one that has the new one too
  std::string signature =
      "t=" + timestamp + ",v1=" + orders::HmacSha256Hex(secret, timestamp + "." + message.body);
  if (!previous.empty()) {
    signature += ",v1=" + orders::HmacSha256Hex(previous, timestamp + "." + message.body);
  }
  httplib::Headers headers = {{"X-Keepsake-Event-Id", message.event_id},
                              {"X-Keepsake-Signature", signature},
                              {"User-Agent", "Keepsake-Webhook/1"}};
  if (!message.channel.empty()) headers.emplace("X-Keepsake-Channel", message.channel);
  const auto started = std::chrono::steady_clock::now();
  auto res = client.Post(url->path, headers, message.body, "application/json");
  const int64_t elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
  const int status = res ? res->status : 0;
  const bool delivered = status >= 200 && status < 300;
  std::string error;
  if (!res) error = "no answer: " + httplib::to_string(res.error());
  if (res && !delivered) error = "answered " + std::to_string(status);
  int64_t retry_at = 0;
  const size_t failures = static_cast<size_t>(message.attempts) + 1;
  if (!delivered && failures <= config_.webhook_backoff_s.size()) {
    retry_at = orders::NowUnixMs() + int64_t{config_.webhook_backoff_s[failures - 1]} * 1000;
  }
  auto recorded = store_.Notifications().RecordDelivery(message.id, status, error, elapsed,
                                                        delivered, retry_at);
  if (!recorded) {
    spdlog::error("event=webhook_record_failed error=\"{}\"", recorded.error().message);
  }
  if (!delivered) {
    spdlog::warn("event=webhook_failed event_id={} attempt={} status={} retry={}", message.event_id,
                 failures, status, retry_at == 0 ? "dead" : "later");
  }
}

}  // namespace keepsake::services
