// Request and job metrics in the Prometheus text exposition format (version 0.0.4).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace keepsake::services {

class Metrics {
 public:
  // `route` is the route template (e.g. /api/v1/orders/{id}), never the raw path.
  void ObserveRequest(const std::string& method, const std::string& route, int status,
                      double seconds);
  // `jobs` are the job counts by state, read from the store at scrape time.
  std::string Render(const std::map<std::string, int64_t>& jobs) const;

 private:
  struct Series {
    int64_t count = 0;
    double sum = 0;
    std::vector<int64_t> buckets;  // cumulative counts per upper bound
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, int64_t> requests_;
  std::map<std::pair<std::string, std::string>, Series> latency_;
};

}  // namespace keepsake::services
