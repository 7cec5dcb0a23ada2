// Nothing acknowledged is lost: a client creates orders while the server is killed with
// SIGKILL at random moments and restarted; every acknowledged order is there exactly once and
// the database passes PRAGMA integrity_check. Also: leased jobs are picked up after a restart,
// the logs of a whole session hold no personal data, and a full disk is a clear 507 that
// corrupts nothing and passes when space returns.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "test_support.hpp"

namespace keepsake::testing {
namespace {

using nlohmann::json;

TEST(Durability, SigkillDuringOrderCreationLosesNothingAcknowledged) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--job-workers", "0"});
  server.Start();
  const std::string token = server.Token("channel");
  std::mt19937 rng(20261123);
  std::set<std::string> acknowledged;
  std::set<std::string> attempted;
  int next = 0;
  // 6 kills in the suite; tests/soak/sigkill.sh sets 50
  const char* soak = std::getenv("KEEPSAKE_SOAK_ROUNDS");
  const int rounds = soak != nullptr ? std::atoi(soak) : 6;
  for (int round = 0; round < rounds; ++round) {
    std::atomic<bool> stop{false};
    std::vector<std::string> acked_this_round;
    std::thread client([&] {
      while (!stop) {
        const std::string ref = "crash-" + std::to_string(next++);
        attempted.insert(ref);
        httplib::Client c("127.0.0.1", server.port());
        c.set_connection_timeout(1, 0);
        c.set_read_timeout(5, 0);
        auto res = c.Post("/api/v1/orders",
                          {{"Authorization", "Bearer " + token}, {"Idempotency-Key", ref}},
                          OrderBody(ref, "postcard-cn", "").dump(), "application/json");
        if (res && res->status == 201) acked_this_round.push_back(ref);
      }
    });
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(100, 600)(rng)));
    server.Kill(SIGKILL);
    stop = true;
    client.join();
    acknowledged.insert(acked_this_round.begin(), acked_this_round.end());
    server.Start();
  }
  ASSERT_GT(acknowledged.size(), 20u) << "the client should have been acknowledged many times";
  std::cout << rounds << " kills, " << acknowledged.size() << " orders acknowledged, "
            << attempted.size() << " attempted\n";
  server.Stop();
  SQLite::Database db((dir.path() / "data" / "keepsake.db").string(), SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("PRAGMA integrity_check").getString(), "ok");
  std::map<std::string, int> count;
  SQLite::Statement q(db, "SELECT channel_ref FROM orders");
  while (q.executeStep()) ++count[q.getColumn(0).getString()];
  for (const std::string& ref : acknowledged) EXPECT_EQ(count[ref], 1) << ref;
  for (const auto& [ref, n] : count) {
    EXPECT_EQ(n, 1) << ref;
    EXPECT_TRUE(attempted.count(ref)) << ref;
  }
  // every order that exists is whole: a customer, an item, a creation event
  EXPECT_EQ(
      db.execAndGet("SELECT COUNT(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM items i "
                    "WHERE i.order_id = o.id) OR NOT EXISTS (SELECT 1 FROM events e WHERE "
                    "e.order_id = o.id AND e.kind = 'order.created') OR o.customer_id IS NULL")
          .getInt(),
      0);
}

