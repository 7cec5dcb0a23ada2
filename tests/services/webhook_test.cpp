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
  std::string channel{};
};

// A receiver on loopback that refuses the first delivery of every event with 503 (or, with
// `refuse_first` false, takes every one).
class Receiver {
 public:
  explicit Receiver(bool refuse_first = true) {
    server_.Post("/hook",
                 [this, refuse_first](const httplib::Request& req, httplib::Response& res) {
                   std::lock_guard<std::mutex> lock(mutex_);
                   const std::string id = req.get_header_value("X-Keepsake-Event-Id");
                   received_.push_back({id, req.get_header_value("X-Keepsake-Signature"), req.body,
                                        req.get_header_value("X-Keepsake-Channel")});
                   res.status = seen_.insert(id).second && refuse_first ? 503 : 200;
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

// Two channels, each with its own endpoint and secret, and no server-wide URL: each hears only
// of its own orders, signed with its own secret, the channel named in the message. Channel B's
// endpoint is down: its message goes dead; B moves to a new endpoint with a new secret (the
// old one still signs beside it for the overlap) and the admin resends the dead message,
// which then arrives with both signatures. A delivered message is not resent.
TEST(Webhook, EachChannelItsOwnEndpointAndSecretRotatedWithOverlapAndDeadOnesResent) {
  Receiver shop_a(false), shop_b_new(false);
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--job-workers", "0", "--webhook-backoff-s", "1"});
  server.Start();
  const std::string admin = server.Token("admin");
  auto post = [&](const std::string& path, const json& body) {
    return server.Client()->Post(path, Bearer(admin), body.dump(), "application/json");
  };
  const std::string secret_a = "secret-of-shop-a-0123456789";
  const std::string secret_b = "secret-of-shop-b-0123456789";
  const std::string secret_b2 = "new-secret-of-shop-b-98765";
  auto hook = [](int port) { return "http://127.0.0.1:" + std::to_string(port) + "/hook"; };
  ASSERT_EQ(
      post("/api/v1/channels/shop-a/webhook", {{"url", hook(shop_a.port())}, {"secret", secret_a}})
          ->status,
      200);
  // B's endpoint: a port nobody listens on (port 9, discard, is closed on loopback)
  ASSERT_EQ(
      post("/api/v1/channels/shop-b/webhook", {{"url", hook(9)}, {"secret", secret_b}})->status,
      200);
  EXPECT_EQ(
      post("/api/v1/channels/shop-b/webhook", {{"url", hook(9)}, {"secret", "short"}})->status,
      422);
  std::map<std::string, std::string> numbers;
  for (const std::string shop : {"shop-a", "shop-b"}) {
    auto created = server.Client()->Post(
        "/api/v1/orders",
        {{"Authorization", "Bearer " + server.Token("channel", shop)},
         {"Idempotency-Key", "wh-" + shop}},
        OrderBody("wh-" + shop, "postcard-cn", "").dump(), "application/json");
    ASSERT_EQ(created->status, 201) << created->body;
    numbers[shop] = json::parse(created->body)["number"];
  }
  ASSERT_TRUE(WaitFor([&] { return !shop_a.received().empty(); }, 20000));
  const Received a = shop_a.received().front();
  EXPECT_EQ(a.channel, "shop-a");
  const json a_body = json::parse(a.body);
  EXPECT_EQ(a_body["data"]["order"], numbers["shop-a"]);
  EXPECT_EQ(a_body["data"]["channel"], "shop-a");
  const std::string t = a.signature.substr(2, a.signature.find(',') - 2);
  EXPECT_EQ(a.signature, "t=" + t + ",v1=" + HmacSha256Hex(secret_a, t + "." + a.body));

  // B's message dies at its dead endpoint
  std::string dead_id;
  ASSERT_TRUE(WaitFor(
      [&] {
        const json dead = json::parse(server.Client()
                                          ->Get("/api/v1/webhooks?state=dead", Bearer(admin))
                                          ->body)["notifications"];
        if (dead.size() != 1) return false;
        dead_id = dead[0]["event_id"];
        return dead[0]["channel"] == "shop-b";
      },
      20000));
  // rotated to a new endpoint and secret, the old secret signing beside it for a day
  auto rotated =
      post("/api/v1/channels/shop-b/webhook",
           {{"url", hook(shop_b_new.port())}, {"secret", secret_b2}, {"overlap_hours", 24}});
  ASSERT_EQ(rotated->status, 200) << rotated->body;
  EXPECT_FALSE(json::parse(rotated->body)["previous_secret_until"].is_null());
  const std::string listed = server.Client()->Get("/api/v1/channels/webhooks", Bearer(admin))->body;
  EXPECT_EQ(listed.find(secret_b), std::string::npos);  // never shown
  EXPECT_EQ(listed.find(secret_b2), std::string::npos);
  auto resent = post("/api/v1/webhooks/" + dead_id + "/resend", json::object());
  ASSERT_EQ(resent->status, 200) << resent->body;
  ASSERT_TRUE(WaitFor([&] { return !shop_b_new.received().empty(); }, 20000));
  const Received b = shop_b_new.received().front();
  EXPECT_EQ(b.event_id, dead_id);
  EXPECT_EQ(json::parse(b.body)["data"]["order"], numbers["shop-b"]);
  const std::string tb = b.signature.substr(2, b.signature.find(',') - 2);
  EXPECT_EQ(b.signature, "t=" + tb + ",v1=" + HmacSha256Hex(secret_b2, tb + "." + b.body) +
                             ",v1=" + HmacSha256Hex(secret_b, tb + "." + b.body));
  // channel A never heard of B's order
  for (const Received& r : shop_a.received()) {
    EXPECT_EQ(r.body.find(numbers["shop-b"]), std::string::npos);
  }
  EXPECT_EQ(post("/api/v1/webhooks/" + a_body["id"].get<std::string>() + "/resend", json::object())
                ->status,
            422);
  EXPECT_EQ(post("/api/v1/webhooks/evt_999999/resend", json::object())->status, 404);
  // the secrets are not in the database file as text
  server.Stop();
  const std::string db = ReadFile(dir.path() / "data" / "keepsake.db");
  EXPECT_EQ(db.find(secret_b2), std::string::npos);
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
