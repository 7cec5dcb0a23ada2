// Runs untrusted work in a child process: keepsake re-executed in worker mode, exec'd right
// after fork (no SQLite handle or thread crosses the fork), in its own process group, with
// memory, CPU-time, file-size, open-file and wall-clock limits, dying with its parent.
// The child reports progress as lines "progress <0-100> <phase>" on stdout and writes its
// result to files in its job directory; stderr goes to <job_dir>/worker.log.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace keepsake::services {

struct SandboxLimits {
  int64_t memory_mb = 2048;
  int64_t cpu_s = 300;
  int64_t file_size_mb = 1024;
  int64_t wall_s = 600;
};

enum class SandboxEnd {
  kSucceeded,     // exit 0
  kRejected,      // exit 2: the input is unusable; the worker said why
  kOutOfMemory,   // exit 3 (allocation failed under RLIMIT_AS)
  kCrashed,       // killed by a signal of its own (SIGSEGV, SIGABRT, ...)
  kCpuLimit,      // SIGXCPU or SIGKILL after the CPU-time limit
  kWallClock,     // we killed it after the wall-clock limit
  kFailed,        // any other exit code, or it could not start
  kCancelled,     // we killed it because the server is shutting down
  kReachRefused,  // exit 4: it tried to reach what its confinement does not allow
};

struct SandboxResult {
  SandboxEnd end = SandboxEnd::kFailed;
  int exit_code = -1;
  int signal = 0;
  std::string message;  // a plain-words reason for anything but kSucceeded
};

using ProgressFn = std::function<void(int progress, const std::string& phase)>;

// `args` excludes argv[0]; `env` is the child's whole environment ("K=V"). When `cancel`
// becomes true the worker is killed within a second and the result is kCancelled.
SandboxResult RunSandboxed(const std::string& executable, const std::vector<std::string>& args,
                           const std::vector<std::string>& env, const std::string& job_dir,
                           const SandboxLimits& limits, const ProgressFn& on_progress,
                           const std::atomic<bool>* cancel = nullptr);

// The path of the running executable (/proc/self/exe), read once.
const std::string& SelfExecutable();

}  // namespace keepsake::services