// The server killed with SIGKILL at random moments while five clients work at once: orders
// placed, pictures uploaded, magnet and figure orders whose jobs run in the sandbox, an engineer
// approving figures, and logistics making parcels and printing their labels. After the last
// restart every acknowledged write is there exactly once, every job finished once, the database
// passes integrity_check and no temporary file or job folder is left behind.
// 4 kills in the suite; tests/soak/sigkill.sh sets KEEPSAKE_SOAK_ROUNDS=50.
TEST(Durability, SigkillDuringMixedLoadLosesNothingAcknowledged) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--job-workers", "2"});
  server.Start();
  const char* soak = std::getenv("KEEPSAKE_SOAK_ROUNDS");
  const int rounds = soak != nullptr ? std::atoi(soak) : 4;
  const std::string channel = server.Token("channel"), modeler = server.Token("modeler"),
                    logistics = server.Token("logistics");
  const std::string picture = ReadFile(TestData("images/portrait_anime_fennec_girl_1024.png"));
  const std::string magnet_picture = UploadAsset(server, channel, picture);
  const std::string mesh = UploadAsset(server, channel, TexturedFigureGlb());
  // figures waiting for the engineer from the start (a figure takes longer than a round)
  for (int i = 0; i < 2; ++i) {
    const std::string ref = "figure-" + std::to_string(i);
    auto res = server.Client()->Post(
        "/api/v1/orders", {{"Authorization", "Bearer " + channel}, {"Idempotency-Key", ref}},
        OrderBody(ref, "figure-white", mesh, {{"height_mm", 60}}).dump(), "application/json");
    ASSERT_EQ(res->status, 201);
    const std::string item =
        std::to_string(json::parse(res->body)["items"][0]["id"].get<int64_t>());
    ASSERT_TRUE(WaitFor([&] { return ItemState(server, item) == "needs_review"; }, 60000));
  }
  std::vector<std::string> packable;  // orders ready to pack, for parcels and labels
  for (int i = 0; i < 3; ++i)
    packable.push_back(ProduceMagnetOrder(server, "pack-" + std::to_string(i)).number);

  std::mutex mutex;
  std::vector<std::string> orders, print_orders;    // channel_refs acknowledged
  std::map<std::string, std::string> uploads;       // asset id -> the bytes sent
  std::set<int64_t> approved, shipments, labelled;  // item and shipment ids acknowledged
  std::mt19937 rng(20261203);
  int next = 0;
  const auto client = [&] {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", server.port());
    c->set_connection_timeout(1, 0);
    c->set_read_timeout(10, 0);
    return c;
  };
  const auto post = [&](const std::string& path, const std::string& token, const std::string& body,
                        httplib::Headers extra = {}) {
    extra.emplace("Authorization", "Bearer " + token);
    return client()->Post(path, extra, body, "application/json");
  };
  for (int round = 0; round < rounds; ++round) {
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    clients.emplace_back([&] {  // orders
      while (!stop) {
        const std::string ref = "order-" + std::to_string(round) + "-" + std::to_string(next++);
        auto res = post("/api/v1/orders", channel, OrderBody(ref, "postcard-cn", "").dump(),
                        {{"Idempotency-Key", ref}});
        if (res && res->status == 201) {
          std::lock_guard lock(mutex);
          orders.push_back(ref);
        }
      }
    });
    clients.emplace_back([&] {  // uploads: the same picture with a tail of its own each time
      for (int i = 0; !stop; ++i) {
        const std::string bytes =
            picture + "round " + std::to_string(round) + " upload " + std::to_string(i);
        auto c = client();
        auto res = c->Post("/api/v1/assets", {{"Authorization", "Bearer " + channel}}, bytes,
                           "application/octet-stream");
        if (res && res->status == 201) {
          std::lock_guard lock(mutex);
          uploads[json::parse(res->body)["id"]] = bytes;
        }
      }
    });
    clients.emplace_back([&] {  // orders whose items are prepared in the sandbox
      for (int i = 0; !stop; ++i) {
        const std::string ref = "print-" + std::to_string(round) + "-" + std::to_string(i);
        const json body = i % 2 == 0 ? OrderBody(ref, "magnet-rect", magnet_picture)
                                     : OrderBody(ref, "figure-white", mesh, {{"height_mm", 60}});
        auto res = post("/api/v1/orders", channel, body.dump(), {{"Idempotency-Key", ref}});
        if (res && res->status == 201) {
          std::lock_guard lock(mutex);
          print_orders.push_back(ref);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
      }
    });
    clients.emplace_back([&] {  // the engineer approves what waits for review
      while (!stop) {
        auto queue =
            client()->Get("/api/v1/review/queue?limit=5", {{"Authorization", "Bearer " + modeler}});
        if (queue && queue->status == 200) {
          const json waiting = json::parse(queue->body);
          for (const json& entry : waiting["items"]) {
            const int64_t item = entry["id"];
            auto res = post("/api/v1/items/" + std::to_string(item) + "/transitions", modeler,
                            json{{"event", "approve"}}.dump());
            if (res && res->status == 200) {
              std::lock_guard lock(mutex);
              approved.insert(item);
            }
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
    clients.emplace_back([&] {  // logistics: a parcel, then its label
      for (int i = 0; !stop; ++i) {
        const std::string& number = packable[static_cast<size_t>(i) % packable.size()];
        auto parcel = post("/api/v1/orders/" + number + "/shipments", logistics,
                           json{{"carrier", "simulated"}}.dump());
        if (!parcel || parcel->status != 201) continue;
        const int64_t id = json::parse(parcel->body)["id"];
        {
          std::lock_guard lock(mutex);
          shipments.insert(id);
        }
        auto label = post("/api/v1/labels", logistics, json{{"shipments", {id}}}.dump());
        if (label && label->status == 200) {
          std::lock_guard lock(mutex);
          labelled.insert(id);
        }
      }
    });
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(300, 1500)(rng)));
    server.Kill(SIGKILL);
    stop = true;
    for (std::thread& t : clients) t.join();
    server.Start();
  }
  std::cout << rounds << " kills; acknowledged: " << orders.size() << " orders, " << uploads.size()
            << " uploads, " << print_orders.size() << " orders with jobs, " << approved.size()
            << " approvals, " << shipments.size() << " parcels, " << labelled.size() << " labels\n";
  ASSERT_FALSE(orders.empty());
  ASSERT_FALSE(uploads.empty());
  ASSERT_FALSE(print_orders.empty());
  ASSERT_FALSE(shipments.empty());

  // every job of an acknowledged order finishes, once
  const httplib::Headers cs = Bearer(server.Token("cs"));
  SQLite::Database db((dir.path() / "data" / "keepsake.db").string(), SQLite::OPEN_READONLY);
  const auto item_of = [&](const std::string& ref) {
    SQLite::Statement q(db,
                        "SELECT i.id FROM items i JOIN orders o ON o.id = i.order_id "
                        "WHERE o.channel_ref = ?");
    q.bind(1, ref);
    EXPECT_TRUE(q.executeStep()) << ref;
    return std::to_string(q.getColumn(0).getInt64());
  };
  for (const std::string& ref : print_orders) {
    const std::string item = item_of(ref);
    ASSERT_TRUE(WaitFor([&] { return ItemJobs(server, item)[0]["state"] == "succeeded"; }, 120000))
        << ref << ": " << ItemJobs(server, item).dump();
    EXPECT_EQ(ItemJobs(server, item).size(), 1u) << ref;
    SQLite::Statement moves(db,
                            "SELECT COUNT(*) FROM events WHERE item_id = ? AND from_state = "
                            "'preparing'");
    moves.bind(1, static_cast<int64_t>(std::stoll(item)));
    ASSERT_TRUE(moves.executeStep());
    EXPECT_EQ(moves.getColumn(0).getInt(), 1) << ref << " left preparing more than once";
  }
  server.Stop();
  EXPECT_EQ(db.execAndGet("PRAGMA integrity_check").getString(), "ok");
  const auto count = [&](const std::string& sql, const std::string& key) {
    SQLite::Statement q(db, sql);
    q.bind(1, key);
    q.executeStep();
    return q.getColumn(0).getInt();
  };
  for (const std::string& ref : orders) {
    EXPECT_EQ(count("SELECT COUNT(*) FROM orders WHERE channel_ref = ?", ref), 1) << ref;
  }
  for (const std::string& ref : print_orders) {
    EXPECT_EQ(count("SELECT COUNT(*) FROM orders WHERE channel_ref = ?", ref), 1) << ref;
  }
  for (const auto& [id, bytes] : uploads) {
    EXPECT_EQ(count("SELECT COUNT(*) FROM assets WHERE id = ?", id), 1) << id;
  }
  for (int64_t item : approved) {
    EXPECT_EQ(count("SELECT COUNT(*) FROM items WHERE state = 'approved' AND id = ?",
                    std::to_string(item)),
              1)
        << item;
  }
  for (int64_t id : shipments) {
    EXPECT_EQ(count("SELECT COUNT(*) FROM shipments WHERE id = ?", std::to_string(id)), 1) << id;
  }
  for (int64_t id : labelled) {
    EXPECT_EQ(count("SELECT COUNT(*) FROM shipments WHERE state = 'label_printed' AND id = ?",
                    std::to_string(id)),
              1)
        << id;
  }
  // the stored files are the bytes acknowledged, and nothing half-written is left
  server.Start();
  for (const auto& [id, bytes] : uploads) {
    auto file = server.Client()->Get("/api/v1/assets/" + id + "/file", cs);
    ASSERT_TRUE(file);
    EXPECT_TRUE(file->status == 200 && file->body == bytes) << id;
  }
  server.Stop();
  EXPECT_TRUE(std::filesystem::is_empty(dir.path() / "data" / "tmp"));
  std::vector<std::string> left;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path() / "data" / "jobs"))
    left.push_back(entry.path().filename());
  EXPECT_TRUE(left.empty()) << "job folders left behind: " << left.size() << ", e.g. "
                            << (left.empty() ? "" : left.front());
}

TEST(Durability, LeasedJobIsPickedUpAfterARestart) {
  TempDir dir;
  const std::filesystem::path data = dir.path() / "data";
  std::string item;
  {
    // the first server's worker spins, so its job is leased when the server is killed
    ServerProcess server(data, {"--worker-wall-s", "600"}, {{"KEEPSAKE_WORKER_FAULT", "spin"}});
    server.Start();
    item = PlaceOrderWithFile(server, "images/lowres_portrait_exif_prompt_512x768.jpg",
                              "magnet-rect", "restart");
    ASSERT_TRUE(WaitFor([&] { return ItemJobs(server, item)[0]["state"] == "leased"; }, 20000));
    server.Kill(SIGKILL);  // the worker dies with it (PR_SET_PDEATHSIG)
  }
  ServerProcess restarted(data);
  restarted.Start();
  ASSERT_TRUE(WaitFor([&] { return ItemState(restarted, item) == "needs_review"; }, 30000));
  json jobs = ItemJobs(restarted, item);
  EXPECT_EQ(jobs[0]["attempts"], 1);  // the attempt the kill cut short is given back
  EXPECT_TRUE(jobs[0]["result"]["printable"].get<bool>());  // rendered on the second attempt
}

// The pids of `server`'s sandboxed workers running now (children whose command is a worker).
std::vector<pid_t> WorkersOf(pid_t server) {
  std::vector<pid_t> workers;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    try {
      const std::string stat = ReadFile(entry.path() / "stat");
      // pid (comm) state ppid ...: the command may hold spaces, so read after its ')'
      std::istringstream rest(stat.substr(stat.rfind(')') + 2));
      char state = 0;
      pid_t parent = 0;
      rest >> state >> parent;
      const std::string cmdline = ReadFile(entry.path() / "cmdline");
      if (parent == server && cmdline.find(std::string("\0worker\0", 8)) != std::string::npos) {
        workers.push_back(std::stoi(name));
      }
    } catch (const std::exception&) {
      // gone while being read
    }
  }
  return workers;
}

