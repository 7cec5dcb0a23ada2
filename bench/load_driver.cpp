// Load driver for the order API on loopback: N client threads with keep-alive connections,
// a fixed number of requests, latency of each request recorded; prints requests/s, p50, p99.
//   keepsake_load --port P --token T --mode create|lookup [--threads N] [--requests M]
// Bounded in count and time by design: it sends exactly M requests to 127.0.0.1 and stops.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace {

using Clock = std::chrono::steady_clock;

std::string OrderBody(int n) {
  nlohmann::json body = {{"channel_ref", "bench-" + std::to_string(n)},
                         {"customer",
                          {{"name", "压测用户"},
                           {"phone", "13800138000"},
                           {"address",
                            {{"province", "浙江省"},
                             {"city", "杭州市"},
                             {"district", "西湖区"},
                             {"street", "文三路"},
                             {"detail", "1 幢 101 室"}}}}},
                         {"items", {{{"product", "postcard-cn"}}}}};
  return body.dump();
}

// The query of one search path for seeded order i (see bench/run_search.sh's SQL).
std::string SearchQuery(const std::string& path, int64_t i) {
  char phone[16];
  std::snprintf(phone, sizeof phone, "13%09lld", static_cast<long long>((i * 7919) % 1000000000));
  char number[16];
  std::snprintf(number, sizeof number, "KS%08lld", static_cast<long long>(i));
  if (path == "number") return std::string("number=") + number;
  if (path == "channel_ref") return "channel_ref=ch-" + std::to_string(i);
  if (path == "tracking_number") {  // orders 2, 3, 4 of every 5 have a parcel
    char waybill[24];
    std::snprintf(waybill, sizeof waybill, "SF%010lld",
                  static_cast<long long>(i - i % 5 + 2 + i % 3));
    return std::string("tracking_number=") + waybill;
  }
  if (path == "phone") return std::string("phone=") + phone;
  if (path == "phone_last4") {
    return "phone_last4=" + std::string(phone + 7) +
           "&name=" + httplib::detail::encode_query_param("客户" + std::to_string(i));
  }
  static const char* states[] = {"placed", "in_production", "shipped", "delivered", "completed"};
  if (path == "state") return std::string("limit=50&state=") + states[i % 5];
  // dates: one day's orders (seeded one a minute from 2026-01-01)
  const long long day = (i / 1440) % 60;
  char from[40], to[40];
  std::snprintf(from, sizeof from, "2026-%02lld-%02lldT00:00:00Z", 1 + day / 28, 1 + day % 28);
  std::snprintf(to, sizeof to, "2026-%02lld-%02lldT12:00:00Z", 1 + day / 28, 1 + day % 28);
  return std::string("limit=50&created_from=") + from + "&created_to=" + to;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Keepsake load driver (loopback only)"};
  int port = 8080, threads = 16, requests = 20000;
  std::string token, mode = "lookup", run_id = std::to_string(::time(nullptr));
  app.add_option("--port", port)->required();
  app.add_option("--token", token)->required();
  app.add_option("--mode", mode)->check(CLI::IsMember({"create", "lookup", "search"}));
  // search: the orders seeded by bench/run_search.sh (customer i: name 客户i, phone from i)
  std::string search = "number";
  int64_t seeded = 100000;
  app.add_option("--search", search)
      ->check(CLI::IsMember(
          {"number", "channel_ref", "tracking_number", "phone", "phone_last4", "state", "dates"}));
  app.add_option("--orders", seeded, "How many orders bench/run_search.sh seeded");
  app.add_option("--threads", threads)->check(CLI::Range(1, 256));
  app.add_option("--requests", requests)->check(CLI::Range(1, 10'000'000));
  app.add_option("--run-id", run_id, "Makes idempotency keys unique across runs");
  CLI11_PARSE(app, argc, argv);

  // lookups read orders that exist: ids 1..max from the server's newest order
  int64_t max_id = 1;
  if (mode == "lookup") {
    httplib::Client probe("127.0.0.1", port);
    auto res = probe.Get("/api/v1/orders?limit=1", {{"Authorization", "Bearer " + token}});
    if (!res || res->status != 200) {
      std::fprintf(stderr, "cannot list orders: %d\n", res ? res->status : -1);
      return 1;
    }
    auto orders = nlohmann::json::parse(res->body)["orders"];
    if (orders.empty()) {
      std::fprintf(stderr, "no orders to look up; run --mode create first\n");
      return 1;
    }
    max_id = orders[0]["id"].get<int64_t>();
  }

  std::atomic<int> next{0}, failures{0};
  std::vector<std::vector<double>> latencies(static_cast<size_t>(threads));
  const auto started = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      httplib::Headers auth = {{"Authorization", "Bearer " + token}};
      auto& mine = latencies[static_cast<size_t>(t)];
      for (int n; (n = next++) < requests;) {
        const auto begin = Clock::now();
        httplib::Headers headers = auth;
        if (mode == "create") {
          headers.emplace("Idempotency-Key", "bench-" + run_id + "-" + std::to_string(n));
        }
        httplib::Result res =
            mode == "create"
                ? client.Post("/api/v1/orders", headers, OrderBody(n), "application/json")
            : mode == "lookup"
                ? client.Get("/api/v1/orders/" + std::to_string(1 + n % max_id), headers)
                : client.Get("/api/v1/orders?" + SearchQuery(search, 1 + (n * 7717) % seeded),
                             headers);
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - begin).count());
        if (!res || (res->status != 200 && res->status != 201)) ++failures;
      }
    });
  }
  for (auto& t : pool) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all[static_cast<size_t>(p * static_cast<double>(all.size() - 1))];
  };
  std::printf(
      "mode=%s%s threads=%d requests=%d failures=%d seconds=%.2f rps=%.0f p50_ms=%.2f "
      "p99_ms=%.2f max_ms=%.2f\n",
      mode.c_str(), mode == "search" ? (" search=" + search).c_str() : "", threads, requests,
      failures.load(), seconds, static_cast<double>(requests) / seconds, pct(0.50), pct(0.99),
      all.back());
  return failures.load() == 0 ? 0 : 2;
}
