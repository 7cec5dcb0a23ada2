// `keepsake serve`: the HTTP API, the job runner, the webhook sender and the maintenance rounds
// (service-level breaches, delivered orders completed, idempotency records pruned), until
// SIGINT or SIGTERM.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "cli/command.hpp"
#include "keepsake/logistics/carrier.hpp"
#include "keepsake/orders/crypto.hpp"
#include "keepsake/orders/product_catalog.hpp"
#include "keepsake/orders/sla.hpp"
#include "keepsake/services/api_server.hpp"
#include "keepsake/services/asset_files.hpp"
#include "keepsake/services/demo.hpp"
#include "keepsake/services/job_runner.hpp"
#include "keepsake/services/paths.hpp"
#include "keepsake/services/tracking_poller.hpp"
#include "keepsake/services/webhook_sender.hpp"

namespace keepsake::services::cli {

namespace {

namespace fs = std::filesystem;

constexpr int kIdempotencyKeepHours = 72;

struct ServeOptions {
  ServerConfig config;
  std::string listen = "127.0.0.1:8080";
  std::string assets, console, port_file, webhook_secret_file, tracking_secret_file, carriers_file;
  bool demo = false;
};

bool ParseListen(const std::string& listen, ServerConfig& config) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  config.host = listen.substr(0, colon);
  const std::string port = listen.substr(colon + 1);
  if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos ||
      port.size() > 5) {
    return false;
  }
  config.port = std::stoi(port);
  return config.port <= 65535 && !config.host.empty();
}

// The first line of `file` as a secret of 16 characters or more into `out`; false when not.
bool ReadSecret(const std::string& file, std::string& out) {
  std::ifstream in(file, std::ios::binary);
  std::getline(in, out);
  return !file.empty() && out.size() >= 16;
}

// Every 30 s the tickets' SLA breaches are recorded (a breach is an event on the ticket and the
// order) and delivered orders completed; idempotency records are kept 72 h (the API promises at
// least 24 h), pruned hourly. Runs until `stopped`.
void MaintenanceRounds(orders::Store& store, const ServerConfig& config, std::mutex& stop_mutex,
                       std::condition_variable& stop_cv, const bool& stopped) {
  std::unique_lock<std::mutex> lock(stop_mutex);
  int round = 0;
  do {
    lock.unlock();
    auto breaches = store.Tickets().RecordSlaBreaches(config.sla, orders::NowUnixMs());
    if (breaches && *breaches > 0) spdlog::info("event=sla_breaches recorded={}", *breaches);
    auto completed = store.Orders().CompleteDeliveredOrders(config.sla.complete_days_after_delivery,
                                                            orders::NowUnixMs());
    if (completed && *completed > 0) spdlog::info("event=orders_completed count={}", *completed);
    if (round++ % 120 == 0) {
      auto pruned = store.PruneIdempotency(kIdempotencyKeepHours);
      if (pruned && *pruned > 0) spdlog::info("event=idempotency_pruned records={}", *pruned);
    }
    lock.lock();
  } while (!stop_cv.wait_for(lock, std::chrono::seconds(30), [&] { return stopped; }));
}

void PrintWelcome(const ServerConfig& config, int port, bool demo) {
  const std::string base = std::string(config.tls_cert.empty() ? "http" : "https") + "://" +
                           config.host + ":" + std::to_string(port);
  std::cout << "Keepsake is serving on " << base << "  (data: " << config.data_dir << ")"
            << std::endl;
  if (!config.console_dir.empty()) {
    std::cout << "Staff console: " << base
              << "/console/  (sign in with a staff account: keepsake user create)" << std::endl;
  }
  if (demo) {
    std::cout << "Try: curl -H 'Authorization: Bearer <cs token>' " << base << "/api/v1/orders"
              << std::endl;
  }
}

