// The webhook outbox: notifications written with their change, delivered by the webhook sender.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include "database.hpp"
#include "keepsake/orders/job_kind.hpp"
#include "keepsake/orders/state_machine.hpp"
#include "keepsake/orders/store.hpp"
#include "store_rows.hpp"

namespace keepsake::orders {

using nlohmann::json;

namespace {

OutboxMessage OutboxFromRow(SQLite::Statement& q) {
  OutboxMessage m;
  m.id = q.getColumn(0).getInt64();
  m.event_id = q.getColumn(1).getString();
  m.kind = q.getColumn(2).getString();
  m.at = q.getColumn(3).getString();
  m.body = q.getColumn(4).getString();
  m.state = q.getColumn(5).getString();
  m.attempts = q.getColumn(6).getInt();
  m.next_attempt_ms = q.getColumn(7).getInt64();
  m.last_error = q.getColumn(8).getString();
  m.channel = q.getColumn(9).getString();
  return m;
}

constexpr const char* kOutboxColumns =
    "id, event_id, kind, at, body, state, attempts, next_attempt_ms, last_error, channel FROM "
    "outbox";

ChannelWebhook WebhookFromRow(SQLite::Statement& q) {
  return {q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(),
          q.getColumn(3).getString(), q.getColumn(4).getInt64(),  q.getColumn(5).getString()};
}

constexpr const char* kWebhookColumns =
    "channel, url, ks_decrypt(secret), CASE previous_secret WHEN '' THEN '' ELSE "
    "ks_decrypt(previous_secret) END, previous_until_ms, updated_at FROM channel_webhooks";

void AuditWebhook(SQLite::Database& db, const Actor& actor, const std::string& action,
                  const json& detail) {
  rows::AppendAudit(
      db, {actor.name, std::string(RoleName(actor.role)), action, std::nullopt, detail.dump(), ""});
}

}  // namespace

Result<std::vector<OutboxMessage>> Outbox::DueNotifications(int64_t now_ms, int limit,
                                                            bool every_channel) {
  return db_->Read([&](SQLite::Database& db) -> Result<std::vector<OutboxMessage>> {
    SQLite::Statement q(
        db, std::string("SELECT ") + kOutboxColumns +
                " WHERE state = 'pending' AND next_attempt_ms <= ?" +
                (every_channel ? "" : " AND channel IN (SELECT channel FROM channel_webhooks)") +
                " ORDER BY id LIMIT ?");
    q.bind(1, now_ms);
    q.bind(2, limit);
    std::vector<OutboxMessage> out;
    while (q.executeStep()) out.push_back(OutboxFromRow(q));
    return out;
  });
}

Result<void> Outbox::RecordDelivery(int64_t outbox_id, int status, const std::string& error,
                                    int64_t elapsed_ms, bool delivered, int64_t retry_at_ms) {
  return db_->Write([&](SQLite::Database& db) -> Result<void> {
    SQLite::Statement attempt(db,
                              "INSERT INTO webhook_attempts(outbox_id, at, status, error, ms) "
                              "VALUES(?,?,?,?,?)");
    attempt.bind(1, outbox_id);
    attempt.bind(2, NowUtcIso());
    attempt.bind(3, status);
    attempt.bind(4, error);
    attempt.bind(5, elapsed_ms);
    attempt.exec();
    SQLite::Statement upd(db,
                          "UPDATE outbox SET state = ?, attempts = attempts + 1, "
                          "next_attempt_ms = ?, last_error = ? WHERE id = ?");
    upd.bind(1, delivered ? "delivered" : (retry_at_ms == 0 ? "dead" : "pending"));
    upd.bind(2, retry_at_ms);
    upd.bind(3, error);
    upd.bind(4, outbox_id);
    upd.exec();
    return {};
  });
}

Result<std::vector<OutboxMessage>> Outbox::ListNotifications(const std::string& state, int limit) {
  if (limit < 1 || limit > 1000)
    return Fail(Errc::kInvalidArgument, "limit must be 1-1000", "limit");
  if (!state.empty() && state != "pending" && state != "delivered" && state != "dead") {
    return Fail(Errc::kInvalidArgument, "state is pending, delivered or dead", "state",
                {"pending", "delivered", "dead"});
  }
  return db_->Read([&](SQLite::Database& db) -> Result<std::vector<OutboxMessage>> {
    SQLite::Statement q(db, std::string("SELECT ") + kOutboxColumns +
                                (state.empty() ? " WHERE ? = ''" : " WHERE state = ?") +
                                " ORDER BY id DESC LIMIT ?");
    q.bind(1, state);
    q.bind(2, limit);
    std::vector<OutboxMessage> out;
    while (q.executeStep()) out.push_back(OutboxFromRow(q));
    return out;
  });
}

Result<OutboxMessage> Outbox::Resend(const std::string& event_id, const Actor& actor) {
  return db_->Write([&](SQLite::Database& db) -> Result<OutboxMessage> {
    SQLite::Statement q(db, std::string("SELECT ") + kOutboxColumns + " WHERE event_id = ?");
    q.bind(1, event_id);
    if (!q.executeStep())
      return Fail(Errc::kNotFound, "notification " + event_id + " does not exist");
    OutboxMessage m = OutboxFromRow(q);
    if (m.state != "dead") {
      return Fail(Errc::kInvalidArgument,
                  "notification " + event_id + " is " + m.state + "; only a dead one is resent",
                  "event_id");
    }
    SQLite::Statement upd(db,
                          "UPDATE outbox SET state = 'pending', next_attempt_ms = ? WHERE id = ?");
    upd.bind(1, NowUnixMs());
    upd.bind(2, m.id);
    upd.exec();
    AuditWebhook(db, actor, "webhook.resend", {{"event_id", event_id}, {"channel", m.channel}});
    m.state = "pending";
    return m;
  });
}

Result<ChannelWebhook> Outbox::SetChannelWebhook(const std::string& channel, const std::string& url,
                                                 const std::string& secret, int overlap_hours,
                                                 const Actor& actor) {
  if (!ValidText(channel, 100)) {
    return Fail(Errc::kInvalidArgument, "channel is its tokens' name (1-100 bytes)", "channel");
  }
  if (secret.size() < 16 || secret.size() > 200) {
    return Fail(Errc::kInvalidArgument, "the secret is 16-200 characters", "secret");
  }
  if (overlap_hours < 0 || overlap_hours > 24 * 30) {
    return Fail(Errc::kInvalidArgument, "overlap_hours is 0-720", "overlap_hours");
  }
  return db_->Write([&](SQLite::Database& db) -> Result<ChannelWebhook> {
    const std::string now = NowUtcIso();
    SQLite::Statement had(db, "SELECT secret FROM channel_webhooks WHERE channel = ?");
    had.bind(1, channel);
    const bool rotation = had.executeStep();
    // a rotation keeps the old secret (still encrypted) as the previous one for the overlap
    SQLite::Statement put(
        db,
        "INSERT INTO channel_webhooks(channel, url, secret, previous_secret, previous_until_ms, "
        "updated_at) VALUES(?1, ?2, ks_encrypt(?3), '', 0, ?4) ON CONFLICT(channel) DO UPDATE "
        "SET url = ?2, previous_secret = CASE WHEN ?5 > 0 THEN secret ELSE '' END, "
        "previous_until_ms = ?5, secret = ks_encrypt(?3), updated_at = ?4");
    put.bind(1, channel);
    put.bind(2, url);
    put.bind(3, secret);
    put.bind(4, now);
    put.bind(5, rotation && overlap_hours > 0
                    ? NowUnixMs() + static_cast<int64_t>(overlap_hours) * 3600 * 1000
                    : int64_t{0});
    put.exec();
    AuditWebhook(db, actor, rotation ? "webhook.rotate" : "webhook.set",
                 {{"channel", channel}, {"overlap_hours", overlap_hours}});
    SQLite::Statement q(db, std::string("SELECT ") + kWebhookColumns + " WHERE channel = ?");
    q.bind(1, channel);
    q.executeStep();
    return WebhookFromRow(q);
  });
}

Result<std::optional<ChannelWebhook>> Outbox::GetChannelWebhook(const std::string& channel) {
  return db_->Read([&](SQLite::Database& db) -> Result<std::optional<ChannelWebhook>> {
    SQLite::Statement q(db, std::string("SELECT ") + kWebhookColumns + " WHERE channel = ?");
    q.bind(1, channel);
    if (!q.executeStep()) return std::optional<ChannelWebhook>();
    return std::optional<ChannelWebhook>(WebhookFromRow(q));
  });
}

Result<std::vector<ChannelWebhook>> Outbox::ListChannelWebhooks() {
  return db_->Read([&](SQLite::Database& db) -> Result<std::vector<ChannelWebhook>> {
    SQLite::Statement q(db, std::string("SELECT ") + kWebhookColumns + " ORDER BY channel");
    std::vector<ChannelWebhook> out;
    while (q.executeStep()) out.push_back(WebhookFromRow(q));
    return out;
  });
}

}  // namespace keepsake::orders
