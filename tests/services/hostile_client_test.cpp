// What a hostile or careless client can send, each reproduced against the real server on
// loopback: a body nested 150,000 arrays deep, bodies dripped a byte at a time by hundreds of
// connections, uploads without a token, forged metrics labels, guessed tokens beside a valid
// one, phone numbers in reasons, control characters in names, a label no font can draw, a
// console path that climbs out, and query numbers that overflow. The server answers each with
// a clear refusal and keeps serving everyone else.
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace keepsake::testing {
namespace {

using nlohmann::json;

double SecondsFor(const std::function<void()>& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

class HostileClient : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    server_ = new ServerProcess(dir_->path() / "data", {"--trusted-proxy", "127.0.0.1"});
    server_->Start();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  static httplib::Result Post(const std::string& path, const std::string& role,
                              const std::string& body, const httplib::Headers& extra = {}) {
    return server_->PostAs(path, role, body, extra);
  }
  static std::string NewOrderNumber(const std::string& ref) {
    auto res = Post("/api/v1/orders", "channel", OrderBody(ref, "postcard-cn", "").dump(),
                    {{"Idempotency-Key", ref}});
    EXPECT_EQ(res->status, 201) << res->body;
    return json::parse(res->body)["number"];
  }
  static inline TempDir* dir_ = nullptr;
  static inline ServerProcess* server_ = nullptr;
};

// Before: the process died of a stack overflow in body->dump() (a few hundred KB of '[').
TEST_F(HostileClient, ABodyNestedTooDeepIsRefusedAndTheServerLives) {
  json order = OrderBody("deep", "postcard-cn", "");
  std::string body = order.dump();
  body.insert(body.size() - 1,
              R"(,"extra":)" + std::string(150000, '[') + std::string(150000, ']'));
  auto res = Post("/api/v1/orders", "channel", body, {{"Idempotency-Key", "deep"}});
  ASSERT_TRUE(res) << "no answer: the server is down";
  EXPECT_EQ(res->status, 400) << res->body;
  EXPECT_NE(res->body.find("nested more than 32"), std::string::npos) << res->body;
  // the same through an item transition's tuning, and a ticket (whose body the channel check
  // reads before the handler)
  auto tuning = Post("/api/v1/items/1/transitions", "modeler",
                     R"({"event":"reprepare","tuning":)" + std::string(100000, '[') +
                         std::string(100000, ']') + "}");
  ASSERT_TRUE(tuning);
  EXPECT_EQ(tuning->status, 400);
  auto ticket = Post("/api/v1/tickets", "channel",
                     R"({"order":)" + std::string(100000, '[') + std::string(100000, ']') + "}");
  ASSERT_TRUE(ticket);
  EXPECT_EQ(ticket->status, 400);
  EXPECT_EQ(server_->Client()->Get("/healthz")->status, 200);
  // 32 levels are fine: the limit is not in the way of real bodies
  std::string nested = order.dump();
  nested.insert(nested.size() - 1, R"(,"extra":)" + std::string(28, '[') + std::string(28, ']'));
  EXPECT_EQ(Post("/api/v1/orders", "channel", nested, {{"Idempotency-Key", "nested"}})->status,
            201);
}

// Before: a 50 MB upload without a token got its 401 after all 50 MB had arrived.
TEST_F(HostileClient, AnUploadWithoutATokenIsRefusedBeforeItsBody) {
  const int fd = ConnectLoopback(server_->port());
  ASSERT_GE(fd, 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const std::string head =
      "POST /api/v1/assets HTTP/1.1\r\nHost: x\r\nContent-Length: 52428800\r\n\r\n";
  send(fd, head.data(), head.size(), MSG_NOSIGNAL);
  char buf[2048];
  std::string answer;
  const double seconds = SecondsFor([&] {
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0) answer.assign(buf, static_cast<size_t>(n));
  });
  close(fd);
  EXPECT_EQ(StatusOf(answer), 401) << answer;
  EXPECT_LT(seconds, 2.0);
  // a token of a role that may not upload: 403, also before the body
  const std::string logistics = server_->Token("logistics");
  EXPECT_EQ(StatusOf(RawHttp(server_->port(),
                             "POST /api/v1/assets HTTP/1.1\r\nHost: x\r\n"
                             "Authorization: Bearer " +
                                 logistics + "\r\nContent-Length: 52428800\r\n\r\n")),
            403);
}

// Before: 70-80 connections dripping a 1,000-byte body froze /healthz for as long as they
// stayed. Now 200 of them, with a valid token (the worst case: the head passes every check),
// and the health check still answers within a second.
TEST(HostileClients, TwoHundredSlowBodiesCannotFreezeTheServer) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--body-grace-s", "2"});
  server.Start();
  const std::string head = "POST /api/v1/assets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                           server.Token("channel") + "\r\nContent-Length: 1000\r\n\r\n";
  std::vector<int> slow;
  for (int i = 0; i < 200; ++i) {
    const int fd = ConnectLoopback(server.port());
    ASSERT_GE(fd, 0);
    send(fd, head.data(), head.size(), MSG_NOSIGNAL);
    slow.push_back(fd);
  }
  std::atomic<bool> dripping = true;
  std::atomic<int> cut = 0;
  std::thread drip([&] {
    while (dripping) {
      for (int& fd : slow) {
        if (fd >= 0 && send(fd, "x", 1, MSG_NOSIGNAL) <= 0) {
          close(fd);
          fd = -1;
          ++cut;
        }
      }
      std::this_thread::sleep_for(std::chrono::seconds(2));
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  for (int i = 0; i < 6; ++i) {
    std::string answer;
    const double seconds = SecondsFor([&] {
      answer =
          RawHttp(server.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    });
    EXPECT_EQ(StatusOf(answer), 200) << "health check " << i;
    EXPECT_LT(seconds, 1.0) << "health check " << i;
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
  }
  dripping = false;
  drip.join();
  for (int fd : slow) {
    if (fd >= 0) close(fd);
  }
  EXPECT_GT(cut.load(), 0);  // slow bodies were closed, not waited for
  EXPECT_TRUE(server.Running());
  const std::string log = ReadFile(server.log_path());
  EXPECT_NE(log.find("request body too slow"), std::string::npos);
}

// Before: the raw method became a label (`X"}_INJ{a="b` forged a series; 7 KB methods grew
// the page without bound).
TEST_F(HostileClient, MetricsLabelsComeFromAFixedSet) {
  RawHttp(server_->port(),
          "X\"}_INJ{a=\"b /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const auto metrics = [&] {
    return server_->Client()->Get("/metrics", Bearer(server_->Token("admin")))->body;
  };
  const size_t before = metrics().size();
  for (int i = 0; i < 20; ++i) {
    RawHttp(server_->port(), std::string(7000, static_cast<char>('A' + i)) +
                                 " /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  }
  const std::string page = metrics();
  EXPECT_EQ(page.find("_INJ"), std::string::npos);
  EXPECT_EQ(page.find("AAAAAAAA"), std::string::npos);
  EXPECT_LT(page.size(), before + 4096) << "the page grew by " << page.size() - before;
  EXPECT_NE(page.find("method=\"other\""), std::string::npos);
}

// Before: after 30-35 unknown tokens from an address, a valid token from it got 429 too.
TEST(HostileClients, GuessedTokensDoNotLockOutAValidOne) {
  TempDir dir;
  ServerProcess server(dir.path() / "data",
                       {"--auth-failures-per-minute", "5", "--trusted-proxy", "127.0.0.1"});
  server.Start();
  const std::string cs = server.Token("cs");
  const auto guess = [&](const std::string& forwarded) {
    return StatusOf(RawHttp(server.port(),
                            "GET /api/v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ks_" +
                                std::string(64, '7') + "\r\n" + forwarded +
                                "Connection: close\r\n\r\n"));
  };
  for (int i = 0; i < 5; ++i) EXPECT_EQ(guess("X-Forwarded-For: 10.0.0.1\r\n"), 401);
  EXPECT_EQ(guess("X-Forwarded-For: 10.0.0.1\r\n"), 429);
  // the valid token from the same address passes, every time
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(server.Client()
                  ->Get("/api/v1/orders",
                        {{"Authorization", "Bearer " + cs}, {"X-Forwarded-For", "10.0.0.1"}})
                  ->status,
              200);
  }
  // behind the trusted proxy, another client is another bucket
  EXPECT_EQ(guess("X-Forwarded-For: 10.0.0.2\r\n"), 401);
  // an untrusted peer's header is not believed (ServerProcess's default: no trusted proxy)
  TempDir other_dir;
  ServerProcess plain(other_dir.path() / "data", {"--auth-failures-per-minute", "2"});
  plain.Start();
  const auto plain_guess = [&](const std::string& forwarded) {
    return StatusOf(RawHttp(
        plain.port(), "GET /api/v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ks_" +
                          std::string(64, '7') + "\r\n" + forwarded + "Connection: close\r\n\r\n"));
  };
  EXPECT_EQ(plain_guess("X-Forwarded-For: 10.0.0.1\r\n"), 401);
  EXPECT_EQ(plain_guess("X-Forwarded-For: 10.0.0.2\r\n"), 401);
  EXPECT_EQ(plain_guess("X-Forwarded-For: 10.0.0.3\r\n"), 429);
}

// Before: a hold reason with a phone number was accepted, shown to production and sent in
// the webhook. Every free-text field goes through the same check now.
TEST_F(HostileClient, PhoneNumbersInFreeTextAreRefusedEverywhere) {
  const std::string number = NewOrderNumber("free-text");
  const std::string order = "/api/v1/orders/" + number;
  struct Case {
    std::string path, role;
    json body;
    std::string field;
  };
  for (const Case& c : std::vector<Case>{
           {order + "/hold", "cs", {{"reason", "王五 13812345678 asked to wait"}}, "reason"},
           {order + "/cancel", "cs", {{"reason", "call back on 138 1234 5678"}}, "reason"},
           {order + "/notes", "cs", {{"note", "her number: (010) 8888-1234"}}, "note"},
           {"/api/v1/tickets",
            "cs",
            {{"order", number},
             {"type", "query"},
             {"channel", "phone"},
             {"subject", "Alice Zhang 13912345678 wants a refund"},
             {"body", "x"}},
            "subject"},
           {"/api/v1/tickets",
            "cs",
            {{"order", number},
             {"type", "query"},
             {"channel", "phone"},
             {"subject", "refund"},
             {"body", "reach her on １３９１２３４５６７８"}},
            "body"},
           {"/api/v1/claims",
            "cs",
            {{"item", 1}, {"reason", "print_defect"}, {"description", "cracked, tel 13912345678"}},
            "description"}}) {
    auto res = Post(c.path, c.role, c.body.dump());
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 422) << c.path << " " << res->body;
    const json problem = json::parse(res->body);
    EXPECT_EQ(problem["code"], "personal_data_in_text") << c.path;
    EXPECT_EQ(problem["field"], c.field) << c.path;
  }
  // order numbers, dates and short numbers are words, not phone numbers
  auto note =
      Post(order + "/notes", "cs",
           json{{"note", "same as KS00000042, promised for 2026-12-24, box 3 of 12"}}.dump());
  EXPECT_EQ(note->status, 201) << note->body;
}

// Before: NUL, CR/LF, ESC and U+202E were taken in names and addresses; one such parcel broke
// the label batch and raw control bytes went into ZPL.
TEST_F(HostileClient, ControlCharactersInCustomerFieldsAreRefusedByName) {
  struct Case {
    std::string name, street, field;
  };
  for (const Case& c :
       std::vector<Case>{{"Ann\nSmith", "文三路 90 号", "customer.name"},
                         {std::string("Ann") + '\0' + "x", "文三路 90 号", "customer.name"},
                         {"Ann \x1b[31mRed", "文三路 90 号", "customer.name"},
                         {"Ann",
                          "文三路 \xe2\x80\xae"
                          "09 号",
                          "customer.address.street"},
                         {"Ann", "\xc2\x85next line", "customer.address.street"}}) {
    json body = OrderBody("ctl", "postcard-cn", "");
    body["customer"]["name"] = c.name;
    body["customer"]["address"]["street"] = c.street;
    const std::string key = "ctl-" + std::to_string(std::hash<std::string>{}(c.name + c.street));
    auto res = Post("/api/v1/orders", "channel", body.dump(), {{"Idempotency-Key", key}});
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 422) << c.field << " " << res->body;
    EXPECT_EQ(json::parse(res->body)["field"], c.field) << res->body;
  }
  // bytes that are not UTF-8 are not JSON text at all
  std::string raw = OrderBody("ctl-bytes", "postcard-cn", "").dump();
  raw.replace(raw.find("测试顾客"), std::string("测试顾客").size(), "\xff\xfe");
  EXPECT_EQ(Post("/api/v1/orders", "channel", raw, {{"Idempotency-Key", "ctl-bytes"}})->status,
            400);
  const std::string number = NewOrderNumber("ctl-address");
  auto changed = Post("/api/v1/orders/" + number + "/address", "cs",
                      json{{"address",
                            {{"province", "浙江省"},
                             {"city", "杭州市"},
                             {"district", "西湖区"},
                             {"street", std::string("文三路") + '\0'},
                             {"detail", "3 幢"}}},
                           {"reason", "moved"}}
                          .dump());
  EXPECT_EQ(changed->status, 422) << changed->body;
  EXPECT_EQ(json::parse(changed->body)["field"], "address.street");
  // a greeting keeps its line breaks
  json greeting = OrderBody("greeting", "postcard-cn", "");
  greeting["items"][0]["text"] = "亲爱的外婆：\r\n新年快乐！";
  EXPECT_EQ(
      Post("/api/v1/orders", "channel", greeting.dump(), {{"Idempotency-Key", "greeting"}})->status,
      201);
}

// A district no font here can draw (an Egyptian hieroglyph: accepted at the door, it is text)
// spoils its own label only: the rest of the batch prints and the answer says which was left out.
TEST(HostileClients, ALabelThatCannotBeDrawnFailsAloneAndTheBatchPrints) {
  TempDir dir;
  ServerProcess server(dir.path() / "data");
  server.Start();
  const auto logistics = Bearer(server.Token("logistics"));
  std::vector<int64_t> parcels;
  std::vector<std::string> numbers;
  for (const std::string& district : {std::string("西湖区"), std::string("\xf0\x93\x80\x80区")}) {
    const ProducedOrder order = ProduceMagnetOrder(
        server, "label-" + std::to_string(parcels.size()), {{"address", {{"district", district}}}});
    numbers.push_back(order.number);
    auto parcel = server.Client()->Post("/api/v1/orders/" + order.number + "/shipments", logistics,
                                        json{{"carrier", "simulated"}}.dump(), "application/json");
    ASSERT_EQ(parcel->status, 201) << parcel->body;
    parcels.push_back(json::parse(parcel->body)["id"].get<int64_t>());
  }
  auto printed = server.Client()->Post("/api/v1/labels", logistics,
                                       json{{"shipments", parcels}}.dump(), "application/json");
  ASSERT_EQ(printed->status, 200) << printed->body;
  EXPECT_EQ(printed->body.rfind("%PDF", 0), 0u);
  const json failed = json::parse(printed->get_header_value("X-Keepsake-Failed"));
  ASSERT_EQ(failed.size(), 1u) << failed;
  EXPECT_EQ(failed[0]["shipment"], parcels[1]);
  EXPECT_NE(failed[0]["reason"].get<std::string>().find("U+13000"), std::string::npos) << failed;
  // the printed parcel moved on; the one left out did not
  const auto state = [&](const std::string& number) {
    auto res = server.Client()->Get("/api/v1/orders/" + number + "/shipments", logistics);
    return json::parse(res->body)["shipments"][0]["state"].get<std::string>();
  };
  EXPECT_EQ(state(numbers[0]), "label_printed");
  EXPECT_EQ(state(numbers[1]), "created");
  // the bad one alone cannot be made at all: a clear 422 that says why
  auto alone = server.Client()->Post("/api/v1/labels", logistics,
                                     json{{"shipments", {parcels[1]}}}.dump(), "application/json");
  EXPECT_EQ(alone->status, 422);
  EXPECT_NE(alone->body.find("no label could be made"), std::string::npos) << alone->body;
  EXPECT_EQ(state(numbers[1]), "created");
}

// Before: a missing console file answered 200 with nothing, and "..%2f" climbed out of
// three's build folder within node_modules.
TEST(HostileClients, TheConsoleServesItsFilesAndNothingElse) {
  TempDir dir;
  ServerProcess server(dir.path() / "data",
                       {"--console", (std::filesystem::path(SourceDir()) / "console").string()});
  server.Start();
  auto client = server.Client();
  EXPECT_EQ(client->Get("/console/")->status, 200);
  EXPECT_EQ(client->Get("/console/no-such-file.js")->status, 404);
  EXPECT_EQ(StatusOf(RawHttp(server.port(),
                             "GET /console/vendor/three/build/..%2fpackage.json HTTP/1.1\r\n"
                             "Host: x\r\nConnection: close\r\n\r\n")),
            404);
  EXPECT_EQ(StatusOf(RawHttp(server.port(),
                             "GET /console/vendor/three/build/.%2fthree.module.js HTTP/1.1\r\n"
                             "Host: x\r\nConnection: close\r\n\r\n")),
            404);
  EXPECT_EQ(client->Get("/console/vendor/three/build/three.module.js")->status, 200);
}

// Before: due_within_minutes=153722867280913 overflowed, limit=2000abc and created_from=zzz
// were taken.
TEST_F(HostileClient, QueryNumbersAreParsedStrictlyAndCapped) {
  const auto get = [&](const std::string& path, const std::string& role) {
    return server_->GetAs(path, role);
  };
  auto overflow = get("/api/v1/tickets?due_within_minutes=153722867280913", "cs");
  EXPECT_EQ(overflow->status, 400);
  EXPECT_EQ(json::parse(overflow->body)["field"], "due_within_minutes");
  EXPECT_EQ(get("/api/v1/tickets?due_within_minutes=60", "cs")->status, 200);
  EXPECT_EQ(get("/api/v1/packing/queue?limit=2000abc", "logistics")->status, 400);
  EXPECT_EQ(get("/api/v1/packing/queue?limit=2000", "logistics")->status, 200);
  EXPECT_EQ(get("/api/v1/orders?created_from=zzz", "cs")->status, 400);
  EXPECT_EQ(get("/api/v1/orders?created_from=2026-11-01", "cs")->status, 200);
  EXPECT_EQ(get("/api/v1/orders?limit=-1", "cs")->status, 400);
  EXPECT_EQ(get("/api/v1/review/queue?limit=99999999999999999999", "modeler")->status, 400);
}

// A token name chosen to be a spreadsheet formula reaches the audit export as text.
TEST(HostileClients, AuditCsvCellsAreNotFormulas) {
  TempDir dir;
  ServerProcess server(dir.path() / "data");
  server.Start();
  const std::string formula = server.Token("cs", "=HYPERLINK(\"http://x\",\"y\")");
  server.Client()->Get("/api/v1/orders?phone=13900000000", Bearer(formula));
  auto csv = server.Client()->Get("/api/v1/audit/export", Bearer(server.Token("admin")));
  ASSERT_EQ(csv->status, 200);
  EXPECT_NE(csv->body.find("\"'=HYPERLINK("), std::string::npos) << csv->body;
  EXPECT_EQ(csv->body.find(",\"=HYPERLINK("), std::string::npos);
}

// Tokens can be listed and revoked (a rotation ends the old one), and expire by themselves.
TEST(HostileClients, ARevokedTokenStopsWorking) {
  TempDir dir;
  ServerProcess server(dir.path() / "data");
  server.Start();
  const std::string data = (dir.path() / "data").string();
  const std::string old_token = server.Token("channel", "app");
  EXPECT_EQ(server.Client()->Get("/api/v1/orders", Bearer(old_token))->status, 200);
  int code = -1;
  const std::string fresh = RunCommand(
      {KeepsakeBinary(), "token", "create", "--data", data, "--role", "channel", "--name", "app2"},
      &code);
  ASSERT_EQ(code, 0);
  const std::string list = RunCommand({KeepsakeBinary(), "token", "list", "--data", data}, &code);
  ASSERT_EQ(code, 0);
  EXPECT_NE(list.find("channel\tapp\t"), std::string::npos) << list;
  EXPECT_EQ(list.find("ks_"), std::string::npos) << "a listed token shows itself";
  const std::string revoked =
      RunCommand({KeepsakeBinary(), "token", "revoke", "--data", data, "--name", "app"}, &code);
  ASSERT_EQ(code, 0) << revoked;
  EXPECT_NE(revoked.find("1 token(s) revoked"), std::string::npos);
  EXPECT_EQ(server.Client()->Get("/api/v1/orders", Bearer(old_token))->status, 401);
  RunCommand({KeepsakeBinary(), "token", "revoke", "--data", data, "--name", "app"}, &code);
  EXPECT_NE(code, 0);  // nothing left to revoke: said, not silent
  auto audit = server.Client()->Get("/api/v1/audit", Bearer(server.Token("admin")));
  EXPECT_NE(audit->body.find("token.revoke"), std::string::npos);
  // an expiry in days is kept and shown
  RunCommand({KeepsakeBinary(), "token", "create", "--data", data, "--role", "cs", "--name", "temp",
              "--expires-days", "30"},
             &code);
  ASSERT_EQ(code, 0);
  const std::string after = RunCommand({KeepsakeBinary(), "token", "list", "--data", data}, &code);
  const size_t temp = after.find("\ttemp\t");
  ASSERT_NE(temp, std::string::npos) << after;
  const std::string line = after.substr(temp, after.find('\n', temp) - temp);
  EXPECT_EQ(line.find("never"), std::string::npos) << line;
  EXPECT_NE(line.find("live"), std::string::npos) << line;
  EXPECT_EQ(fresh.rfind("ks_", 0), 0u);
}

// The greeting is personal: no local user sees it in a worker's command line.
TEST(HostileClients, TheGreetingIsNotOnAnyCommandLine) {
  TempDir dir;
  ServerProcess server(dir.path() / "data");
  server.Start();
  const std::string greeting = "亲爱的外婆 secret-greeting-" + std::to_string(getpid());
  const std::string photo =
      UploadAsset(server, server.Token("channel"),
                  ReadFile(TestData("images/portrait_photoreal_sd15_1280x1920.png")));
  json body = OrderBody("greet", "postcard-cn", photo);
  body["items"][0]["text"] = greeting;
  std::atomic<bool> watching = true;
  std::atomic<int> workers_seen = 0, greetings_seen = 0;
  std::thread watcher([&] {
    while (watching) {
      for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::string cmdline;
        try {  // a process that ends while it is read fails the read (ESRCH): it is gone anyway
          std::ifstream in(entry.path() / "cmdline", std::ios::binary);
          cmdline.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        } catch (const std::ios_base::failure&) {
          continue;
        }
        if (cmdline.find(std::string("worker\0--job", 12)) != std::string::npos) ++workers_seen;
        if (cmdline.find("secret-greeting-") != std::string::npos) ++greetings_seen;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  auto created = server.Client()->Post(
      "/api/v1/orders",
      {{"Authorization", "Bearer " + server.Token("channel")}, {"Idempotency-Key", "greet"}},
      body.dump(), "application/json");
  ASSERT_EQ(created->status, 201) << created->body;
  const std::string item =
      std::to_string(json::parse(created->body)["items"][0]["id"].get<int64_t>());
  const bool rendered = WaitFor(
      [&] {
        const std::string state = ItemState(server, item);
        return state != "preparing" && state != "received";
      },
      60000);
  watching = false;
  watcher.join();
  ASSERT_TRUE(rendered);
  EXPECT_GT(workers_seen.load(), 0) << "the worker was never seen: the test saw nothing";
  EXPECT_EQ(greetings_seen.load(), 0);
}

}  // namespace
}  // namespace keepsake::testing
