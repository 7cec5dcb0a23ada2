// Closes client connections that hold a handler thread without sending a whole request head.
//
// cpp-httplib 0.11.4 gives each connection a thread and waits `read_timeout` for every recv,
// so a client that drips one header byte at a time holds its thread for as long as it likes,
// and it keeps every header line it is sent (hundreds of MB for a flood). The library
// offers no hook per connection, so this runs beside it: every 100 ms it looks at the process's
// sockets on the API port (/proc/self/fd, getpeername, TCP_INFO) and shuts down those that are
// between requests (no request head read yet) for longer than the head deadline without a
// whole head waiting in the kernel's queue, or whose handler has read more than
// `max_head_bytes` of head. While connections wait for a thread, the deadline drops to
// `busy_deadline`: slow clients then lose their threads first, so a health check gets through.
//
// Bodies have rules of their own (cpp-httplib waits `read_timeout` per recv of a body too):
// from the guard's BodyStarted to the handler's BodyRead, a body must arrive at
// `min_body_bytes_per_s` after `body_grace`, may not stall longer than the head deadline, and,
// while connections wait for a thread, may not stall longer than `busy_deadline`.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace keepsake::services {

class ConnectionReaper {
 public:
  using Clock = std::chrono::steady_clock;
  struct Limits {
    std::chrono::milliseconds head_deadline{10'000};
    std::chrono::milliseconds busy_deadline{500};
    uint64_t max_head_bytes = 64 * 1024;
    uint64_t min_body_bytes_per_s = 16 * 1024;
    std::chrono::milliseconds body_grace{10'000};
  };

  // `waiting` says how many accepted connections wait for a handler thread.
  ConnectionReaper(int port, Limits limits, std::function<size_t()> waiting);
  ~ConnectionReaper();
  void Start();
  void Stop();

  // From the handler thread: the request head of this peer was read / its answer was sent.
  void RequestStarted(const std::string& peer_addr, int peer_port);
  void RequestEnded(const std::string& peer_addr, int peer_port);
  // From the guard: a body of `length` bytes follows the head; from the handler: it was read.
  void BodyStarted(const std::string& peer_addr, int peer_port, int64_t length);
  void BodyRead(const std::string& peer_addr, int peer_port);
  // Connections closed for a slow body since the start (for /metrics and the tests' logs).
  uint64_t SlowBodiesClosed() const { return slow_bodies_closed_; }

 private:
  struct Connection {
    Clock::time_point idle_since;
    bool in_request = false;
    bool rebase = true;     // take the byte count as the new baseline at the next scan
    uint64_t baseline = 0;  // bytes received when the last request ended
    bool seen = false;      // found in the last scan
    // a body being read: when it began, by when it must be whole, its progress
    bool in_body = false;
    Clock::time_point body_started, body_deadline, last_progress;
    uint64_t body_bytes_seen = 0;  // bytes received at the last scan (0: not yet scanned)
  };
  void Scan();

  int port_;
  Limits limits_;
  std::function<size_t()> waiting_;
  std::mutex mutex_;
  std::map<std::string, Connection> connections_;  // by "addr:port" of the peer
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread thread_;
  std::atomic<uint64_t> slow_bodies_closed_ = 0;
};

}  // namespace keepsake::services