int CountLines(const std::string& text, const std::string& part) {
  int n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// A worker killed with SIGKILL in the middle of its job: the job is tried again (after its
// backoff) and finishes once; the item moves on once.
TEST(Durability, AWorkerKilledMidJobIsRetriedAndItsJobFinishesOnce) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--job-workers", "1"});
  server.Start();
  const std::string item = PlaceOrderWithFile(
      server, "images/portrait_photoreal_sd15_1280x1920.png", "photo-print-7in", "killed");
  std::vector<pid_t> workers;
  ASSERT_TRUE(WaitFor([&] { return !(workers = WorkersOf(server.pid())).empty(); }, 20000));
  ASSERT_EQ(kill(workers.front(), SIGKILL), 0);
  ASSERT_TRUE(WaitFor([&] { return ItemJobs(server, item)[0]["state"] == "succeeded"; }, 60000))
      << ItemJobs(server, item).dump();
  const json jobs = ItemJobs(server, item);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["attempts"], 2);
  const std::string job = std::to_string(jobs[0]["id"].get<int64_t>());
  // the runner logs a job's end after its commit (and after clearing its folder): the state
  // can be seen a moment before the line is written
  const std::string ended = "event=job_end job=" + job + " kind=render_print outcome=succeeded";
  EXPECT_TRUE(WaitFor([&] { return CountLines(ReadFile(server.log_path()), ended) > 0; }, 10000));
  const std::string log = ReadFile(server.log_path());
  EXPECT_EQ(CountLines(log, "event=job_end job=" + job + " kind=render_print outcome=failed"), 1);
  EXPECT_EQ(CountLines(log, "event=job_end job=" + job + " kind=render_print outcome=succeeded"),
            1);
  // the item left preparing once
  const std::string state = ItemState(server, item);
  EXPECT_NE(state, "preparing");
  SQLite::Database db((dir.path() / "data" / "keepsake.db").string(), SQLite::OPEN_READONLY);
  SQLite::Statement moves(db,
                          "SELECT COUNT(*) FROM events WHERE item_id = ? AND from_state = "
                          "'preparing'");
  moves.bind(1, static_cast<int64_t>(std::stoll(item)));
  ASSERT_TRUE(moves.executeStep());
  EXPECT_EQ(moves.getColumn(0).getInt(), 1);
}

