#include "keepsake/services/job_runner.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "keepsake/services/asset_files.hpp"
#include "keepsake/services/job_spec.hpp"
#include "keepsake/services/paths.hpp"
#include "keepsake/services/sandbox.hpp"
#include "keepsake/services/worker.hpp"

namespace keepsake::services {

namespace fs = std::filesystem;

namespace {

// The code of a job the sandbox ended (the worker's own refusals name theirs in report.json).
const char* SandboxEndCode(SandboxEnd end) {
  switch (end) {
    case SandboxEnd::kOutOfMemory:
      return "sandbox.out_of_memory";
    case SandboxEnd::kCpuLimit:
      return "sandbox.cpu_limit";
    case SandboxEnd::kCrashed:
      return "sandbox.crashed";
    case SandboxEnd::kWallClock:
      return "sandbox.wall_clock";
    case SandboxEnd::kReachRefused:
      return "sandbox.reach_refused";
    case SandboxEnd::kSucceeded:
    case SandboxEnd::kRejected:
    case SandboxEnd::kFailed:
    case SandboxEnd::kCancelled:
      break;
  }
  return "sandbox.failed";
}

// A layer of the workers' confinement that this kernel lacks (confine.hpp), as the worker wrote
// it to its log: warned once per kind, not once per job.
void LogMissingConfinement(const fs::path& worker_log) {
  static std::mutex mutex;
  static std::set<std::string> told;
  std::ifstream in(worker_log);
  std::string line;
  const std::string prefix = kConfinementMissing;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    const std::string what = line.substr(prefix.size());
    const std::lock_guard<std::mutex> lock(mutex);
    if (told.insert(what).second) {
      spdlog::warn("event=worker_confinement_missing reason=\"{}\"", what);
    }
  }
}

// A worker that refused its input wrote the module's code into report.json.
std::string RefusalCode(const fs::path& job_dir) {
  std::ifstream in(job_dir / "report.json");
  const auto report = nlohmann::json::parse(in, nullptr, false);
  return report.is_object() && report.contains("code") && report["code"].is_string()
             ? report["code"].get<std::string>()
             : "prepare.refused";
}

}  // namespace

JobRunner::JobRunner(const ServerConfig& config, orders::Store& store,
                     const orders::ProductCatalog& catalog)
    : config_(config), store_(store), catalog_(catalog) {}

JobRunner::~JobRunner() { Stop(); }

void JobRunner::Start() {
  stopping_ = false;
  for (int i = 0; i < config_.job_workers; ++i) threads_.emplace_back([this, i] { Loop(i); });
}

void JobRunner::Stop() {
  stopping_ = true;
  wake_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void JobRunner::Wake() { wake_.notify_all(); }

void JobRunner::Loop(int index) {
  const std::string owner = "runner-" + std::to_string(getpid()) + "-" + std::to_string(index);
  // A lease outlives the worker's wall-clock limit, so a live runner never loses its job.
  const int64_t lease_ms = (config_.worker.wall_s + 60) * 1000;
  while (!stopping_) {
    auto leased = store_.Jobs().LeaseJob(owner, lease_ms);
    if (!leased) {
      spdlog::error("event=job_lease_failed error=\"{}\"", leased.error().message);
    } else if (*leased) {
      Run(**leased, owner);
      continue;
    }
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stopping_.load(); });
  }
}

namespace {

// a claim's photo: about the item, never a preparation of it
bool IsEvidence(const orders::Job& job) {
  return job.kind == orders::JobKindName(orders::JobKind::kInspectEvidence);
}

}  // namespace

void JobRunner::Fail(const orders::Job& job, const std::string& owner, const Failure& failure) {
  // a claim's photo is about the item, not a preparation of it: the item stays as it is
  auto done = store_.Jobs().FailJob(job.id, owner, failure.code, failure.reason, failure.retryable,
                                    IsEvidence(job) ? "" : failure.item_event);
  if (!done) {
    spdlog::error("event=job_fail_record_failed job={} error=\"{}\"", job.id, done.error().message);
  }
  spdlog::warn("event=job_failed job={} retryable={} code={} reason=\"{}\"", job.id,
               failure.retryable, failure.code, failure.reason);
}

