// Runs queued jobs in sandboxed workers, on a bounded pool of threads of its own: however many
// jobs wait, the HTTP threads never run one.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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
  void Loop(int index);
  void Run(const orders::Job& job, const std::string& owner);

  ServerConfig config_;
  orders::Store& store_;
  const orders::ProductCatalog& catalog_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::thread> threads_;
};

}  // namespace keepsake::services
