// Per-address token buckets: a bucket holds up to `per_minute` tokens and refills at that rate.
// The API keys them on the socket's peer address (never on a header a client can set), for
// failed authentications and for searches by personal data.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace keepsake::services {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimiter(int per_minute) : per_minute_(per_minute) {}
  int per_minute() const { return per_minute_; }

  // Takes one token for `key`; false (nothing taken) when its bucket is empty.
  bool Take(const std::string& key, Clock::time_point now = Clock::now());
  // True while `key`'s bucket is empty, without taking.
  bool Exhausted(const std::string& key, Clock::time_point now = Clock::now());
  // Seconds until `key` has a token again (0 when it has one).
  int RetryAfterSeconds(const std::string& key, Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double tokens;
    Clock::time_point at;
  };
  Bucket& Refill(const std::string& key, Clock::time_point now);

  int per_minute_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace keepsake::services