tl::expected<fs::path, JobRunner::Failure> JobRunner::PrepareFolder(const orders::Job& job) {
  auto asset = store_.Orders().GetAsset(job.asset_id);
  if (!asset)
    return tl::unexpected(Failure{"job.asset_missing", "the asset of this job is missing"});
  const DataPaths paths(config_.data_dir);
  const fs::path job_dir = paths.JobDir(job.id, job.attempts);
  std::error_code ec;
  fs::remove_all(job_dir, ec);
  fs::create_directories(job_dir, ec);
  if (ec) return tl::unexpected(Failure{"job.io", "cannot create the job directory", true});
  fs::permissions(job_dir, fs::perms::owner_all, ec);
  const std::string input = "input." + asset->format;
  // A hard link keeps the stored asset read-only to the worker's view and costs no copy.
  fs::create_hard_link(paths.AssetFile(asset->id), job_dir / input, ec);
  if (ec) {
    ec.clear();
    fs::copy_file(paths.AssetFile(asset->id), job_dir / input, ec);
  }
  if (ec) {
    return tl::unexpected(Failure{"job.asset_unreadable", "the stored asset file cannot be read"});
  }
  // the item's product, options and fine-tuning when the job was queued, written once for the
  // worker (job.json is this user's only, like the folder: a greeting is personal and a command
  // line is readable by every local user)
  auto spec = SpecForJob(job, *asset, catalog_, config_);
  if (!spec) return tl::unexpected(Failure{"job.spec_refused", spec.error()});
  if (spec->input != input) {
    return tl::unexpected(Failure{"job.spec_refused", "the job's input file is not the asset's"});
  }
  if (!WriteFileAtomically(job_dir / "job.json", JobSpecJson(*spec))) {
    return tl::unexpected(Failure{"job.io", "cannot write job.json into the job directory", true});
  }
  return job_dir;
}

std::vector<std::string> JobRunner::WorkerEnvironment() const {
  std::vector<std::string> env = {
      "PATH=/usr/bin:/bin", "LANG=C.UTF-8",
      // malloc asks for 2 MB pages (transparent huge pages, madvise mode): a print's 100+ MB of
      // pixel buffers then cost a few hundred page faults instead of tens of thousands, which
      // on a virtual machine serialise the cores (7-inch print 1.32 s -> 0.82 s; see
      // docs/performance.md)
      "GLIBC_TUNABLES=glibc.malloc.hugetlb=1"};
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS"}) {
    if (const char* value = std::getenv(name)) env.push_back(std::string(name) + "=" + value);
  }
  if (const char* fault = std::getenv("KEEPSAKE_WORKER_FAULT")) {
    env.push_back(std::string("KEEPSAKE_WORKER_FAULT=") + fault);
  }
  return env;
}

