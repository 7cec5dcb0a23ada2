// HTTP abuse against the real server on loopback: rate limits keyed on the socket's peer
// address (a REMOTE_ADDR header changes nothing), bodies over the limit or in forms we do not
// take, header floods, a megabyte header line, Content-Length with Transfer-Encoding, and
// slow clients that drip their headers to hold every handler thread while a health check must
// still answer within a second. The server stays up and its memory bounded throughout.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace {

using keepsake::testing::Bearer;
using keepsake::testing::RawHttp;
using keepsake::testing::ServerProcess;
using keepsake::testing::StatusOf;
using keepsake::testing::TempDir;
using nlohmann::json;

// Resident memory of a process in MB (VmRSS).
long ResidentMb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6)) / 1024;
  }
  return -1;
}

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string Forged(const std::string& extra_header = "") {
  return "GET /api/v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ks_" +
         std::string(64, '7') + "\r\n" + extra_header + "Connection: close\r\n\r\n";
}

TEST(Abuse, GuessingTokensFromOneAddressIsRateLimitedWhateverItsHeadersSay) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--auth-failures-per-minute", "5"});
  server.Start();
  const std::string cs = server.Token("cs");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(StatusOf(RawHttp(server.port(), Forged())), 401) << i;
  // the bucket is empty: the next try waits, whatever address the request claims to come from
  for (const std::string& spoof : {std::string(), std::string("REMOTE_ADDR: 10.1.2.3\r\n"),
                                   std::string("X-Forwarded-For: 10.9.9.9\r\n")}) {
    const std::string answer = RawHttp(server.port(), Forged(spoof));
    EXPECT_EQ(StatusOf(answer), 429) << spoof;
    EXPECT_NE(answer.find("Retry-After: "), std::string::npos);
    EXPECT_NE(answer.find("too many unknown tokens"), std::string::npos);
  }
  // while it waits, even a good token from that address is not looked at; /healthz answers
  EXPECT_EQ(server.Client()->Get("/api/v1/orders", Bearer(cs))->status, 429);
  EXPECT_EQ(server.Client()->Get("/healthz")->status, 200);
  // a bucket refills at 5 a minute: one try again after 12 s
  std::this_thread::sleep_for(std::chrono::seconds(13));
  EXPECT_EQ(server.Client()->Get("/api/v1/orders", Bearer(cs))->status, 200);
}

TEST(Abuse, BulkSearchByPersonalDataIsRateLimited) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--personal-searches-per-minute", "3"});
  server.Start();
  const auto cs = Bearer(server.Token("cs"));
  auto client = server.Client();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(client->Get("/api/v1/orders?phone=1380000000" + std::to_string(i), cs)->status, 200);
  }
  auto refused = client->Get("/api/v1/orders?phone_last4=0001&name=x", cs);
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(json::parse(refused->body)["code"], "too_many_requests");
  // searches that name no person go on
  EXPECT_EQ(client->Get("/api/v1/orders?number=KS00000001", cs)->status, 200);
}

TEST(Abuse, BodiesAndHeadsWeDoNotTakeAreRefusedBeforeTheyCostAnything) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--max-upload-mb", "1"});
  server.Start();
  const std::string token = server.Token("channel");
  const std::string auth = "Authorization: Bearer " + token + "\r\n";
  const int port = server.port();
  const long before_mb = ResidentMb(server.pid());
  // over the limit by its Content-Length: refused before a byte of it is read
  EXPECT_EQ(StatusOf(RawHttp(port, "POST /api/v1/assets HTTP/1.1\r\nHost: x\r\n" + auth +
                                       "Content-Length: 2000000000\r\n\r\n")),
            413);
  // by chunks, with and without a Content-Length beside it
  EXPECT_EQ(StatusOf(RawHttp(port, "POST /api/v1/assets HTTP/1.1\r\nHost: x\r\n" + auth +
                                       "Transfer-Encoding: chunked\r\n\r\n100000\r\n")),
            411);
  EXPECT_EQ(StatusOf(RawHttp(port, "POST /api/v1/orders HTTP/1.1\r\nHost: x\r\n" + auth +
                                       "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                                       "0\r\n\r\n")),
            411);
  // by gzip: a small body that would inflate to gigabytes is never inflated
  EXPECT_EQ(StatusOf(RawHttp(port, "POST /api/v1/orders HTTP/1.1\r\nHost: x\r\n" + auth +
                                       "Content-Encoding: gzip\r\nContent-Length: 4\r\n\r\nabcd")),
            415);
  // no Content-Length at all
  EXPECT_EQ(StatusOf(RawHttp(port, "POST /api/v1/orders HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n")),
            411);
  // 10,000 header fields
  std::string many = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 10000; ++i) many += "X-F" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(StatusOf(RawHttp(port, many + "\r\n")), 431);
  // one header line of a megabyte
  EXPECT_EQ(StatusOf(RawHttp(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " +
                                       std::string(1 << 20, 'a') + "\r\n\r\n")),
            400);
  // a flood of header lines is cut off, not kept: two million fields sent as fast as the
  // socket takes them
  std::thread flood([port] {
    const int fd = Connect(port);
    // once the server shuts the connection, its window stays closed: give up sending then
    timeval limit{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    std::string chunk;
    for (int i = 0; i < 100000; ++i) chunk += "X-G" + std::to_string(i) + ": v\r\n";
    send(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n", 32, MSG_NOSIGNAL);
    const auto stop = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (int i = 0; i < 20 && std::chrono::steady_clock::now() < stop; ++i) {
      if (send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) <= 0) break;
    }
    close(fd);
  });
  flood.join();
  EXPECT_EQ(server.Client()->Get("/healthz")->status, 200);
  const long after_mb = ResidentMb(server.pid());
  EXPECT_LT(after_mb - before_mb, 150) << before_mb << " MB before, " << after_mb << " after";
  EXPECT_TRUE(server.Running());
}

// Twice as many slow clients as handler threads, each sending a header line every half
// second: without the reaper each would hold a thread as long as it likes, and the health
// check would wait behind them.
TEST(Abuse, SlowClientsCannotStarveTheHealthCheck) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--http-threads", "4"});
  server.Start();
  std::vector<int> slow;
  for (int i = 0; i < 8; ++i) {
    const int fd = Connect(server.port());
    ASSERT_GE(fd, 0);
    send(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n", 32, MSG_NOSIGNAL);
    slow.push_back(fd);
  }
  std::atomic<bool> dripping = true;
  std::atomic<int> cut = 0;
  std::thread drip([&] {
    while (dripping) {
      for (int& fd : slow) {
        if (fd >= 0 && send(fd, "X-Drip: 1\r\n", 11, MSG_NOSIGNAL) <= 0) {
          close(fd);
          fd = -1;
          ++cut;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  for (int i = 0; i < 5; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const std::string answer =
        RawHttp(server.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(StatusOf(answer), 200);
    EXPECT_LT(seconds, 1.0) << "health check " << i;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  dripping = false;
  drip.join();
  EXPECT_GE(cut.load(), 4);  // the ones that held threads were closed
  for (int fd : slow) {
    if (fd >= 0) close(fd);
  }
  EXPECT_TRUE(server.Running());
}

}  // namespace
