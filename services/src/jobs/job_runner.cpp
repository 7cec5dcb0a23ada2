#include "keepsake/services/job_runner.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "keepsake/services/asset_files.hpp"
#include "keepsake/services/job_spec.hpp"
#include "keepsake/services/paths.hpp"
#include "keepsake/services/sandbox.hpp"

namespace keepsake::services {

namespace fs = std::filesystem;

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

void JobRunner::Run(const orders::Job& job, const std::string& owner) {
  const auto started = std::chrono::steady_clock::now();
  spdlog::info("event=job_start job={} kind={} attempt={}", job.id, job.kind, job.attempts);
  const bool evidence = job.kind == orders::JobKindName(orders::JobKind::kInspectEvidence);
  auto fail = [&](const std::string& reason, bool retryable,
                  const std::string& item_event = "prepare_failed") {
    // a claim's photo is about the item, not a preparation of it: the item stays as it is
    auto done = store_.Jobs().FailJob(job.id, owner, reason, retryable, evidence ? "" : item_event);
    if (!done)
      spdlog::error("event=job_fail_record_failed job={} error=\"{}\"", job.id,
                    done.error().message);
    spdlog::warn("event=job_failed job={} retryable={} reason=\"{}\"", job.id, retryable, reason);
  };

  auto asset = store_.Orders().GetAsset(job.asset_id);
  if (!asset) return fail("the asset of this job is missing", false);
  const DataPaths paths(config_.data_dir);
  const fs::path job_dir = paths.JobDir(job.id, job.attempts);
  std::error_code ec;
  fs::remove_all(job_dir, ec);
  fs::create_directories(job_dir, ec);
  if (ec) return fail("cannot create the job directory", true);
  fs::permissions(job_dir, fs::perms::owner_all, ec);
  const std::string input = "input." + asset->format;
  // A hard link keeps the stored asset read-only to the worker's view and costs no copy.
  fs::create_hard_link(paths.AssetFile(asset->id), job_dir / input, ec);
  if (ec) {
    ec.clear();
    fs::copy_file(paths.AssetFile(asset->id), job_dir / input, ec);
  }
  if (ec) return fail("the stored asset file cannot be read", false);

  // the item's product, options and fine-tuning when the job was queued, written once for the
  // worker (job.json is this user's only, like the folder: a greeting is personal and a command
  // line is readable by every local user)
  auto spec = SpecForJob(job, *asset, catalog_, config_);
  if (!spec) return fail(spec.error(), false);
  if (spec->input != input) return fail("the job's input file is not the asset's", false);
  if (!WriteFileAtomically(job_dir / "job.json", JobSpecJson(*spec))) {
    return fail("cannot write job.json into the job directory", true);
  }
  const std::vector<std::string> args = {"worker", "--job", "job.json"};
  std::vector<std::string> env = {
      "PATH=/usr/bin:/bin", "LANG=C.UTF-8",
      // OpenCV reads its decoder pixel limit from the environment once, before any decode
      "CV_IO_MAX_IMAGE_PIXELS=" + std::to_string(config_.worker.max_image_pixels),
      "OPENCV_IO_ENABLE_OPENEXR=0"};
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS"}) {
    if (const char* value = std::getenv(name)) env.push_back(std::string(name) + "=" + value);
  }
  if (const char* fault = std::getenv("KEEPSAKE_WORKER_FAULT")) {
    env.push_back(std::string("KEEPSAKE_WORKER_FAULT=") + fault);
  }
  SandboxLimits limits{config_.worker.memory_mb, config_.worker.cpu_s, config_.worker.file_size_mb,
                       config_.worker.wall_s};
  SandboxResult result = RunSandboxed(
      SelfExecutable(), args, env, job_dir.string(), limits,
      [&](int progress, const std::string& phase) {
        auto reported = store_.Jobs().ReportProgress(job.id, owner, progress, phase,
                                                     (config_.worker.wall_s + 60) * 1000);
        (void)reported;  // a lost lease shows when the job ends
      },
      &stopping_);

  switch (result.end) {
    case SandboxEnd::kSucceeded: {
      std::ifstream in(job_dir / "result.json");
      std::stringstream text;
      text << in.rdbuf();
      auto parsed = nlohmann::json::parse(text.str(), nullptr, false);
      if (parsed.is_discarded()) {
        fail("the worker finished without a readable result", true);
        break;
      }
      // the print files become content-addressed assets, frozen by their hash
      bool stored = true;
      for (const char* name :
           {"model.stl", "model.3mf", "model.ply", "model.wrl", "texture.png", "model_obj.zip",
            "deviation.bin", "uvs.bin", "colour_de.bin", "print.pdf", "print.png", "preview.png"}) {
        if (!fs::exists(job_dir / name)) continue;
        std::ifstream file(job_dir / name, std::ios::binary);
        std::stringstream bytes;
        bytes << file.rdbuf();
        const std::string content = bytes.str();
        const auto sha = StoreAssetBytes(paths, content);
        const std::string format = fs::path(name).extension().string().substr(1);
        // 2D artwork (pictures, the print PDF) or a 3D model
        const char* kind = format == "png" || format == "pdf" ? "image" : "mesh";
        stored = sha && store_.Orders().RecordAsset(
                            {*sha, kind, format, static_cast<int64_t>(content.size()), ""});
        if (!stored) break;
        parsed["files"][name] = {{"asset", *sha}, {"bytes", content.size()}};
      }
      if (!stored) {
        fail("the print file could not be stored", true);
        break;
      }
      // what the print room prints: a figure's STL (the 3MF, PLY and WRL travel with it in the
      // result), a 2D product's PDF
      std::string print_file;
      for (const char* name : {"model.stl", "print.pdf"}) {
        if (parsed["files"].contains(name)) print_file = parsed["files"][name]["asset"];
      }
      // a 2D print that raised no warning is approved by its checks; anything else waits for
      // a reviewer
      const bool passed = job.kind == orders::JobKindName(orders::JobKind::kRenderPrint) &&
                          !print_file.empty() &&
                          parsed.value("warnings", nlohmann::json::array()).empty();
      // claim evidence is about the item, not a preparation of it: no item event
      const std::string item_event = evidence ? "" : passed ? "passed_checks" : "prepared";
      auto done = store_.Jobs().CompleteJob(job.id, owner, parsed.dump(), item_event, print_file);
      if (!done)
        spdlog::error("event=job_complete_failed job={} error=\"{}\"", job.id,
                      done.error().message);
      break;
    }
    case SandboxEnd::kRejected:
      // the customer's file cannot be used: customer service asks for another one
      fail(result.message, false, "unusable");
      break;
    case SandboxEnd::kOutOfMemory:
    case SandboxEnd::kCpuLimit:
      fail(result.message, false);  // the same file would fail the same way again
      break;
    case SandboxEnd::kCrashed:
    case SandboxEnd::kWallClock:
    case SandboxEnd::kFailed:
      fail(result.message, true);
      break;
    case SandboxEnd::kCancelled:
      // not the job's fault and not an attempt: the lease is released at the next start
      spdlog::info("event=job_interrupted job={} reason=shutdown", job.id);
      break;
  }
  fs::remove_all(job_dir, ec);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  spdlog::info("event=job_end job={} kind={} outcome={} seconds={:.3f}", job.id, job.kind,
               result.end == SandboxEnd::kSucceeded ? "succeeded" : "failed", seconds);
}

}  // namespace keepsake::services