int Serve(ServerConfig config, bool demo, const std::string& port_file) {
  // Signals are taken by one thread with sigwait; every thread started later inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto store = OpenStore(config);
  if (!store) return Die(store.error().message);
  // One server per data directory: the lock proves that every leased job belongs to a dead
  // process, so their leases can be released at once.
  if (!LockDataDir(config.data_dir)) {
    return Die("another keepsake serve is using " + config.data_dir);
  }
  auto released = (*store)->Jobs().ReleaseAllLeases();
  if (released && *released > 0) spdlog::info("event=leases_released jobs={}", *released);
  if (const int cleared = DataPaths(config.data_dir).ClearScratch(); cleared > 0) {
    spdlog::info("event=scratch_cleared entries={}", cleared);
  }

  auto catalog = orders::ProductCatalog::Load(config.assets_dir + "/products.json");
  if (!catalog) return Die(catalog.error().message);
  auto sla = orders::SlaPolicy::Load(config.assets_dir + "/sla.json");
  if (!sla) return Die(sla.error().message);
  config.sla = *sla;

  JobRunner runner(config, **store, *catalog);
  runner.Start();
  WebhookSender webhooks(config, **store);
  webhooks.Start();
  TrackingPoller poller(config, **store);
  poller.Start();
  if (demo) {
    auto seeded = SeedDemoOrders(config, **store, *catalog);
    if (!seeded) return Die("demo data: " + seeded.error().message);
    auto tokens = CreateDemoTokens(**store);
    if (!tokens) return Die("demo tokens: " + tokens.error().message);
    std::cout << "Demo tokens (new on every start; earlier demo tokens are revoked):\n";
    for (const auto& [role, token] : *tokens) std::cout << "  " << role << "\t" << token << "\n";
    auto accounts = CreateDemoAccounts(**store);
    if (!accounts) return Die("demo accounts: " + accounts.error().message);
    std::cout << "Demo console accounts (new passwords on every start; the 6-digit code: "
                 "keepsake user code --data "
              << config.data_dir << " --name NAME):\n";
    for (const DemoAccount& a : *accounts) {
      std::cout << "  " << a.name << "\tpassword " << a.password << "\tsecret "
                << orders::Base32Encode(a.totp_secret) << "\n";
    }
  }

  ApiServer server(config, **store, *catalog, &runner);
  const int port = server.Bind();
  if (port < 0 && !server.TlsError().empty()) return Die(server.TlsError());
  if (port < 0) {
    return Die("cannot listen on " + config.host + ":" + std::to_string(config.port) +
               " (in use, or not an address of this machine)");
  }
  PrintWelcome(config, port, demo);
  if (!port_file.empty()) WriteFileAtomically(port_file, std::to_string(port) + "\n");
  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("event=shutdown signal={}", sig);
    server.Stop();
  });
  std::mutex stop_mutex;
  std::condition_variable stop_cv;
  bool stopped = false;
  std::thread maintenance(
      [&] { MaintenanceRounds(**store, config, stop_mutex, stop_cv, stopped); });
  spdlog::info("event=listening host={} port={}", config.host, port);
  const bool ok = server.Listen();
  {
    std::lock_guard<std::mutex> lock(stop_mutex);
    stopped = true;
  }
  stop_cv.notify_all();
  maintenance.join();
  webhooks.Stop();
  poller.Stop();
  runner.Stop();
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  return ok ? 0 : 1;
}

int Run(ServeOptions o) {
  ServerConfig& config = o.config;
  // Workers run in their job folder, so every path handed down must not depend on the cwd.
  config.data_dir = fs::absolute(config.data_dir).lexically_normal().string();
  if (!ParseListen(o.listen, config)) return Die("--listen must be HOST:PORT, got " + o.listen);
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    return Die("TLS needs both --tls-cert and --tls-key");
  }
  // tokens and customers' data travel in the requests: in the clear only on this machine
  const bool loopback = config.host == "127.0.0.1" || config.host == "::1" ||
                        config.host == "localhost" || config.host.rfind("127.", 0) == 0;
  if (config.tls_cert.empty() && !loopback && !config.allow_plain_http) {
    return Die(
        "plain HTTP is only served on a loopback address; give --tls-cert and --tls-key, "
        "or --allow-plain-http when a TLS proxy in front of " +
        config.host + " terminates TLS");
  }
  config.assets_dir = FindAssetsDir(o.assets);
  config.console_dir = FindConsoleDir(o.console);
  if (!config.webhook_url.empty()) {
    const std::string bad = WebhookSender::CheckUrl(config.webhook_url);
    if (!bad.empty()) return Die(bad);
    if (!ReadSecret(o.webhook_secret_file, config.webhook_secret)) {
      return Die(
          "a webhook needs --webhook-secret-file with a secret of 16 characters or more on its "
          "first line");
    }
  }
  if (!o.tracking_secret_file.empty() &&
      !ReadSecret(o.tracking_secret_file, config.tracking_secret)) {
    return Die("--tracking-secret-file needs a secret of 16 characters or more on its first line");
  }
  if (o.demo) config.simulated_carrier = true;
  if (!o.carriers_file.empty()) {
    std::error_code error;
    const auto perms = fs::status(o.carriers_file, error).permissions();
    std::ifstream in(o.carriers_file);
    std::stringstream text;
    text << in.rdbuf();
    if (error || !in) return Die("--carriers: cannot read " + o.carriers_file);
    if ((perms & fs::perms::others_read) != fs::perms::none) {
      return Die("--carriers: " + o.carriers_file +
                 " holds the carriers' secrets and anyone on this machine may read it; "
                 "chmod 600 it");
    }
    config.carriers_json = text.str();
  }
  // a mistake in the carriers file stops the start, in words that name the field
  if (auto carriers = logistics::MakeCarriers(config.simulated_carrier, config.carriers_json);
      !carriers) {
    return Die("--carriers: " + carriers.error());
  }
  return Serve(config, o.demo, o.port_file);
}

}  // namespace

