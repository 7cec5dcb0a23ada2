// The durable job queue: leases with expiry, progress, retries with backoff, the dead letter; a
// job's end moves its item in the same transaction. One of the store's repositories (store.hpp):
// every method is one transaction over the store's database; all may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "keepsake/orders/error.hpp"
#include "keepsake/orders/role.hpp"
#include "keepsake/orders/types.hpp"

namespace keepsake::orders {

struct Database;

class JobQueue {
 public:
  explicit JobQueue(Database& db) : db_(&db) {}

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
  // Records a failed attempt with its code (mesh.unreadable) and words. A retryable failure is
  // retried with exponential backoff until max_attempts, then dead-lettered; a permanent one
  // fails at once. When the job ends (failed or dead) `item_event` is taken on its item with
  // the reason, atomically.
  Result<void> FailJob(int64_t job_id, const std::string& owner, const std::string& code,
                       const std::string& reason, bool retryable, const std::string& item_event);
  Result<Job> GetJob(int64_t job_id);
  Result<std::vector<Job>> JobsForItem(int64_t item_id);
  // Expires every lease at once; called at start, when the data-directory lock proves that
  // no other server holds them. Returns how many were released.
  Result<int> ReleaseAllLeases();
  Result<std::map<std::string, int64_t>> CountJobsByState();

 private:
  Database* db_;
};

}  // namespace keepsake::orders