// A file that kills its worker every time (a poison file) goes to the dead letter after the
// attempts, while the good files behind it are prepared.
TEST(Durability, APoisonFileIsDeadLetteredWhileOtherJobsFlow) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--job-workers", "1", "--job-max-attempts", "3"},
                       {{"KEEPSAKE_WORKER_FAULT", "segv:png"}});
  server.Start();
  const std::string poison = PlaceOrderWithFile(
      server, "images/portrait_anime_fennec_girl_1024.png", "magnet-rect", "poison");
  std::vector<std::string> good;
  for (const char* picture : {"images/lowres_portrait_exif_prompt_512x768.jpg",
                              "images/icc_display_exif_orient1_dunhuang_640x636.jpg"}) {
    good.push_back(PlaceOrderWithFile(server, picture, "magnet-rect", picture));
  }
  // the good ones do not wait for the poison file's attempts
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const std::string& item : good) {
          if (ItemJobs(server, item)[0]["state"] != "succeeded") return false;
        }
        return true;
      },
      60000));
  EXPECT_NE(ItemJobs(server, poison)[0]["state"], "dead");  // still between attempts then
  ASSERT_TRUE(WaitFor([&] { return ItemJobs(server, poison)[0]["state"] == "dead"; }, 60000))
      << ItemJobs(server, poison).dump();
  const json dead = ItemJobs(server, poison)[0];
  EXPECT_EQ(dead["attempts"], 3);
  EXPECT_FALSE(dead["error"].get<std::string>().empty());
  EXPECT_EQ(server.Client()->Get("/healthz")->status, 200);
}

