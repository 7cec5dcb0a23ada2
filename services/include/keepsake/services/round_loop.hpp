// A background thread that works in rounds: a round, then a wait of `every` or until it is
// stopped, and so on. A long round asks Stopping() between its steps so that Stop() (the
// server shutting down) does not wait for the whole round. The webhook sender and the
// tracking poller run on it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace keepsake::services {

class RoundLoop {
 public:
  RoundLoop() = default;
  ~RoundLoop() { Stop(); }
  RoundLoop(const RoundLoop&) = delete;
  RoundLoop& operator=(const RoundLoop&) = delete;

  void Start(std::chrono::milliseconds every, std::function<void()> round);
  // Wakes the thread from its wait and joins it (after the step its round is on).
  void Stop();
  bool Stopping();

 private:
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace keepsake::services
