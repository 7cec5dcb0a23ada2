// The worker's confinement (confine.hpp): unshare(2) for the namespaces, Landlock through its
// three system calls (glibc 2.36 has no wrappers, and Debian 12's kernel headers stop at
// Landlock's first versions, so the few constants and structures used are spelt out below, as
// the kernel's include/uapi/linux/landlock.h defines them), libseccomp for the filter.
#include "jobs/confine.hpp"

#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace keepsake::services {

namespace {

// include/uapi/linux/landlock.h (Linux 6.12), the parts used here.
struct LandlockRulesetAttr {
  uint64_t handled_access_fs = 0;
  uint64_t handled_access_net = 0;  // ABI 4
  uint64_t scoped = 0;              // ABI 6
};
struct __attribute__((packed)) LandlockPathBeneathAttr {
  uint64_t allowed_access = 0;
  int32_t parent_fd = -1;
};
constexpr uint32_t kCreateRulesetVersion = 1U << 0;
constexpr int kRulePathBeneath = 1;
constexpr uint64_t kFsExecute = 1ULL << 0, kFsWriteFile = 1ULL << 1, kFsReadFile = 1ULL << 2,
                   kFsReadDir = 1ULL << 3, kFsRemoveDir = 1ULL << 4, kFsRemoveFile = 1ULL << 5,
                   kFsMakeChar = 1ULL << 6, kFsMakeDir = 1ULL << 7, kFsMakeReg = 1ULL << 8,
                   kFsMakeSock = 1ULL << 9, kFsMakeFifo = 1ULL << 10, kFsMakeBlock = 1ULL << 11,
                   kFsMakeSym = 1ULL << 12, kFsRefer = 1ULL << 13,                  // ABI 2
    kFsTruncate = 1ULL << 14,                                                       // ABI 3
    kFsIoctlDev = 1ULL << 15;                                                       // ABI 5
constexpr uint64_t kNetBindTcp = 1ULL << 0, kNetConnectTcp = 1ULL << 1;             // ABI 4
constexpr uint64_t kScopeAbstractUnixSocket = 1ULL << 0, kScopeSignal = 1ULL << 1;  // ABI 6

// The rights on files (not folders) Landlock accepts in a rule for a file.
constexpr uint64_t kFileRights =
    kFsExecute | kFsWriteFile | kFsReadFile | kFsTruncate | kFsIoctlDev;

uint64_t FsRights(int abi) {
  uint64_t rights = kFsExecute | kFsWriteFile | kFsReadFile | kFsReadDir | kFsRemoveDir |
                    kFsRemoveFile | kFsMakeChar | kFsMakeDir | kFsMakeReg | kFsMakeSock |
                    kFsMakeFifo | kFsMakeBlock | kFsMakeSym;
  if (abi >= 2) rights |= kFsRefer;
  if (abi >= 3) rights |= kFsTruncate;
  if (abi >= 5) rights |= kFsIoctlDev;
  return rights;
}

std::string Why(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// Lets the ruleset grant `rights` under `path` (or on it, for a file). A path that does not
// exist here (/lib64 on some systems) is skipped.
bool Allow(int ruleset, const std::string& path, uint64_t rights, std::string& error) {
  const int fd = open(path.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT;
  struct stat st {};
  if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode)) rights &= kFileRights;
  LandlockPathBeneathAttr rule;
  rule.allowed_access = rights;
  rule.parent_fd = fd;
  const long added = syscall(SYS_landlock_add_rule, ruleset, kRulePathBeneath, &rule, 0);
  if (added != 0) error = Why(("landlock_add_rule " + path).c_str());
  close(fd);
  return added == 0;
}

// Files: the job folder read and write, `read_only` read; TCP neither bound nor connected
// (ABI 4), no abstract Unix sockets or signals outside (ABI 6). Returns the ABI, 0 if missing.
int RestrictByLandlock(const std::string& job_dir, const std::vector<std::string>& read_only,
                       std::vector<std::string>& missing) {
  const long abi_found = syscall(SYS_landlock_create_ruleset, nullptr, 0, kCreateRulesetVersion);
  if (abi_found < 1) {
    missing.push_back(Why("Landlock is not available (files are not restricted)"));
    return 0;
  }
  const int abi = static_cast<int>(abi_found);
  LandlockRulesetAttr attr;
  attr.handled_access_fs = FsRights(abi);
  if (abi >= 4) attr.handled_access_net = kNetBindTcp | kNetConnectTcp;
  if (abi >= 6) attr.scoped = kScopeAbstractUnixSocket | kScopeSignal;
  // the structure's size grew with the ABI: an older kernel is given only what it knows
  const std::size_t size = abi >= 6   ? sizeof attr
                           : abi >= 4 ? offsetof(LandlockRulesetAttr, scoped)
                                      : offsetof(LandlockRulesetAttr, handled_access_net);
  const long ruleset = syscall(SYS_landlock_create_ruleset, &attr, size, 0);
  if (ruleset < 0) {
    missing.push_back(Why("Landlock refused the ruleset (files are not restricted)"));
    return 0;
  }
  const int fd = static_cast<int>(ruleset);
  std::string error;
  bool ok = Allow(fd, job_dir, FsRights(abi) & ~kFsExecute, error);
  for (const std::string& path : read_only) {
    ok = ok && Allow(fd, path, kFsReadFile | kFsReadDir | kFsExecute, error);
  }
  if (!ok) {
    close(fd);
    missing.push_back(error + " (files are not restricted)");
    return 0;
  }
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);  // required by landlock_restrict_self
  const long restricted = syscall(SYS_landlock_restrict_self, fd, 0);
  close(fd);
  if (restricted != 0) {
    missing.push_back(Why("landlock_restrict_self (files are not restricted)"));
    return 0;
  }
  return abi;
}

