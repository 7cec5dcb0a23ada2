// The server's handler threads: a fixed pool with a bounded queue.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

namespace keepsake::services {

// cpp-httplib 0.11.4's ThreadPool queue is unbounded; this one blocks the accept loop when
// `capacity` connections are already waiting, so overload turns into TCP backpressure instead
// of unbounded memory.
class BoundedThreadPool : public httplib::TaskQueue {
 public:
  // `waiting` counts the connections in the queue (shared: the connection reaper reads it and
  // may outlive the pool by a moment, which cpp-httplib deletes when it stops listening).
  BoundedThreadPool(size_t threads, size_t capacity, std::shared_ptr<std::atomic<size_t>> waiting)
      : capacity_(capacity), waiting_(std::move(waiting)) {
    for (size_t i = 0; i < threads; ++i) {
      threads_.emplace_back([this] { Work(); });
    }
  }
  ~BoundedThreadPool() override = default;

  void enqueue(std::function<void()> fn) override {
    std::unique_lock<std::mutex> lock(mutex_);
    space_.wait(lock, [&] { return queue_.size() < capacity_ || shutdown_; });
    if (shutdown_) return;
    queue_.push_back(std::move(fn));
    *waiting_ = queue_.size();
    work_.notify_one();
  }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      shutdown_ = true;
    }
    work_.notify_all();
    space_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        work_.wait(lock, [&] { return !queue_.empty() || shutdown_; });
        if (shutdown_ && queue_.empty()) return;
        fn = std::move(queue_.front());
        queue_.pop_front();
        *waiting_ = queue_.size();
        space_.notify_one();
      }
      fn();
    }
  }

  size_t capacity_;
  std::shared_ptr<std::atomic<size_t>> waiting_;
  std::mutex mutex_;
  std::condition_variable work_;
  std::condition_variable space_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
  bool shutdown_ = false;
};

}  // namespace keepsake::services
