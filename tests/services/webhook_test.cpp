// Notifications to the channel, through the real server and a local receiver: each state change
// is posted once it is committed, signed with HMAC-SHA256 over "<timestamp>.<body>", retried
// with the same event id after a failure (so the receiver can de-duplicate), and dead after the
// last retry; admins see every message with its attempts.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "test_support.hpp"

namespace keepsake::testing {
namespace {

using nlohmann::json;

constexpr const char* kSecret = "test-webhook-secret-0123456789";

std::string Hmac(const std::string& data) { return HmacSha256Hex(kSecret, data); }

struct Received {
  std::string event_id;
  std::string signature;
  std::string body;
};

// A receiver on loopback that refuses the first delivery of every event with 503.
class Receiver {
 public:
  Receiver() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex_);
      const std::string id = req.get_header_value("X-Keepsake-Event-Id");
      received_.push_back({id, req.get_header_value("X-Keepsake-Signature"), req.body});
      res.status = seen_.insert(id).second ? 503 : 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::vector<Received> received() {
    std::lock_guard<std::mutex> lock(mutex_);
    return received_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  std::vector<Received> received_;
  std::set<std::string> seen_;
};

std::string SecretFile(const TempDir& dir) {
  const std::string path = (dir.path() / "webhook.secret").string();
  std::ofstream(path) << kSecret << "\n";
  return path;
}

TEST(Webhook, SignedRetriedWithTheSameIdAndVisibleToAdmins) {
  Receiver receiver;
  TempDir dir;
  ServerProcess server(dir.path() / "data",
                       {"--job-workers", "0", "--webhook-url",
                        "http://127.0.0.1:" + std::to_string(receiver.port()) + "/hook",
                        "--webhook-secret-file", SecretFile(dir), "--webhook-backoff-s", "1,1,1"});
  server.Start();
  auto created = server.Client()->Post(
      "/api/v1/orders",
      {{"Authorization", "Bearer " + server.Token("channel")}, {"Idempotency-Key", "wh-1"}},
      OrderBody("wh-1", "postcard-cn", "").dump(), "application/json");
  ASSERT_EQ(created->status, 201);
  const std::string number = json::parse(created->body)["number"];
  auto held =
      server.Client()->Post("/api/v1/orders/" + number + "/hold", Bearer(server.Token("cs")),
                            json{{"reason", "customer asked to wait"}}.dump(), "application/json");
  ASSERT_EQ(held->status, 200);
  // two events, each refused once and then delivered: four requests
  ASSERT_TRUE(WaitFor([&] { return receiver.received().size() >= 4; }, 20000));
  std::map<std::string, std::vector<Received>> by_id;
  for (const Received& r : receiver.received()) by_id[r.event_id].push_back(r);
  ASSERT_EQ(by_id.size(), 2u);
  std::set<std::string> types;
  for (const auto& [id, copies] : by_id) {
    ASSERT_EQ(copies.size(), 2u) << id;
    EXPECT_EQ(copies[0].body, copies[1].body);  // a retry is the same message
    const json body = json::parse(copies[0].body);
    EXPECT_EQ(body["id"], id);
    EXPECT_EQ(body["data"]["order"], number);
    types.insert(body["type"]);
    for (const Received& r : copies) {
      // t=<seconds>,v1=<hex>: recomputed here with the shared secret
      const size_t comma = r.signature.find(",v1=");
      ASSERT_EQ(r.signature.rfind("t=", 0), 0u) << r.signature;
      ASSERT_NE(comma, std::string::npos);
      const std::string t = r.signature.substr(2, comma - 2);
      EXPECT_EQ(r.signature.substr(comma + 4), Hmac(t + "." + r.body));
      EXPECT_NE(r.signature.substr(comma + 4), Hmac(t + "." + r.body + " "));
    }
  }
  EXPECT_EQ(types, (std::set<std::string>{"order.created", "order.transition"}));
  // the customer's data is not in the notifications
  for (const Received& r : receiver.received()) {
    EXPECT_EQ(r.body.find("13912345678"), std::string::npos);
  }
  ASSERT_TRUE(WaitFor(
      [&] {
        auto res =
            server.Client()->Get("/api/v1/webhooks?state=delivered", Bearer(server.Token("admin")));
        return json::parse(res->body)["notifications"].size() == 2;
      },
      10000));
  const json listed =
      json::parse(server.Client()->Get("/api/v1/webhooks", Bearer(server.Token("admin")))->body);
  for (const json& n : listed["notifications"]) EXPECT_EQ(n["attempts"], 2);
  EXPECT_EQ(server.Client()->Get("/api/v1/webhooks", Bearer(server.Token("cs")))->status, 403);
}

TEST(Webhook, AnUnreachableReceiverEndsDeadAfterTheLastRetry) {
  TempDir dir;
  // a port nobody listens on: bind one, note it, close it (connections are then refused)
  int port = 0;
  {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    port = ntohs(address.sin_port);
    ::close(fd);
  }
  ServerProcess server(
      dir.path() / "data",
      {"--job-workers", "0", "--webhook-url", "http://127.0.0.1:" + std::to_string(port) + "/hook",
       "--webhook-secret-file", SecretFile(dir), "--webhook-backoff-s", "1,1"});
  server.Start();
  auto created = server.Client()->Post(
      "/api/v1/orders",
      {{"Authorization", "Bearer " + server.Token("channel")}, {"Idempotency-Key", "wh-2"}},
      OrderBody("wh-2", "postcard-cn", "").dump(), "application/json");
  ASSERT_EQ(created->status, 201);
  json dead;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto res =
            server.Client()->Get("/api/v1/webhooks?state=dead", Bearer(server.Token("admin")));
        dead = json::parse(res->body)["notifications"];
        return dead.size() == 1;
      },
      20000));
  EXPECT_EQ(dead[0]["attempts"], 3);  // the first try and two retries
  EXPECT_NE(dead[0]["last_error"].get<std::string>().find("no answer"), std::string::npos);
}

TEST(Webhook, ABadUrlOrAMissingSecretStopsTheServerAtStart) {
  TempDir dir;
  int code = -1;
  const std::string bad =
      RunCommand({KEEPSAKE_BINARY, "serve", "--data", (dir.path() / "d").string(), "--webhook-url",
                  "ftp://example/hook"},
                 &code, true);
  EXPECT_NE(code, 0);
  EXPECT_NE(bad.find("http(s)://host"), std::string::npos) << bad;
  const std::string no_secret =
      RunCommand({KEEPSAKE_BINARY, "serve", "--data", (dir.path() / "d").string(), "--webhook-url",
                  "http://127.0.0.1:9/hook"},
                 &code, true);
  EXPECT_NE(code, 0);
  EXPECT_NE(no_secret.find("--webhook-secret-file"), std::string::npos) << no_secret;
}

}  // namespace
}  // namespace keepsake::testing