TEST(Durability, ShutdownStopsARunningWorkerPromptly) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--worker-wall-s", "600"},
                       {{"KEEPSAKE_WORKER_FAULT", "spin"}});
  server.Start();
  const std::string item = PlaceOrderWithFile(
      server, "images/lowres_portrait_exif_prompt_512x768.jpg", "magnet-rect", "shutdown");
  ASSERT_TRUE(WaitFor([&] { return ItemJobs(server, item)[0]["state"] == "leased"; }, 20000));
  const auto begin = std::chrono::steady_clock::now();
  server.Stop();  // SIGTERM
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(5));
  SQLite::Database db((dir.path() / "data" / "keepsake.db").string(), SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("SELECT attempts FROM jobs").getInt(), 1);
  EXPECT_EQ(db.execAndGet("SELECT state FROM jobs").getString(),
            "leased");  // released at the next start
}

TEST(Durability, ASecondServerOnTheSameDataIsRefused) {
  TempDir dir;
  ServerProcess first(dir.path() / "data");
  first.Start();
  int code = 0;
  RunCommand({KeepsakeBinary(), "serve", "--data", (dir.path() / "data").string(), "--listen",
              "127.0.0.1:0", "--assets", SourceDir() + "/assets"},
             &code);
  EXPECT_EQ(code, 1);
}

