// Runs queued jobs in sandboxed workers, on a bounded pool of threads of its own: however many
// jobs wait, the HTTP threads never run one.
#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <tl/expected.hpp>

#include "keepsake/orders/product_catalog.hpp"
#include "keepsake/orders/store.hpp"
#include "keepsake/services/config.hpp"

namespace keepsake::services {

class JobRunner {
 public:
  // `catalog` gives each figure's material (minimum wall, colour); it must outlive the runner.
  JobRunner(const ServerConfig& config, orders::Store& store,
            const orders::ProductCatalog& catalog);
  ~JobRunner();
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  void Start();
  // Stops leasing and kills running workers (within a second); their jobs keep their lease,
  // which the next start releases, so the interruption costs no attempt.
  void Stop();
  // Nudges idle threads to look for work now (after an order created jobs).
  void Wake();

 private:
  // Why a job failed: its code and words, whether another attempt may help, and the event
  // its item takes when the job ends.
  struct Failure {
    std::string code;
    std::string reason;
    bool retryable = false;
    std::string item_event = "prepare_failed";
  };

  void Loop(int index);
  void Run(const orders::Job& job, const std::string& owner);
  // A fresh folder for this attempt with the input linked in and job.json written.
  tl::expected<std::filesystem::path, Failure> PrepareFolder(const orders::Job& job);
  std::vector<std::string> WorkerEnvironment() const;
  // The worker finished: its files stored as assets and the job completed; or why not.
  std::optional<Failure> Complete(const orders::Job& job, const std::string& owner,
                                  const std::filesystem::path& job_dir);
  void Fail(const orders::Job& job, const std::string& owner, const Failure& failure);

  ServerConfig config_;
  orders::Store& store_;
  const orders::ProductCatalog& catalog_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::thread> threads_;
};

}  // namespace keepsake::services
