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
  return m;
}

constexpr const char* kOutboxColumns =
    "id, event_id, kind, at, body, state, attempts, next_attempt_ms, last_error FROM outbox";

}  // namespace

Result<std::vector<OutboxMessage>> Outbox::DueNotifications(int64_t now_ms, int limit) {
  return db_->Read([&](SQLite::Database& db) -> Result<std::vector<OutboxMessage>> {
    SQLite::Statement q(db, std::string("SELECT ") + kOutboxColumns +
                                " WHERE state = 'pending' AND next_attempt_ms <= ? ORDER BY id "
                                "LIMIT ?");
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

}  // namespace keepsake::orders