TEST(Durability, BackupCommandWritesAConsistentCopy) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--job-workers", "0"});
  server.Start();
  const std::string token = server.Token("channel");
  auto res = server.Client()->Post(
      "/api/v1/orders", {{"Authorization", "Bearer " + token}, {"Idempotency-Key", "b"}},
      OrderBody("backup-1", "postcard-cn", "").dump(), "application/json");
  ASSERT_EQ(res->status, 201);
  const std::string out = (dir.path() / "copy.db").string();
  int code = 0;
  RunCommand({KeepsakeBinary(), "backup", "--data", (dir.path() / "data").string(), "--out", out},
             &code);
  ASSERT_EQ(code, 0);
  SQLite::Database copy(out, SQLite::OPEN_READONLY);
  EXPECT_EQ(copy.execAndGet("PRAGMA integrity_check").getString(), "ok");
  EXPECT_EQ(copy.execAndGet("SELECT channel_ref FROM orders").getString(), "backup-1");
  RunCommand({KeepsakeBinary(), "backup", "--data", (dir.path() / "data").string(), "--out", out},
             &code);
  EXPECT_EQ(code, 1);  // never overwrites
}

// `keepsake backup` while a client creates orders as fast as it can: every copy passes
// integrity_check, holds every order acknowledged before it began, each once, and a server
// started on a fresh folder with the copy as its database serves the same orders.
TEST(Durability, BackupDuringLoadIsConsistentAndRestores) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--job-workers", "0"});
  server.Start();
  const std::string token = server.Token("channel");
  std::mutex mutex;
  std::vector<std::string> acknowledged;
  std::atomic<bool> stop{false};
  std::thread client([&] {
    httplib::Client c("127.0.0.1", server.port());
    for (int i = 0; !stop; ++i) {
      const std::string ref = "load-" + std::to_string(i);
      auto res =
          c.Post("/api/v1/orders", {{"Authorization", "Bearer " + token}, {"Idempotency-Key", ref}},
                 OrderBody(ref, "postcard-cn", "").dump(), "application/json");
      if (res && res->status == 201) {
        std::lock_guard lock(mutex);
        acknowledged.push_back(ref);
      }
    }
  });
  std::vector<std::pair<std::string, size_t>> copies;  // the file, orders acknowledged before
  for (int k = 0; k < 3; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    size_t before = 0;
    {
      std::lock_guard lock(mutex);
      before = acknowledged.size();
    }
    const std::string out = (dir.path() / ("copy-" + std::to_string(k) + ".db")).string();
    int code = -1;
    RunCommand({KeepsakeBinary(), "backup", "--data", (dir.path() / "data").string(), "--out", out},
               &code);
    ASSERT_EQ(code, 0);
    copies.emplace_back(out, before);
  }
  stop = true;
  client.join();
  server.Stop();
  std::vector<std::string> all;
  {
    std::lock_guard lock(mutex);
    all = acknowledged;
  }
  std::cout << all.size() << " orders acknowledged during 3 backups\n";
  for (const auto& [file, before] : copies) {
    SQLite::Database copy(file, SQLite::OPEN_READONLY);
    EXPECT_EQ(copy.execAndGet("PRAGMA integrity_check").getString(), "ok") << file;
    ASSERT_GT(before, 0u);
    for (size_t i = 0; i < before; ++i) {
      SQLite::Statement q(copy, "SELECT COUNT(*) FROM orders WHERE channel_ref = ?");
      q.bind(1, all[i]);
      q.executeStep();
      EXPECT_EQ(q.getColumn(0).getInt(), 1) << all[i] << " in " << file;
    }
  }
  // restore: the last copy as the database of a fresh data folder
  const auto& [last, before] = copies.back();
  const std::filesystem::path fresh = dir.path() / "restored";
  std::filesystem::create_directories(fresh);
  std::filesystem::copy_file(last, fresh / "keepsake.db");
  // a restore needs the data key the copy was encrypted under
  std::filesystem::copy_file(dir.path() / "data.key", dir.path() / "restored.key");
  SQLite::Database copy(last, SQLite::OPEN_READONLY);
  const int in_copy = copy.execAndGet("SELECT COUNT(*) FROM orders").getInt();
  ServerProcess restored(fresh, {"--job-workers", "0"});
  restored.Start();
  auto listed = restored.Client()->Get("/api/v1/orders?limit=1", Bearer(restored.Token("cs")));
  ASSERT_EQ(listed->status, 200);
  const json newest = json::parse(listed->body)["orders"][0];
  EXPECT_EQ(newest["id"], in_copy);  // ids are dense: the newest is the count
  auto first = restored.Client()->Get("/api/v1/orders/" + std::to_string(1),
                                      Bearer(restored.Token("channel")));
  EXPECT_EQ(json::parse(first->body)["channel_ref"], all.front());
  EXPECT_GE(static_cast<size_t>(in_copy), before);
}

