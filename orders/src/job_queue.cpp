// The durable job queue in the order store: lease, progress, complete, fail with backoff and
// dead letter. A job's end and its item's transition are one transaction, so a crash can never
// leave a finished job with an item still waiting for it.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "database.hpp"
#include "keepsake/orders/store.hpp"
#include "store_rows.hpp"

namespace keepsake::orders {

namespace {

constexpr int64_t kBackoffBaseMs = 2000;
constexpr int64_t kBackoffMaxMs = 5 * 60 * 1000;
constexpr int kMaxInterruptions = 10;

// The greeting a print job carries is stored encrypted (as the item's): decrypted as it is read.
const char* kJobColumns =
    "id, kind, item_id, asset_id, state, attempts, max_attempts, progress, phase, error, result, "
    "created_at, updated_at, CASE WHEN json_valid(params) AND json_type(params, '$.text') = "
    "'text' THEN json_set(params, '$.text', ks_decrypt(json_extract(params, '$.text'))) ELSE "
    "params END, error_code";

Job JobFromRow(SQLite::Statement& q) {
  Job job;
  job.id = q.getColumn(0).getInt64();
  job.kind = q.getColumn(1).getString();
  job.item_id = q.getColumn(2).getInt64();
  job.asset_id = q.getColumn(3).getString();
  job.state = q.getColumn(4).getString();
  job.attempts = q.getColumn(5).getInt();
  job.max_attempts = q.getColumn(6).getInt();
  job.progress = q.getColumn(7).getInt();
  job.phase = q.getColumn(8).getString();
  job.error = q.getColumn(9).getString();
  job.result = q.getColumn(10).getString();
  job.created_at = q.getColumn(11).getString();
  job.updated_at = q.getColumn(12).getString();
  job.params = q.getColumn(13).getString();
  job.error_code = q.getColumn(14).getString();
  return job;
}

std::optional<Job> LoadLeasedJob(SQLite::Database& db, int64_t job_id, const std::string& owner) {
  SQLite::Statement q(db, std::string("SELECT ") + kJobColumns +
                              " FROM jobs WHERE id = ? AND state = 'leased' AND lease_owner = ?");
  q.bind(1, job_id);
  q.bind(2, owner);
  if (!q.executeStep()) return std::nullopt;
  return JobFromRow(q);
}

// Ends a job's item with `item_event` (e.g. prepare_failed) inside the caller's transaction.
Result<void> EndItem(SQLite::Database& db, int64_t item_id, const std::string& item_event,
                     const std::string& reason) {
  auto item = rows::LoadItem(db, item_id);
  if (!item) return Fail(Errc::kNotFound, "the job's item is gone");
  auto changed = rows::ApplyItemChange(db, *item, ItemChange{item_event, reason, "", {}, ""},
                                       Actor{"keepsake", Role::kSystem}, 0);
  if (!changed) return tl::unexpected(changed.error());
  return {};
}

}  // namespace

Result<std::optional<Job>> JobQueue::LeaseJob(const std::string& owner, int64_t lease_ms) {
  return db_->Write([&](SQLite::Database& db) -> Result<std::optional<Job>> {
    const int64_t now = NowUnixMs();
    // A job whose lease ran out after its last attempt died with its runner: dead-letter it.
    {
      SQLite::Statement dead(db,
                             "UPDATE jobs SET state = 'dead', updated_at = ?, error = 'the runner "
                             "stopped during the last allowed attempt' WHERE state = 'leased' AND "
                             "lease_expires_ms < ? AND attempts >= max_attempts "
                             "RETURNING id, item_id");
      dead.bind(1, NowUtcIso());
      dead.bind(2, now);
      std::vector<int64_t> items;
      while (dead.executeStep()) items.push_back(dead.getColumn(1).getInt64());
      for (int64_t item_id : items) {
        auto ended = EndItem(db, item_id, "prepare_failed", "preparation stopped repeatedly");
        if (!ended) return tl::unexpected(ended.error());
      }
    }
    SQLite::Statement q(db,
                        std::string("UPDATE jobs SET state = 'leased', lease_owner = ?, "
                                    "lease_expires_ms = ?, attempts = attempts + 1, "
                                    "progress = 0, phase = 'leased', updated_at = ? WHERE id = ("
                                    "SELECT id FROM jobs WHERE (state = 'queued' AND "
                                    "run_after_ms <= ?) OR (state = 'leased' AND "
                                    "lease_expires_ms < ?) ORDER BY run_after_ms, id LIMIT 1) "
                                    "RETURNING ") +
                            kJobColumns);
    q.bind(1, owner);
    q.bind(2, now + lease_ms);
    q.bind(3, NowUtcIso());
    q.bind(4, now);
    q.bind(5, now);
    if (!q.executeStep()) return std::optional<Job>{};
    Job job = JobFromRow(q);
    while (q.executeStep()) {
    }
    return std::optional<Job>{std::move(job)};
  });
}

Result<void> JobQueue::ReportProgress(int64_t job_id, const std::string& owner, int progress,
                                      const std::string& phase, int64_t lease_ms) {
  return db_->Write([&](SQLite::Database& db) -> Result<void> {
    SQLite::Statement upd(db,
                          "UPDATE jobs SET progress = ?, phase = ?, lease_expires_ms = ?, "
                          "updated_at = ? WHERE id = ? AND state = 'leased' AND lease_owner = ?");
    upd.bind(1, std::clamp(progress, 0, 100));
    upd.bind(2, phase.substr(0, 64));
    upd.bind(3, NowUnixMs() + lease_ms);
    upd.bind(4, NowUtcIso());
    upd.bind(5, job_id);
    upd.bind(6, owner);
    if (upd.exec() == 0) return Fail(Errc::kNotFound, "job lease lost");
    return {};
  });
}

Result<void> JobQueue::CompleteJob(int64_t job_id, const std::string& owner,
                                   const std::string& result, const std::string& item_event,
                                   const std::string& print_file) {
  return db_->Write([&](SQLite::Database& db) -> Result<void> {
    auto job = LoadLeasedJob(db, job_id, owner);
    if (!job) return Fail(Errc::kNotFound, "job lease lost");
    SQLite::Statement upd(db,
                          "UPDATE jobs SET state = 'succeeded', progress = 100, phase = 'done', "
                          "result = ?, error = '', print_file = NULLIF(?, ''), updated_at = ? "
                          "WHERE id = ?");
    upd.bind(1, result);
    upd.bind(2, print_file);
    upd.bind(3, NowUtcIso());
    upd.bind(4, job_id);
    upd.exec();
    if (item_event.empty()) return {};  // a job about the item, not of it (claim evidence)
    return EndItem(db, job->item_id, item_event, "");
  });
}

Result<void> JobQueue::FailJob(int64_t job_id, const std::string& owner, const std::string& code,
                               const std::string& reason, bool retryable,
                               const std::string& item_event) {
  return db_->Write([&](SQLite::Database& db) -> Result<void> {
    auto job = LoadLeasedJob(db, job_id, owner);
    if (!job) return Fail(Errc::kNotFound, "job lease lost");
    const bool again = retryable && job->attempts < job->max_attempts;
    const std::string state = again ? "queued" : (retryable ? "dead" : "failed");
    const int64_t backoff =
        std::min(kBackoffMaxMs, kBackoffBaseMs << std::min(job->attempts - 1, 16));
    SQLite::Statement upd(db,
                          "UPDATE jobs SET state = ?, error = ?, error_code = ?, run_after_ms = ?, "
                          "lease_owner = '', lease_expires_ms = 0, updated_at = ? WHERE id = ?");
    upd.bind(1, state);
    upd.bind(2, reason);
    upd.bind(3, code);
    upd.bind(4, NowUnixMs() + (again ? backoff : 0));
    upd.bind(5, NowUtcIso());
    upd.bind(6, job_id);
    upd.exec();
    auto item = rows::LoadItem(db, job->item_id);
    if (!item) return Fail(Errc::kNotFound, "the job's item is gone");
    rows::AppendEvent(
        db, Event{0, item->order_id, item->id, "", "keepsake", "system",
                  again ? "job.retry" : "job.failed", "", "", reason,
                  nlohmann::json{
                      {"job", job_id}, {"attempt", job->attempts}, {"state", state}, {"code", code}}
                      .dump()});
    if (again || item_event.empty()) return {};
    // customer service hears of it at once: a fault ticket on the order, in this transaction
    rows::InsertTicket(db,
                       NewTicket{item->order_id, "fault", "system", 3,
                                 "item " + std::to_string(item->id) + " (" + item->product +
                                     "): " + job->kind + " failed: " + reason},
                       Actor{"keepsake", Role::kSystem}, item->id);
    return EndItem(db, job->item_id, item_event, reason);
  });
}

Result<Job> JobQueue::GetJob(int64_t job_id) {
  return db_->Read([&](SQLite::Database& db) -> Result<Job> {
    SQLite::Statement q(db, std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id = ?");
    q.bind(1, job_id);
    if (!q.executeStep())
      return Fail(Errc::kNotFound, "job " + std::to_string(job_id) + " does not exist");
    return JobFromRow(q);
  });
}

Result<std::vector<Job>> JobQueue::JobsForItem(int64_t item_id) {
  return db_->Read([&](SQLite::Database& db) -> Result<std::vector<Job>> {
    SQLite::Statement q(
        db, std::string("SELECT ") + kJobColumns + " FROM jobs WHERE item_id = ? ORDER BY id");
    q.bind(1, item_id);
    std::vector<Job> jobs;
    while (q.executeStep()) jobs.push_back(JobFromRow(q));
    return jobs;
  });
}

Result<int> JobQueue::ReleaseAllLeases() {
  return db_->Write([&](SQLite::Database& db) -> Result<int> {
    // Only one server runs on a data folder: a job leased now was cut short by the server
    // stopping (killed, crashed, shut down), not failed by its worker, so the attempt is given
    // back. Beyond kMaxInterruptions it counts again, so a file that somehow takes the server
    // down with it still reaches the dead letter.
    SQLite::Statement upd(db,
                          "UPDATE jobs SET lease_expires_ms = 0, attempts = CASE WHEN "
                          "interrupted < ? THEN attempts - 1 ELSE attempts END, interrupted = "
                          "interrupted + 1 WHERE state = 'leased'");
    upd.bind(1, kMaxInterruptions);
    return upd.exec();
  });
}

Result<std::map<std::string, int64_t>> JobQueue::CountJobsByState() {
  return db_->Read([&](SQLite::Database& db) -> Result<std::map<std::string, int64_t>> {
    std::map<std::string, int64_t> counts;
    for (const char* s : {"queued", "leased", "succeeded", "failed", "dead", "cancelled"}) {
      counts[s] = 0;
    }
    SQLite::Statement q(db, "SELECT state, COUNT(*) FROM jobs GROUP BY state");
    while (q.executeStep()) counts[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
    return counts;
  });
}

}  // namespace keepsake::orders