std::optional<JobRunner::Failure> JobRunner::Complete(const orders::Job& job,
                                                      const std::string& owner,
                                                      const fs::path& job_dir) {
  std::ifstream in(job_dir / "result.json");
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = nlohmann::json::parse(text.str(), nullptr, false);
  if (parsed.is_discarded()) {
    return Failure{"job.no_result", "the worker finished without a readable result", true};
  }
  // the print files become content-addressed assets, frozen by their hash
  const DataPaths paths(config_.data_dir);
  for (const char* name :
       {"model.stl", "model.3mf", "model.ply", "model.wrl", "texture.png", "model_obj.zip",
        "deviation.bin", "uvs.bin", "colour_de.bin", "print.pdf", "print.png", "preview.png",
        "print.jpg", "cut.png", "cut.svg"}) {
    if (!fs::exists(job_dir / name)) continue;
    std::ifstream file(job_dir / name, std::ios::binary);
    std::stringstream bytes;
    bytes << file.rdbuf();
    const std::string content = bytes.str();
    const auto sha = StoreAssetBytes(paths, content);
    const std::string format = fs::path(name).extension().string().substr(1);
    // 2D artwork (pictures, the print PDF) or a 3D model
    const char* kind =
        format == "png" || format == "pdf" || format == "jpg" || format == "svg" ? "image" : "mesh";
    if (!sha || !store_.Orders().RecordAsset(
                    {*sha, kind, format, static_cast<int64_t>(content.size()), ""})) {
      return Failure{"job.io", "the print file could not be stored", true};
    }
    parsed["files"][name] = {{"asset", *sha}, {"bytes", content.size()}};
  }
  // what the print room prints: a figure's STL (the 3MF, PLY and WRL travel with it in the
  // result), a 2D product's PDF
  std::string print_file;
  for (const char* name : {"model.stl", "print.pdf"}) {
    if (parsed["files"].contains(name)) print_file = parsed["files"][name]["asset"];
  }
  // a 2D print that raised no warning is approved by its checks; anything else waits for a
  // reviewer
  const bool passed = job.kind == orders::JobKindName(orders::JobKind::kRenderPrint) &&
                      !print_file.empty() &&
                      parsed.value("warnings", nlohmann::json::array()).empty();
  // claim evidence is about the item, not a preparation of it: no item event
  const std::string item_event = IsEvidence(job) ? "" : passed ? "passed_checks" : "prepared";
  auto done = store_.Jobs().CompleteJob(job.id, owner, parsed.dump(), item_event, print_file);
  if (!done) {
    spdlog::error("event=job_complete_failed job={} error=\"{}\"", job.id, done.error().message);
  }
  return std::nullopt;
}

void JobRunner::Run(const orders::Job& job, const std::string& owner) {
  const auto started = std::chrono::steady_clock::now();
  spdlog::info("event=job_start job={} kind={} attempt={}", job.id, job.kind, job.attempts);
  auto job_dir = PrepareFolder(job);
  if (!job_dir) return Fail(job, owner, job_dir.error());
  const SandboxLimits limits{config_.worker.memory_mb, config_.worker.cpu_s,
                             config_.worker.file_size_mb, config_.worker.wall_s};
  const SandboxResult result = RunSandboxed(
      SelfExecutable(), {"worker", "--job", "job.json"}, WorkerEnvironment(), job_dir->string(),
      limits,
      [&](int progress, const std::string& phase) {
        auto reported = store_.Jobs().ReportProgress(job.id, owner, progress, phase,
                                                     (config_.worker.wall_s + 60) * 1000);
        (void)reported;  // a lost lease shows when the job ends
      },
      &stopping_);

  std::optional<Failure> failure;
  switch (result.end) {
    case SandboxEnd::kSucceeded:
      failure = Complete(job, owner, *job_dir);
      break;
    case SandboxEnd::kRejected:
      // the customer's file cannot be used: customer service asks for another one
      failure = Failure{RefusalCode(*job_dir), result.message, false, "unusable"};
      break;
    case SandboxEnd::kOutOfMemory:
    case SandboxEnd::kCpuLimit:
    case SandboxEnd::kReachRefused:
      // the same file would fail the same way again (one that makes a parser reach for the
      // database or the network is hostile)
      failure = Failure{SandboxEndCode(result.end), result.message, false};
      break;
    case SandboxEnd::kCrashed:
    case SandboxEnd::kWallClock:
    case SandboxEnd::kFailed:
      failure = Failure{SandboxEndCode(result.end), result.message, true};
      break;
    case SandboxEnd::kCancelled:
      // not the job's fault and not an attempt: the lease is released at the next start
      spdlog::info("event=job_interrupted job={} reason=shutdown", job.id);
      break;
  }
  if (failure) Fail(job, owner, *failure);
  LogMissingConfinement(*job_dir / "worker.log");
  std::error_code ec;
  fs::remove_all(*job_dir, ec);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  spdlog::info("event=job_end job={} kind={} outcome={} seconds={:.3f}", job.id, job.kind,
               result.end == SandboxEnd::kSucceeded && !failure ? "succeeded" : "failed", seconds);
}

}  // namespace keepsake::services