TEST(Durability, LogsHoldNoPersonalData) {
  TempDir dir;
  ServerProcess server(dir.path() / "data");
  server.Start();
  const std::string channel = server.Token("channel");
  const std::string cs = server.Token("cs");
  json body = OrderBody("pii-1", "postcard-cn", "");
  body["customer"]["name"] = "隐私测试人";
  body["customer"]["phone"] = "13799887766";
  body["customer"]["address"]["detail"] = "秘密大厦 1808 室";
  auto res = server.Client()->Post(
      "/api/v1/orders", {{"Authorization", "Bearer " + channel}, {"Idempotency-Key", "pii"}},
      body.dump(), "application/json");
  ASSERT_EQ(res->status, 201);
  const std::string id = std::to_string(json::parse(res->body)["id"].get<int64_t>());
  server.Client()->Get("/api/v1/orders/" + id, Bearer(cs));
  server.Client()->Get("/api/v1/orders?channel_ref=pii-1&phone=13799887766", Bearer(cs));
  server.Client()->Get("/api/v1/orders/13799887766", Bearer(cs));
  server.Client()->Post("/api/v1/orders",
                        {{"Authorization", "Bearer " + channel}, {"Idempotency-Key", "pii-bad"}},
                        "{\"customer\": {\"phone\": \"13799887766\"", "application/json");
  server.Stop();
  const std::string log = ReadFile(server.log_path());
  ASSERT_NE(log.find("route=/api/v1/orders/{id}"), std::string::npos)
      << "the log should have requests";
  for (const std::string secret : {"隐私测试人", "13799887766", "秘密大厦"}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " found in the log";
  }
  for (const std::string& token : {channel, cs}) EXPECT_EQ(log.find(token), std::string::npos);
}

