// fork + execve with setrlimit (POSIX), PR_SET_PDEATHSIG and PR_SET_NO_NEW_PRIVS (prctl(2)).
// Between fork and exec the child calls only async-signal-safe functions: the server is
// multithreaded, so anything else (malloc, locks) could deadlock in the child.
#include "keepsake/services/sandbox.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace keepsake::services {

namespace {

struct CArgs {
  std::vector<std::string> storage;
  std::vector<char*> pointers;
  explicit CArgs(std::vector<std::string> strings) : storage(std::move(strings)) {
    for (std::string& s : storage) pointers.push_back(s.data());
    pointers.push_back(nullptr);
  }
};

[[noreturn]] void ChildExec(const char* exe, char* const* argv, char* const* envp,
                            const char* job_dir, const char* log_path, int stdout_fd,
                            const SandboxLimits& limits, pid_t parent) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  // the parent may have died between fork and prctl: then no signal will come (an orphaned
  // worker was found still repairing a mesh minutes after its test server had gone)
  if (getppid() != parent) _exit(126);
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  const rlim_t mb = 1024 * 1024;
  rlimit as{static_cast<rlim_t>(limits.memory_mb) * mb, static_cast<rlim_t>(limits.memory_mb) * mb};
  rlimit cpu{static_cast<rlim_t>(limits.cpu_s), static_cast<rlim_t>(limits.cpu_s + 5)};
  rlimit fsize{static_cast<rlim_t>(limits.file_size_mb) * mb,
               static_cast<rlim_t>(limits.file_size_mb) * mb};
  rlimit core{0, 0};
  rlimit nofile{64, 64};
#if !defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer reserves terabytes of shadow address space, so a sanitizer build cannot
  // run under RLIMIT_AS; its workers run without the memory limit (scripts/sanitize.sh only).
  setrlimit(RLIMIT_AS, &as);
#else
  (void)as;
#endif
  setrlimit(RLIMIT_CPU, &cpu);
  setrlimit(RLIMIT_FSIZE, &fsize);
  setrlimit(RLIMIT_CORE, &core);
  setrlimit(RLIMIT_NOFILE, &nofile);
  if (chdir(job_dir) != 0) _exit(126);
  int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log_fd < 0 || null_fd < 0) _exit(126);
  dup2(null_fd, 0);
  dup2(stdout_fd, 1);
  dup2(log_fd, 2);
  // every other descriptor (sockets, the SQLite files) is closed before exec
  syscall(SYS_close_range, 3U, ~0U, 0U);
  execve(exe, argv, envp);
  _exit(127);
}

std::string SignalName(int sig) {
  const char* name = sigabbrev_np(sig);
  return name ? std::string("SIG") + name : "signal " + std::to_string(sig);
}

std::string LastLogLine(const std::string& log_path) {
  std::ifstream in(log_path);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last.substr(0, 500);
}

enum class Watch { kEnded, kTimedOut, kCancelled };

// Reads the worker's progress lines ("progress 40 repair") from `fd` until it closes its end,
// the wall clock runs out or the server asks to stop.
Watch WatchWorker(int fd, std::chrono::steady_clock::time_point deadline,
                  const std::atomic<bool>* cancel, const ProgressFn& on_progress) {
  std::string pending;
  char buf[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Watch::kTimedOut;
    if (cancel != nullptr && cancel->load()) return Watch::kCancelled;
    pollfd pfd{fd, POLLIN, 0};
    const int ready = poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR) return Watch::kEnded;
    if (ready <= 0) continue;
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return Watch::kEnded;  // EOF: the worker closed stdout (it is exiting)
    pending.append(buf, static_cast<size_t>(n));
    size_t newline;
    while ((newline = pending.find('\n')) != std::string::npos) {
      std::istringstream line(pending.substr(0, newline));
      pending.erase(0, newline + 1);
      std::string word, phase;
      int progress = 0;
      if (line >> word >> progress >> phase && word == "progress" && on_progress) {
        on_progress(progress, phase);
      }
    }
    if (pending.size() > 65536) pending.clear();  // a worker that floods stdout gets no say
  }
}

