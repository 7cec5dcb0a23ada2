// keepsake: one binary, subcommands (CLI11). `serve` runs the API and the job runner; `worker`
// is the sandboxed child the runner starts, not meant to be typed by hand.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "keepsake/orders/product_catalog.hpp"
#include "keepsake/orders/store.hpp"
#include "keepsake/services/api_server.hpp"
#include "keepsake/services/asset_files.hpp"
#include "keepsake/services/config.hpp"
#include "keepsake/services/crypto.hpp"
#include "keepsake/services/demo.hpp"
#include "keepsake/services/job_runner.hpp"
#include "keepsake/services/labels.hpp"
#include "keepsake/services/mesh_command.hpp"
#include "keepsake/services/monthly_report.hpp"
#include "keepsake/services/paths.hpp"
#include "keepsake/services/print_command.hpp"
#include "keepsake/services/sandbox.hpp"
#include "keepsake/services/webhook_sender.hpp"
#include "keepsake/services/worker.hpp"

namespace fs = std::filesystem;
using namespace keepsake;
using services::DataPaths;
using services::ServerConfig;

namespace {

constexpr int kIdempotencyKeepHours = 72;

void SetUpLogging() {
  auto logger = spdlog::stderr_logger_mt("keepsake");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
  spdlog::set_default_logger(logger);
}

int Die(const std::string& message) {
  std::cerr << "keepsake: " << message << std::endl;
  return 1;
}

// assets/ next to the binary (build/keepsake -> ../assets) or in the working directory.
std::string FindAssetsDir(const std::string& given) {
  if (!given.empty()) return given;
  if (const char* env = std::getenv("KEEPSAKE_ASSETS")) return env;
  const fs::path exe = fs::path(services::SelfExecutable()).parent_path();
  for (const fs::path& candidate : {exe / "../assets", exe / "../../assets", fs::path("assets")}) {
    if (fs::exists(candidate / "products.json")) return fs::weakly_canonical(candidate).string();
  }
  return "assets";
}

// The staff console's folder: --console, KEEPSAKE_CONSOLE, or console/ of the source tree the
// binary was built in. Empty (and /console not served) when none has app/index.html.
std::string FindConsoleDir(const std::string& given) {
  std::vector<fs::path> candidates;
  if (!given.empty()) candidates.push_back(given);
  if (const char* env = std::getenv("KEEPSAKE_CONSOLE")) candidates.push_back(env);
  const fs::path exe = fs::path(services::SelfExecutable()).parent_path();
  candidates.insert(candidates.end(), {exe / "../console", exe / "../../console"});
  for (const fs::path& candidate : candidates) {
    if (fs::exists(candidate / "app" / "index.html")) {
      if (!fs::exists(candidate / "node_modules" / "three")) {
        spdlog::warn("event=console_incomplete reason=\"three.js is missing: run npm ci in {}\"",
                     candidate.string());
      }
      return fs::weakly_canonical(candidate).string();
    }
  }
  if (!given.empty()) spdlog::warn("event=console_missing dir={}", given);
  return "";
}

// `keepsake products`: every product with its options, a figure's material and a print
// product's numbers, so that staff can answer "what size is the magnet?" without the code.
int ListProducts(const std::string& assets_dir) {
  auto catalog = orders::ProductCatalog::Load(assets_dir + "/products.json");
  if (!catalog) return Die(catalog.error().message);
  auto print = services::LoadPrintSettings(assets_dir);
  if (!print) return Die(print.error());
  for (const orders::Product& p : catalog->Products()) {
    std::printf("%-18s %s\n", p.id.c_str(), p.title.c_str());
    for (const orders::ProductOption& o : p.options) {
      std::string values;
      for (int64_t v : o.values) values += (values.empty() ? "" : ", ") + std::to_string(v);
      std::printf("%-18s   option %s: %s (default %lld)\n", "", o.name.c_str(), values.c_str(),
                  static_cast<long long>(o.default_value));
    }
    if (const orders::Material* m = catalog->FindMaterial(p.material)) {
      std::printf("%-18s   material %s: minimum wall %.1f mm%s\n", "", m->title.c_str(),
                  m->min_wall_mm, m->colour ? ", full colour" : "");
    }
    const auto profile = print->profiles.find(p.id);
    if (profile != print->profiles.end()) {
      const imaging::PrintProfile& r = profile->second;
      std::printf(
          "%-18s   print %.0f x %.0f mm%s, bleed %.1f mm, safe %.1f mm, %d dpi (warn "
          "below %d, refuse below %d)\n",
          "", r.trim_width_mm, r.trim_height_mm,
          r.shape == imaging::PrintShape::kDieCut  ? " die-cut"
          : r.shape == imaging::PrintShape::kRound ? " round"
                                                   : "",
          r.bleed_mm, r.safe_mm, r.target_dpi, r.warn_below_dpi, r.refuse_below_dpi);
    }
  }
  return 0;
}

orders::Result<std::unique_ptr<orders::Store>> OpenStore(const ServerConfig& config) {
  const DataPaths paths(config.data_dir);
  try {
    paths.Create();
  } catch (const std::exception& e) {
    return orders::Fail(orders::Errc::kStorage,
                        "cannot create the data directory " + config.data_dir + ": " + e.what());
  }
  return orders::Store::Open(orders::StoreOptions{
      paths.Database().string(), std::min(config.http_threads, 16), config.job_max_attempts});
}

// The store of a data directory that must exist already (the maintenance commands never
// create an empty one by mistake).
orders::Result<std::unique_ptr<orders::Store>> OpenExistingStore(const ServerConfig& config) {
  if (!fs::exists(DataPaths(config.data_dir).Database())) {
    return tl::unexpected(
        orders::Error{orders::Errc::kNotFound, "no database in " + config.data_dir, "", {}});
  }
  return OpenStore(config);
}

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
  const std::string lock_path = DataPaths(config.data_dir).Lock().string();
  const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    return Die("another keepsake serve is using " + config.data_dir);
  }
  auto released = (*store)->ReleaseAllLeases();
  if (released && *released > 0) spdlog::info("event=leases_released jobs={}", *released);
  if (const int cleared = DataPaths(config.data_dir).ClearScratch(); cleared > 0) {
    spdlog::info("event=scratch_cleared entries={}", cleared);
  }

  auto catalog = orders::ProductCatalog::Load(config.assets_dir + "/products.json");
  if (!catalog) return Die(catalog.error().message);
  auto sla = orders::SlaPolicy::Load(config.assets_dir + "/sla.json");
  if (!sla) return Die(sla.error().message);
  config.sla = *sla;

  services::JobRunner runner(config, **store, *catalog);
  runner.Start();
  services::WebhookSender webhooks(config, **store);
  webhooks.Start();
  if (demo) {
    auto seeded = services::SeedDemoOrders(config, **store, *catalog);
    if (!seeded) return Die("demo data: " + seeded.error().message);
    auto tokens = services::CreateDemoTokens(**store);
    if (!tokens) return Die("demo tokens: " + tokens.error().message);
    std::cout << "Demo tokens (new on every start; earlier demo tokens are revoked):\n";
    for (const auto& [role, token] : *tokens) std::cout << "  " << role << "\t" << token << "\n";
  }

  services::ApiServer server(config, **store, *catalog, &runner);
  const int port = server.Bind();
  if (port < 0) {
    return Die("cannot listen on " + config.host + ":" + std::to_string(config.port) +
               " (in use, or not an address of this machine)");
  }
  std::cout << "Keepsake is serving on http://" << config.host << ":" << port
            << "  (data: " << config.data_dir << ")" << std::endl;
  if (!config.console_dir.empty()) {
    std::cout << "Staff console: http://" << config.host << ":" << port
              << "/console/  (sign in with a token)" << std::endl;
  }
  if (demo) {
    std::cout << "Try: curl -H 'Authorization: Bearer <cs token>' http://" << config.host << ":"
              << port << "/api/v1/orders" << std::endl;
  }
  if (!port_file.empty()) {
    services::WriteFileAtomically(port_file, std::to_string(port) + "\n");
  }
  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("event=shutdown signal={}", sig);
    server.Stop();
  });
  // Every 30 s the tickets' SLA breaches are recorded (a breach is an event on the ticket and
  // the order); idempotency records are kept 72 h (the API promises at least 24 h), pruned
  // hourly.
  std::mutex stop_mutex;
  std::condition_variable stop_cv;
  bool stopped = false;
  std::thread maintenance([&] {
    std::unique_lock<std::mutex> lock(stop_mutex);
    int round = 0;
    do {
      lock.unlock();
      auto breaches = (*store)->RecordSlaBreaches(config.sla, orders::NowUnixMs());
      if (breaches && *breaches > 0) spdlog::info("event=sla_breaches recorded={}", *breaches);
      auto completed = (*store)->CompleteDeliveredOrders(config.sla.complete_days_after_delivery,
                                                         orders::NowUnixMs());
      if (completed && *completed > 0) spdlog::info("event=orders_completed count={}", *completed);
      if (round++ % 120 == 0) {
        auto pruned = (*store)->PruneIdempotency(kIdempotencyKeepHours);
        if (pruned && *pruned > 0) spdlog::info("event=idempotency_pruned records={}", *pruned);
      }
      lock.lock();
    } while (!stop_cv.wait_for(lock, std::chrono::seconds(30), [&] { return stopped; }));
  });
  spdlog::info("event=listening host={} port={}", config.host, port);
  const bool ok = server.Listen();
  {
    std::lock_guard<std::mutex> lock(stop_mutex);
    stopped = true;
  }
  stop_cv.notify_all();
  maintenance.join();
  webhooks.Stop();
  runner.Stop();
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Keepsake: turns a fan's AI creation into a physical keepsake"};
  app.require_subcommand(1);
  ServerConfig config;
  std::string listen = "127.0.0.1:8080";
  std::string assets, port_file;
  bool demo = false;

  auto* serve = app.add_subcommand("serve", "Run the HTTP API and the job runner");
  serve->add_option("--data", config.data_dir, "Data directory (SQLite file, assets, jobs)")
      ->capture_default_str();
  serve->add_option("--listen", listen, "HOST:PORT to listen on (port 0 picks one)")
      ->capture_default_str();
  serve->add_flag("--demo", demo, "Seed demo orders and print one demo token per role");
  serve->add_option("--assets", assets, "Folder with products.json and demo files");
  std::string console_dir;
  serve->add_option("--console", console_dir,
                    "Folder of the staff console (app/ and node_modules/); found next to the "
                    "binary if not given");
  serve->add_option("--port-file", port_file, "Write the bound port to this file");
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
  std::string webhook_secret_file, tracking_secret_file;
  serve->add_option("--tracking-secret-file", tracking_secret_file,
                    "File holding the secret that signs carrier tracking pushes");
  serve->add_option("--webhook-url", config.webhook_url,
                    "The channel's webhook: order, item, shipment and claim changes go there");
  serve->add_option("--webhook-secret-file", webhook_secret_file,
                    "File holding the webhook signing secret (not on the command line)");
  serve
      ->add_option("--webhook-backoff-s", config.webhook_backoff_s,
                   "Seconds before each retry of a failed delivery")
      ->delimiter(',')
      ->check(CLI::Range(1, 86400));

  std::string token_role, token_name;
  auto* token = app.add_subcommand("token", "Manage API tokens");
  token->require_subcommand(1);
  auto* token_create = token->add_subcommand("create", "Create a token; prints it alone on stdout");
  token_create->add_option("--data", config.data_dir, "Data directory")->capture_default_str();
  token_create
      ->add_option("--role", token_role, "channel, modeler, cs, logistics, production or admin")
      ->required();
  token_create->add_option("--name", token_name, "Who or what holds the token")->required();
  int token_expires_days = 0;
  token_create
      ->add_option("--expires-days", token_expires_days,
                   "Days until the token stops working by itself (0: never)")
      ->check(CLI::Range(0, 3650));
  auto* token_list =
      token->add_subcommand("list", "List the tokens: id, role, name, created, expiry, state");
  token_list->add_option("--data", config.data_dir, "Data directory")->capture_default_str();
  auto* token_revoke = token->add_subcommand(
      "revoke", "Revoke a token by its id, or every token of a name (after a rotation)");
  token_revoke->add_option("--data", config.data_dir, "Data directory")->capture_default_str();
  std::optional<int64_t> revoke_id;
  std::optional<std::string> revoke_name;
  auto* revoke_id_option =
      token_revoke->add_option("--id", revoke_id, "The token's id (token list)");
  token_revoke->add_option("--name", revoke_name, "Every live token of this name")
      ->excludes(revoke_id_option);

  auto* migrate = app.add_subcommand("migrate", "Create or upgrade the database schema");
  migrate->add_option("--data", config.data_dir, "Data directory")->capture_default_str();

  std::vector<int64_t> label_shipments;
  std::string label_size = "100x150", label_format = "pdf", label_out, label_assets;
  int label_dpi = 203;
  auto* label = app.add_subcommand("label", "Shipping labels");
  label->require_subcommand(1);
  auto* label_render = label->add_subcommand(
      "render", "Labels of parcels into one file (PDF, a label per page; ZPL; or one PNG)");
  label_render->add_option("--data", config.data_dir, "Data directory")->capture_default_str();
  label_render->add_option("--shipment", label_shipments, "Parcel id (repeat for a batch)")
      ->required();
  label_render->add_option("--size", label_size, "100x150 or 76x130 (mm)")->capture_default_str();
  label_render->add_option("--format", label_format, "pdf, png (one parcel) or zpl")
      ->capture_default_str();
  label_render->add_option("--dpi", label_dpi, "png: 203 or 300")->capture_default_str();
  label_render->add_option("--out", label_out, "The file to write")->required();
  label_render->add_option("--assets", label_assets, "Folder with products.json, logistics.json");

  std::vector<std::string> slip_orders;
  std::string slip_out;
  auto* slip = app.add_subcommand("packing-slip", "Packing slips");
  slip->require_subcommand(1);
  auto* slip_render =
      slip->add_subcommand("render", "Packing slips of orders into one PDF (A5, a slip per order)");
  slip_render->add_option("--data", config.data_dir, "Data directory")->capture_default_str();
  slip_render->add_option("--order", slip_orders, "Order number or id (repeat for a batch)")
      ->required();
  slip_render->add_option("--out", slip_out, "The PDF to write")->required();
  slip_render->add_option("--assets", label_assets, "Folder with products.json, logistics.json");

  std::string report_month, report_out;
  auto* report = app.add_subcommand("report", "Reports for the contract");
  report->require_subcommand(1);
  auto* monthly = report->add_subcommand(
      "monthly", "One month's figures: writes OUT/report.json, report.csv and chart.png");
  monthly->add_option("--data", config.data_dir, "Data directory")->capture_default_str();
  monthly->add_option("--month", report_month, "The month, e.g. 2026-11")->required();
  monthly->add_option("--out", report_out, "Output folder")->required();

  std::string purge_before;
  bool purge_everything = false;
  auto* purge = app.add_subcommand(
      "purge", "Remove customers' personal data of orders that ended before a date");
  purge->add_option("--data", config.data_dir, "Data directory")->capture_default_str();
  purge->add_option(
      "--before", purge_before,
      "Orders completed or cancelled before this UTC time, e.g. 2026-06-01T00:00:00Z");
  purge->add_flag("--everything", purge_everything,
                  "Every order, ended or not (the end of the contract)");

  std::string backup_out;
  auto* backup = app.add_subcommand("backup", "Copy the database with SQLite's online backup");
  backup->add_option("--data", config.data_dir, "Data directory")->capture_default_str();
  backup->add_option("--out", backup_out, "The backup file to write (must not exist)")->required();

  services::MeshPrepareArgs mesh_args;
  auto* mesh_cmd = app.add_subcommand("mesh", "3D models: prepare a printable file");
  mesh_cmd->require_subcommand(1);
  auto* mesh_prepare = mesh_cmd->add_subcommand(
      "prepare", "Repair, scale and check a model; writes OUT/model.stl and OUT/report.json");
  mesh_prepare->add_option("input", mesh_args.input, "GLB, glTF, OBJ, FBX, PLY, STL, OFF or ZIP")
      ->required();
  mesh_prepare->add_option("--height-mm", mesh_args.height_mm, "Printed height in mm")
      ->check(CLI::Range(10.0, 500.0))
      ->capture_default_str();
  mesh_prepare->add_option("--out", mesh_args.out_dir, "Output folder")->required();
  std::string material = "white-resin";
  mesh_prepare
      ->add_option("--material", material,
                   "white-resin or full-colour (products.json): minimum wall and colour")
      ->capture_default_str();
  bool force_colour = false;
  mesh_prepare->add_flag("--colour", force_colour, "Write the colour files (PLY, WRL)");
  std::vector<double> rotate;
  mesh_prepare->add_option("--rotate", rotate, "Degrees about X Y Z before standing it up")
      ->expected(3)
      ->delimiter(',');
  double base_mm = 0, thicken_mm = 0;
  mesh_prepare->add_option("--base-mm", base_mm, "Join a round base this thick (0: none)");
  mesh_prepare->add_option("--thicken-mm", thicken_mm, "Make every wall this much thicker");
  mesh_prepare->add_option("--write-original", mesh_args.write_original,
                           "Also write the input as printed (STL), for an independent comparison");
  double remove_parts_under_mm = -1;
  mesh_prepare->add_option("--remove-parts-under-mm", remove_parts_under_mm,
                           "Remove separate parts smaller than this (default 0.8; 0 keeps all)");

  services::WorkerArgs worker_args;
  auto* worker = app.add_subcommand("worker", "Internal: the sandboxed job worker");
  worker->group("");  // hidden from --help
  worker->add_option("--kind", worker_args.kind)->required();
  worker->add_option("--input", worker_args.input)->required();
  worker->add_option("--format", worker_args.format)->required();
  worker->add_option("--max-image-pixels", worker_args.max_image_pixels);
  worker->add_option("--height-mm", worker_args.height_mm);
  worker->add_option("--min-wall-mm", worker_args.min_wall_mm);
  worker->add_flag("--colour", worker_args.colour);
  worker->add_option("--tuning", worker_args.tuning);
  worker->add_option("--product", worker_args.product);
  worker->add_option("--assets", worker_args.assets_dir);
  worker->add_option("--size-mm", worker_args.size_mm);
  worker->add_flag("--allow-low-dpi", worker_args.allow_low_dpi);
  worker->add_option("--sides", worker_args.sides);
  worker->add_option("--text", worker_args.text);
  worker->add_option("--text-file", worker_args.text_file);

  services::PrintRenderArgs print_args;
  auto* print_cmd = app.add_subcommand("print", "2D products: render print-ready files");
  print_cmd->require_subcommand(1);
  auto* print_render = print_cmd->add_subcommand(
      "render", "Fit an image to a product; writes OUT/print.pdf, print.png, preview.png");
  print_render->add_option("--product", print_args.product, "Product id (keepsake products)")
      ->required();
  print_render->add_option("--image", print_args.image, "PNG, JPEG or WebP")->required();
  print_render->add_option("--out", print_args.out_dir, "Output folder")->required();
  print_render->add_option("--size-mm", print_args.size_mm, "Keychain size (50, 60 or 70)");
  print_render->add_option("--option", print_args.options,
                           "An item option k=v: size_mm=60, sides=2 (double-sided keychain)");
  print_render->add_option("--text", print_args.text,
                           "A postcard's greeting (UTF-8; Chinese and Latin), on its back");
  print_render->add_flag("--allow-low-dpi", print_args.allow_low_dpi,
                         "Print below the refusal dpi (a reviewer's decision)");
  print_render->add_option("--preview-px", print_args.preview_px, "Longer side of preview.png")
      ->check(CLI::Range(100, 4000))
      ->capture_default_str();
  auto* products_cmd = app.add_subcommand("products", "List the catalogue and its print numbers");

  CLI11_PARSE(app, argc, argv);
  // Workers run in their job folder, so every path handed down must not depend on the cwd.
  config.data_dir = fs::absolute(config.data_dir).lexically_normal().string();

  if (worker->parsed()) return services::RunWorker(worker_args);
  if (print_render->parsed()) {
    auto settings = services::LoadPrintSettings(FindAssetsDir(""));
    if (!settings) return Die(settings.error());
    return services::RunPrintRender(print_args, *settings);
  }
  if (products_cmd->parsed()) return ListProducts(FindAssetsDir(""));
  if (mesh_prepare->parsed()) {
    // the flags go through the same checks as an engineer's tuning from the API
    nlohmann::json tuning = nlohmann::json::object();
    if (!rotate.empty()) tuning["rotate_deg"] = rotate;
    if (base_mm != 0) tuning["base_mm"] = base_mm;
    if (thicken_mm != 0) tuning["thicken_mm"] = thicken_mm;
    if (remove_parts_under_mm >= 0) tuning["remove_parts_under_mm"] = remove_parts_under_mm;
    auto parsed = services::ParseMeshTuning(tuning.dump());
    if (!parsed) return Die(parsed.error());
    mesh_args.tuning = *parsed;
    auto catalog = orders::ProductCatalog::Load(FindAssetsDir("") + "/products.json");
    if (!catalog) return Die(catalog.error().message);
    const orders::Material* found = catalog->FindMaterial(material);
    if (found == nullptr) return Die("unknown material '" + material + "'");
    mesh_args.min_wall_mm = found->min_wall_mm;
    mesh_args.colour = found->colour || force_colour;
    return services::RunMeshPrepare(mesh_args);
  }
  SetUpLogging();

  if (serve->parsed()) {
    if (!ParseListen(listen, config)) return Die("--listen must be HOST:PORT, got " + listen);
    config.assets_dir = FindAssetsDir(assets);
    config.console_dir = FindConsoleDir(console_dir);
    if (!config.webhook_url.empty()) {
      const std::string bad = services::WebhookSender::CheckUrl(config.webhook_url);
      if (!bad.empty()) return Die(bad);
      std::ifstream secret(webhook_secret_file, std::ios::binary);
      std::getline(secret, config.webhook_secret);
      if (webhook_secret_file.empty() || config.webhook_secret.size() < 16) {
        return Die(
            "a webhook needs --webhook-secret-file with a secret of 16 characters or more "
            "on its first line");
      }
    }
    if (!tracking_secret_file.empty()) {
      std::ifstream secret(tracking_secret_file, std::ios::binary);
      std::getline(secret, config.tracking_secret);
      if (config.tracking_secret.size() < 16) {
        return Die(
            "--tracking-secret-file needs a secret of 16 characters or more on its first "
            "line");
      }
    }
    return Serve(config, demo, port_file);
  }
  if (token_create->parsed()) {
    auto role = orders::ParseTokenRole(token_role);
    if (!role) {
      return Die("unknown role '" + token_role +
                 "'; use channel, modeler, cs, logistics, production or admin");
    }
    auto store = OpenStore(config);
    if (!store) return Die(store.error().message);
    const std::string new_token = services::NewApiToken();
    std::optional<std::string> expires;
    if (token_expires_days > 0) {
      expires = orders::IsoFromUnixMs(orders::NowUnixMs() +
                                      int64_t{token_expires_days} * 24 * 3600 * 1000);
    }
    auto id = (*store)->CreateToken(services::TokenHash(new_token), *role, token_name, expires);
    if (!id) return Die(id.error().message);
    std::cout << new_token << std::endl;
    return 0;
  }
  if (token_list->parsed()) {
    auto store = OpenExistingStore(config);
    if (!store) return Die(store.error().message);
    auto tokens = (*store)->ListTokens();
    if (!tokens) return Die(tokens.error().message);
    const std::string now = orders::NowUtcIso();
    std::cout << "id\trole\tname\tcreated\texpires\tstate\n";
    for (const orders::TokenRecord& t : *tokens) {
      const std::string state = t.revoked_at                           ? "revoked " + *t.revoked_at
                                : t.expires_at && *t.expires_at <= now ? std::string("expired")
                                                                       : std::string("live");
      std::cout << t.id << '\t' << orders::RoleName(t.role) << '\t' << t.name
                << (t.demo ? " (demo)" : "") << '\t' << t.created_at << '\t'
                << t.expires_at.value_or("never") << '\t' << state << '\n';
    }
    return 0;
  }
  if (token_revoke->parsed()) {
    if (!revoke_id && !revoke_name) return Die("say which token: --id N or --name NAME");
    auto store = OpenExistingStore(config);
    if (!store) return Die(store.error().message);
    auto revoked = (*store)->RevokeToken(revoke_id, revoke_name, "keepsake token revoke");
    if (!revoked) return Die(revoked.error().message);
    std::cout << *revoked << " token(s) revoked" << std::endl;
    return 0;
  }
  if (migrate->parsed()) {
    auto store = OpenStore(config);
    if (!store) return Die(store.error().message);
    std::cout << "schema version " << (*store)->SchemaVersion() << std::endl;
    return 0;
  }
  if (label_render->parsed()) {
    const std::string assets_dir = FindAssetsDir(label_assets);
    auto catalog = orders::ProductCatalog::Load(assets_dir + "/products.json");
    if (!catalog) return Die(catalog.error().message);
    auto store = OpenExistingStore(config);
    if (!store) return Die(store.error().message);
    auto printed = services::PrintLabelBatch(
        **store, *catalog, assets_dir, {label_shipments, label_size, label_format, label_dpi},
        orders::Actor{"keepsake label render", orders::Role::kLogistics});
    if (!printed) return Die(printed.error().message);
    if (!services::WriteFileAtomically(label_out, printed->bytes)) {
      return Die("cannot write " + label_out);
    }
    std::cout << label_shipments.size() - printed->failed.size() << " label(s), batch "
              << printed->batch << ", written to " << label_out << std::endl;
    for (const services::LabelFailure& f : printed->failed) {
      std::cerr << "keepsake label render: parcel " << f.shipment << " left out: " << f.reason
                << std::endl;
    }
    return printed->failed.empty() ? 0 : 3;
  }
  if (slip_render->parsed()) {
    const std::string assets_dir = FindAssetsDir(label_assets);
    auto catalog = orders::ProductCatalog::Load(assets_dir + "/products.json");
    if (!catalog) return Die(catalog.error().message);
    auto store = OpenExistingStore(config);
    if (!store) return Die(store.error().message);
    std::vector<int64_t> ids;
    for (const std::string& key : slip_orders) {
      const bool is_id = !key.empty() && key.size() < 18 &&
                         key.find_first_not_of("0123456789") == std::string::npos;
      auto order = is_id ? (*store)->GetOrder(std::stoll(key)) : (*store)->GetOrderByNumber(key);
      if (!order) return Die(order.error().message);
      ids.push_back(order->id);
    }
    auto pdf = services::PrintPackingSlips(**store, *catalog, assets_dir, config.data_dir, ids);
    if (!pdf) return Die(pdf.error().message);
    if (!services::WriteFileAtomically(slip_out, *pdf)) return Die("cannot write " + slip_out);
    std::cout << ids.size() << " packing slip(s) written to " << slip_out << std::endl;
    return 0;
  }
  if (monthly->parsed()) {
    auto store = OpenExistingStore(config);
    if (!store) return Die(store.error().message);
    auto figures = (*store)->BuildMonthlyReport(report_month);
    if (!figures) return Die(figures.error().message);
    std::error_code ec;
    fs::create_directories(report_out, ec);
    for (const auto& [name, bytes] :
         {std::pair<std::string, std::string>{"report.json", services::MonthlyReportJson(*figures)},
          {"report.csv", services::MonthlyReportCsv(*figures)},
          {"chart.png", services::MonthlyReportChartPng(*figures)}}) {
      if (!services::WriteFileAtomically(fs::path(report_out) / name, bytes)) {
        return Die("cannot write " + (fs::path(report_out) / name).string());
      }
    }
    std::cout << "report for " << report_month << ": " << figures->orders << " orders; written to "
              << report_out << std::endl;
    return 0;
  }
  if (purge->parsed()) {
    if (purge_everything == !purge_before.empty()) {
      return Die("say which orders: --before 2026-06-01T00:00:00Z, or --everything");
    }
    // not beside a running server: it holds the data directory's lock (use its admin API)
    const std::string lock_path = DataPaths(config.data_dir).Lock().string();
    const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
      return Die("a keepsake serve is using " + config.data_dir +
                 "; purge through its API (POST /api/v1/admin/purge) or stop it first");
    }
    auto store = OpenExistingStore(config);
    if (!store) return Die(store.error().message);
    auto purged = (*store)->PurgeCustomers(purge_before, purge_everything,
                                           orders::Actor{"keepsake purge", orders::Role::kAdmin});
    if (!purged) return Die(purged.error().message);
    std::cout << "purged the customer data of " << purged->orders << " orders ("
              << purged->customers << " customers); record " << purged->digest << std::endl;
    return 0;
  }
  if (backup->parsed()) {
    if (fs::exists(backup_out)) return Die(backup_out + " exists; choose a new file");
    auto store = OpenExistingStore(config);
    if (!store) return Die(store.error().message);
    auto done = (*store)->Backup(backup_out);
    if (!done) return Die(done.error().message);
    std::cout << "backup written to " << backup_out << std::endl;
    return 0;
  }
  return 0;
}
