#include "http/rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace keepsake::services {

namespace {
// Full buckets carry no information: past this many addresses they are dropped, so a flood
// from many addresses cannot grow the map without bound.
constexpr size_t kPruneAbove = 10'000;
}  // namespace

RateLimiter::Bucket& RateLimiter::Refill(const std::string& key, Clock::time_point now) {
  if (buckets_.size() > kPruneAbove) {
    std::erase_if(buckets_, [&](const auto& entry) {
      const double elapsed = std::chrono::duration<double>(now - entry.second.at).count();
      return entry.second.tokens + elapsed * per_minute_ / 60.0 >= per_minute_;
    });
  }
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{static_cast<double>(per_minute_), now});
  Bucket& b = it->second;
  if (!inserted) {
    const double elapsed = std::chrono::duration<double>(now - b.at).count();
    b.tokens = std::min<double>(per_minute_, b.tokens + elapsed * per_minute_ / 60.0);
    b.at = now;
  }
  return b;
}

bool RateLimiter::Take(const std::string& key, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  Bucket& b = Refill(key, now);
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

bool RateLimiter::Exhausted(const std::string& key, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  return Refill(key, now).tokens < 1;
}

int RateLimiter::RetryAfterSeconds(const std::string& key, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  const Bucket& b = Refill(key, now);
  if (b.tokens >= 1) return 0;
  return static_cast<int>(std::ceil((1 - b.tokens) * 60.0 / per_minute_));
}

}  // namespace keepsake::services
