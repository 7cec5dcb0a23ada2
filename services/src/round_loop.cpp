#include "keepsake/services/round_loop.hpp"

namespace keepsake::services {

void RoundLoop::Start(std::chrono::milliseconds every, std::function<void()> round) {
  thread_ = std::thread([this, every, round = std::move(round)] {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      round();
      lock.lock();
      wake_.wait_for(lock, every, [this] { return stopping_; });
    }
  });
}

void RoundLoop::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool RoundLoop::Stopping() {
  std::lock_guard<std::mutex> lock(mutex_);
  return stopping_;
}

}  // namespace keepsake::services