// A data directory on a 24 MB tmpfs (root only: the test mounts it): uploads and orders until
// the disk is full, each refused write a 507 that names the cause; what was acknowledged stays
// readable, the database passes integrity_check, no temporary file is left, and once there is
// room again the same requests pass.
TEST(Durability, AFullDiskIsA507ThatLosesNothing) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting a small tmpfs needs root";
  TempDir dir;
  const std::filesystem::path small = dir.path() / "small";
  std::filesystem::create_directories(small);
  if (mount("tmpfs", small.c_str(), "tmpfs", 0, "size=24m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
  }
  struct Unmount {
    std::filesystem::path path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{small};
  ServerProcess server(small / "data", {"--job-workers", "0"});
  server.Start();
  const std::string channel = server.Token("channel");
  const std::string cs = server.Token("cs");  // a token is a write too: made while there is room
  const std::string picture = ReadFile(TestData("images/portrait_anime_fennec_girl_1024.png"));
  std::vector<std::string> assets;
  std::string refused;
  for (int i = 0; i < 60 && refused.empty(); ++i) {
    // the same picture with a different tail: each is a new asset
    const std::string body =
        picture + std::string(64, static_cast<char>('a' + i % 26)) + std::to_string(i);
    auto res =
        server.Client()->Post("/api/v1/assets", Bearer(channel), body, "application/octet-stream");
    ASSERT_TRUE(res);
    if (res->status == 201) {
      assets.push_back(json::parse(res->body)["id"]);
    } else {
      ASSERT_EQ(res->status, 507) << res->body;
      refused = res->body;
    }
  }
  ASSERT_FALSE(refused.empty()) << "the disk never filled";
  EXPECT_EQ(json::parse(refused)["code"], "insufficient_storage");
  ASSERT_FALSE(assets.empty());
  // orders fill what is left, until SQLite cannot grow either
  std::vector<std::string> numbers;
  bool full = false;
  for (int i = 0; i < 20000 && !full; ++i) {
    json body = OrderBody("full-" + std::to_string(i), "magnet-rect", assets.front());
    body["customer"]["address"]["detail"] = std::string(200, 'x');  // fill faster
    auto res = server.Client()->Post(
        "/api/v1/orders",
        {{"Authorization", "Bearer " + channel}, {"Idempotency-Key", "full-" + std::to_string(i)}},
        body.dump(), "application/json");
    ASSERT_TRUE(res);
    if (res->status == 201) {
      numbers.push_back(json::parse(res->body)["number"]);
    } else {
      ASSERT_EQ(res->status, 507) << res->body;
      full = true;
    }
  }
  ASSERT_TRUE(full) << numbers.size() << " orders and still room";
  ASSERT_FALSE(numbers.empty());
  std::cout << assets.size() << " uploads and " << numbers.size()
            << " orders were acknowledged before the disk was full\n";
  // reads go on; everything acknowledged is there
  EXPECT_EQ(server.Client()->Get("/healthz")->status, 200);
  for (size_t i = 0; i < numbers.size(); i += std::max<size_t>(1, numbers.size() / 50)) {
    EXPECT_EQ(server.Client()->Get("/api/v1/orders/" + numbers[i], Bearer(cs))->status, 200);
  }
  auto count = server.Client()->Get("/api/v1/orders?limit=1", Bearer(cs));
  EXPECT_EQ(json::parse(count->body)["orders"][0]["number"], numbers.back());
  {
    SQLite::Database db((small / "data" / "keepsake.db").string(), SQLite::OPEN_READONLY);
    EXPECT_EQ(db.execAndGet("PRAGMA integrity_check").getString(), "ok");
  }
  EXPECT_TRUE(std::filesystem::is_empty(small / "data" / "tmp"));
  // room again: the same kinds of request pass
  ASSERT_EQ(mount("tmpfs", small.c_str(), "tmpfs", MS_REMOUNT, "size=96m"), 0)
      << std::strerror(errno);
  auto again = server.Client()->Post("/api/v1/assets", Bearer(channel), picture + "again",
                                     "application/octet-stream");
  EXPECT_EQ(again->status, 201) << again->body;
  auto order = server.Client()->Post(
      "/api/v1/orders", {{"Authorization", "Bearer " + channel}, {"Idempotency-Key", "after"}},
      OrderBody("after-full", "magnet-rect", assets.front()).dump(), "application/json");
  EXPECT_EQ(order->status, 201) << order->body;
  server.Stop();
}

}  // namespace
}  // namespace keepsake::testing