std::vector<Command> AddServe(CLI::App& app) {
  auto o = std::make_shared<ServeOptions>();
  ServerConfig& config = o->config;
  auto* serve = app.add_subcommand("serve", "Run the HTTP API and the job runner");
  AddDataOption(*serve, config);
  serve->add_option("--listen", o->listen, "HOST:PORT to listen on (port 0 picks one)")
      ->capture_default_str();
  serve->add_flag("--demo", o->demo, "Seed demo orders and print one demo token per role");
  serve->add_option("--assets", o->assets, "Folder with products.json and demo files");
  serve->add_option("--console", o->console,
                    "Folder of the staff console (app/ and node_modules/); found next to the "
                    "binary if not given");
  serve->add_option("--signing-key", config.signing_key,
                    "The shop's Ed25519 key that signs deletion certificates (PEM; made on first "
                    "purge). Default: keys/deletion-signing.pem in the data directory");
  serve->add_option("--tls-cert", config.tls_cert,
                    "Serve HTTPS (TLS 1.2+) with this certificate chain (PEM)");
  serve->add_option("--tls-key", config.tls_key, "The certificate's private key (PEM)");
  serve->add_flag("--allow-plain-http", config.allow_plain_http,
                  "Serve plain HTTP on an address other than loopback (a TLS proxy in front)");
  serve->add_option("--port-file", o->port_file, "Write the bound port to this file");
  serve->add_option("--max-upload-mb", config.max_upload_bytes, "Largest upload in bytes")
      ->transform([](std::string v) { return std::to_string(std::stoll(v) * 1024 * 1024); })
      ->check(CLI::PositiveNumber);
  serve
      ->add_option("--auth-failures-per-minute", config.auth_failures_per_minute,
                   "Unknown tokens one address may send per minute before 429 (0: no limit)")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  serve
      ->add_option("--personal-searches-per-minute", config.personal_searches_per_minute,
                   "Searches by phone or name one address may make per minute (0: no limit)")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  serve
      ->add_option("--request-head-timeout-s", config.request_head_timeout_s,
                   "Seconds a client may take to send a request's head")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  serve
      ->add_option("--min-body-bytes-per-s", config.min_body_bytes_per_s,
                   "Slowest rate a request body may arrive at, after the grace period")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40))
      ->capture_default_str();
  serve
      ->add_option("--body-grace-s", config.body_grace_s,
                   "Seconds a request body may take before the rate counts")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  serve->add_option("--trusted-proxy", config.trusted_proxies,
                    "Address of a reverse proxy whose X-Forwarded-For is believed (repeatable)");
  serve->add_option("--http-threads", config.http_threads, "Request handler threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  serve->add_option("--job-workers", config.job_workers, "Concurrent sandboxed workers")
      ->check(CLI::Range(0, 64))
      ->capture_default_str();
  serve
      ->add_option("--job-max-attempts", config.job_max_attempts,
                   "Attempts before a job is dead-lettered")
      ->check(CLI::Range(1, 20))
      ->capture_default_str();
  serve->add_option("--worker-memory-mb", config.worker.memory_mb, "Worker memory limit")
      ->check(CLI::Range(64, 65536))
      ->capture_default_str();
  serve->add_option("--worker-cpu-s", config.worker.cpu_s, "Worker CPU-time limit")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  serve->add_option("--worker-wall-s", config.worker.wall_s, "Worker wall-clock limit")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  serve->add_option("--carriers", o->carriers_file,
                    "JSON file with the carriers' credentials (SF Express, Kuaidi100; "
                    "docs/logistics.md), readable by its owner only");
  serve->add_flag("--simulated-carrier", config.simulated_carrier,
                  "Offer the simulated carrier (a trial server; the demo has it): its waybills "
                  "are no courier's");
  serve->add_option("--tracking-secret-file", o->tracking_secret_file,
                    "File holding the secret that signs carrier tracking pushes");
  serve->add_option("--webhook-url", config.webhook_url,
                    "The channel's webhook: order, item, shipment and claim changes go there");
  serve->add_option("--webhook-secret-file", o->webhook_secret_file,
                    "File holding the webhook signing secret (not on the command line)");
  serve
      ->add_option("--webhook-backoff-s", config.webhook_backoff_s,
                   "Seconds before each retry of a failed delivery")
      ->delimiter(',')
      ->check(CLI::Range(1, 86400));
  serve
      ->add_option("--tracking-poll-after-s", config.tracking_poll_after_s,
                   "Ask a parcel's carrier where it is after this long without news (6 h)")
      ->check(CLI::Range(1, 30 * 86400));
  serve
      ->add_option("--tracking-poll-every-s", config.tracking_poll_round_s,
                   "Seconds between the tracking poller's rounds (600)")
      ->check(CLI::Range(1, 86400));
  return {{serve, [o] { return Run(*o); }}};
}

}  // namespace keepsake::services::cli