// How a worker killed by `signal` ended, from the CPU time it used.
void EndBySignal(int signal, const rusage& usage, const SandboxLimits& limits,
                 SandboxResult& result) {
  result.signal = signal;
  // RLIMIT_CPU sends SIGXCPU at the soft limit and SIGKILL at the hard one; a SIGKILL before
  // the worker used its CPU time came from outside (the kernel's out-of-memory killer, an
  // operator): not the file's fault, so the job is tried again
  const double cpu_s = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                       static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  if (signal == SIGKILL && cpu_s < static_cast<double>(limits.cpu_s)) {
    result.end = SandboxEnd::kCrashed;
    result.message = "the worker was killed from outside (SIGKILL) after " +
                     std::to_string(static_cast<int>(cpu_s)) + " s of CPU time";
  } else if (signal == SIGXCPU || signal == SIGKILL) {
    result.end = SandboxEnd::kCpuLimit;
    result.message = "the worker used more than " + std::to_string(limits.cpu_s) +
                     " s of CPU time and was stopped";
  } else {
    result.end = SandboxEnd::kCrashed;
    result.message = "the worker crashed (" + SignalName(signal) + ") while reading this file";
  }
}

// How a worker that exited with `code` ended (worker.hpp: 2 refused the file, 3 out of memory,
// 4 refused by its confinement).
void EndByExit(int code, const SandboxLimits& limits, const std::string& log_path,
               SandboxResult& result) {
  result.exit_code = code;
  switch (code) {
    case 0:
      result.end = SandboxEnd::kSucceeded;
      break;
    case 2:
      result.end = SandboxEnd::kRejected;
      result.message = LastLogLine(log_path);
      if (result.message.empty()) result.message = "the worker rejected the file";
      break;
    case 3:
      result.end = SandboxEnd::kOutOfMemory;
      result.message = "the file needs more than the worker's memory limit of " +
                       std::to_string(limits.memory_mb) + " MB";
      break;
    case 4:
      result.end = SandboxEnd::kReachRefused;
      result.message = LastLogLine(log_path);
      if (result.message.empty()) result.message = "the sandbox refused what the worker tried";
      break;
    default:
      result.end = SandboxEnd::kFailed;
      result.message = "the worker failed with exit code " + std::to_string(code);
      break;
  }
}

}  // namespace

const std::string& SelfExecutable() {
  static const std::string path = [] {
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }();
  return path;
}

SandboxResult RunSandboxed(const std::string& executable, const std::vector<std::string>& args,
                           const std::vector<std::string>& env, const std::string& job_dir,
                           const SandboxLimits& limits, const ProgressFn& on_progress,
                           const std::atomic<bool>* cancel) {
  std::vector<std::string> argv_strings{executable};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  CArgs argv(argv_strings);
  CArgs envp(env);
  const std::string log_path = job_dir + "/worker.log";

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return {SandboxEnd::kFailed, -1, 0, "cannot create a pipe for the worker"};
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return {SandboxEnd::kFailed, -1, 0, "cannot start a worker process"};
  }
  if (pid == 0) {
    ChildExec(executable.c_str(), argv.pointers.data(), envp.pointers.data(), job_dir.c_str(),
              log_path.c_str(), pipe_fds[1], limits, parent);
  }
  close(pipe_fds[1]);
  setpgid(pid, pid);  // also from the parent, so the group exists before we might kill it

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(limits.wall_s);
  const Watch watched = WatchWorker(pipe_fds[0], deadline, cancel, on_progress);
  bool timed_out = watched != Watch::kEnded;  // cancelled takes the same path: kill, then reap
  const bool cancelled = watched == Watch::kCancelled;
  close(pipe_fds[0]);

  int status = 0;
  rusage usage{};
  for (;;) {
    if (timed_out) kill(-pid, SIGKILL);
    const pid_t done = wait4(pid, &status, timed_out ? 0 : WNOHANG, &usage);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) {
      return {SandboxEnd::kFailed, -1, 0, "lost track of the worker process"};
    }
    // the worker closed stdout but has not exited yet: wait, within the wall clock
    if (!timed_out && std::chrono::steady_clock::now() >= deadline) timed_out = true;
    if (!timed_out) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(-pid, SIGKILL);  // anything the worker left behind in its group

  SandboxResult result;
  if (cancelled) {
    result.end = SandboxEnd::kCancelled;
    result.message = "the server shut down while the worker ran";
    return result;
  }
  if (timed_out) {
    result.end = SandboxEnd::kWallClock;
    result.signal = SIGKILL;
    result.message =
        "the worker ran longer than " + std::to_string(limits.wall_s) + " s and was stopped";
    return result;
  }
  if (WIFSIGNALED(status)) {
    EndBySignal(WTERMSIG(status), usage, limits, result);
  } else {
    EndByExit(WEXITSTATUS(status), limits, log_path, result);
  }
  return result;
}

}  // namespace keepsake::services
