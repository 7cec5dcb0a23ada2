#include "http/connection_reaper.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <linux/sockios.h>
#include <linux/tcp.h>  // the kernel's tcp_info: glibc's lacks tcpi_bytes_received
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

namespace keepsake::services {

namespace {

// "addr:port" of the peer, if `fd` is a TCP connection accepted on `port`.
std::string PeerKey(int fd, int port) {
  sockaddr_storage local{}, peer{};
  socklen_t local_len = sizeof local, peer_len = sizeof peer;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0) return "";
  int local_port = 0;
  if (local.ss_family == AF_INET) {
    local_port = ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port);
  } else if (local.ss_family == AF_INET6) {
    local_port = ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
  } else {
    return "";
  }
  if (local_port != port) return "";
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) return "";  // listener
  char text[INET6_ADDRSTRLEN] = {};
  int peer_port = 0;
  if (peer.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<sockaddr_in*>(&peer);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    peer_port = ntohs(in->sin_port);
  } else {
    const auto* in6 = reinterpret_cast<sockaddr_in6*>(&peer);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    peer_port = ntohs(in6->sin6_port);
  }
  return std::string(text) + ":" + std::to_string(peer_port);
}

uint64_t BytesReceived(int fd) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return 0;
  return info.tcpi_bytes_received;
}

// True when a whole request head waits unread in the kernel's queue: the connection waits
// for a handler thread, it is not slow.
bool HeadWaiting(int fd, int unread) {
  if (unread <= 0) return false;
  std::string peek(static_cast<size_t>(std::min(unread, 64 * 1024)), '\0');
  const ssize_t n = recv(fd, peek.data(), peek.size(), MSG_PEEK | MSG_DONTWAIT);
  return n > 0 && std::string_view(peek.data(), static_cast<size_t>(n)).find("\r\n\r\n") !=
                      std::string_view::npos;
}

std::vector<int> OpenDescriptors() {
  std::vector<int> fds;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  const int own = dirfd(dir);
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const int fd = std::atoi(entry->d_name);
    if (fd != own) fds.push_back(fd);
  }
  closedir(dir);
  return fds;
}

}  // namespace

ConnectionReaper::ConnectionReaper(int port, Limits limits, std::function<size_t()> waiting)
    : port_(port), limits_(limits), waiting_(std::move(waiting)) {}

ConnectionReaper::~ConnectionReaper() { Stop(); }

void ConnectionReaper::Start() {
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return stop_; })) {
      lock.unlock();
      Scan();
      lock.lock();
    }
  });
}

void ConnectionReaper::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ConnectionReaper::RequestStarted(const std::string& addr, int port) {
  std::lock_guard<std::mutex> lock(mutex_);
  connections_[addr + ":" + std::to_string(port)].in_request = true;
}

void ConnectionReaper::RequestEnded(const std::string& addr, int port) {
  std::lock_guard<std::mutex> lock(mutex_);
  Connection& c = connections_[addr + ":" + std::to_string(port)];
  c.in_request = false;
  c.idle_since = Clock::now();
  c.rebase = true;
}

void ConnectionReaper::BodyStarted(const std::string& addr, int port, int64_t length) {
  std::lock_guard<std::mutex> lock(mutex_);
  Connection& c = connections_[addr + ":" + std::to_string(port)];
  const auto now = Clock::now();
  c.in_body = true;
  c.body_started = now;
  c.last_progress = now;
  c.body_bytes_seen = 0;
  const auto transfer = std::chrono::milliseconds(static_cast<int64_t>(
      1000.0 * static_cast<double>(length) /
      static_cast<double>(std::max<uint64_t>(1, limits_.min_body_bytes_per_s))));
  c.body_deadline = now + limits_.body_grace + transfer;
}

void ConnectionReaper::BodyRead(const std::string& addr, int port) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = connections_.find(addr + ":" + std::to_string(port));
  if (it != connections_.end()) it->second.in_body = false;
}

void ConnectionReaper::Scan() {
  const auto now = Clock::now();
  const bool busy = waiting_() > 0;
  const auto deadline = busy ? limits_.busy_deadline : limits_.head_deadline;
  std::vector<std::pair<int, std::string>> doomed, slow_bodies;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [key, c] : connections_) c.seen = false;
    for (int fd : OpenDescriptors()) {
      const std::string key = PeerKey(fd, port_);
      if (key.empty()) continue;
      auto [it, fresh] = connections_.try_emplace(key);
      Connection& c = it->second;
      c.seen = true;
      if (fresh) {
        c.idle_since = now;  // accepted since the last scan: its head is what it sends next
        c.rebase = false;
        c.baseline = 0;
      }
      if (c.in_body) {
        const uint64_t bytes = BytesReceived(fd);
        if (bytes != c.body_bytes_seen) {
          c.body_bytes_seen = bytes;
          c.last_progress = now;
        }
        const auto stalled = now - c.last_progress;
        if (now > c.body_deadline || stalled > limits_.head_deadline ||
            (busy && stalled > limits_.busy_deadline)) {
          slow_bodies.emplace_back(fd, key);
        }
        continue;
      }
      if (c.in_request) continue;
      const uint64_t bytes = BytesReceived(fd);
      if (c.rebase) {
        c.baseline = bytes;
        c.rebase = false;
      }
      // what the handler has read of it: a body may already wait in the kernel's queue while
      // the guard has not yet run (an upload), and is no head
      int unread = 0;
      ioctl(fd, SIOCINQ, &unread);
      const uint64_t consumed = bytes - std::min<uint64_t>(bytes, static_cast<uint64_t>(unread));
      if (consumed > c.baseline + limits_.max_head_bytes) {
        doomed.emplace_back(fd, key);
      } else if (now - c.idle_since > deadline && !HeadWaiting(fd, unread)) {
        doomed.emplace_back(fd, key);
      }
    }
    std::erase_if(connections_, [](const auto& entry) { return !entry.second.seen; });
  }
  for (const auto& [fd, key] : doomed) {
    // the descriptor may have been closed and reused since the scan: only the same peer goes
    if (PeerKey(fd, port_) != key) continue;
    shutdown(fd, SHUT_RDWR);  // the handler's recv ends; cpp-httplib closes the descriptor
    spdlog::info("event=slow_client_closed reason=\"no complete request head in time\"");
  }
  for (const auto& [fd, key] : slow_bodies) {
    if (PeerKey(fd, port_) != key) continue;
    shutdown(fd, SHUT_RDWR);
    ++slow_bodies_closed_;
    spdlog::info("event=slow_client_closed reason=\"request body too slow\"");
  }
}

}  // namespace keepsake::services