// System calls a parser never needs, refused with EACCES (the call fails; the worker goes on to
// fail its job with that reason rather than be killed without one).
bool FilterSystemCalls(std::vector<std::string>& missing) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == nullptr) {
    missing.push_back("seccomp_init failed (system calls are not filtered)");
    return false;
  }
  bool ok = true;
  for (const int call :
       {SCMP_SYS(socket), SCMP_SYS(connect), SCMP_SYS(bind), SCMP_SYS(listen), SCMP_SYS(accept),
        SCMP_SYS(accept4), SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(ptrace),
        SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev), SCMP_SYS(mount), SCMP_SYS(umount2),
        SCMP_SYS(pivot_root), SCMP_SYS(chroot), SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(bpf),
        SCMP_SYS(perf_event_open), SCMP_SYS(userfaultfd), SCMP_SYS(keyctl), SCMP_SYS(add_key),
        SCMP_SYS(request_key), SCMP_SYS(kexec_load), SCMP_SYS(init_module), SCMP_SYS(finit_module),
        SCMP_SYS(delete_module),
        // io_uring runs socket and file operations outside the filter's sight
        SCMP_SYS(io_uring_setup)}) {
#if defined(__SANITIZE_ADDRESS__)
    // LeakSanitizer stops the process's threads with ptrace at exit (scripts/sanitize.sh only)
    if (call == SCMP_SYS(ptrace)) continue;
#endif
    ok = ok && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), call, 0) == 0;
  }
  const int loaded = ok ? seccomp_load(ctx) : -1;
  seccomp_release(ctx);
  if (loaded != 0) {
    missing.push_back("the seccomp filter could not be loaded (system calls are not filtered)");
    return false;
  }
  return true;
}

}  // namespace

Confinement ConfineWorker(const std::string& job_dir, const std::vector<std::string>& read_only) {
  Confinement c;
  // a network namespace of its own needs a user namespace to be made without privileges
  if (unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0) {
    c.network_namespace = true;
  } else {
    c.missing.push_back(Why("no network namespace (unshare)"));
  }
  c.landlock_abi = RestrictByLandlock(job_dir, read_only, c.missing);
  c.seccomp = FilterSystemCalls(c.missing);  // last: it refuses unshare
  return c;
}

}  // namespace keepsake::services
