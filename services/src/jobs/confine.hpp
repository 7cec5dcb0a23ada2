// Private to the job worker: what a worker may reach once it starts on a customer's file. It
// runs as the server's user, so without this a worker taken over through a parser's bug (Assimp,
// OpenCV, libpng) could open keepsake.db or connect out. After ConfineWorker it has:
//   - its own, empty network namespace (an unprivileged user namespace with a network
//     namespace: no interface, not even a loopback that reaches the server);
//   - files by Landlock: its job folder read and write; what the program needs to run (the
//     system's libraries, fonts and profiles under /usr, the shop's assets folder, a few named
//     files) read only; nothing else, so not the data folder, and no TCP bind or connect;
//   - system calls by a seccomp filter (libseccomp): no sockets, no new programs (execve), no
//     ptrace or reading other processes' memory, no mounts, namespaces, BPF or kernel keys.
// Each layer stands alone; one the kernel lacks is named in `missing`, and the worker writes
// that to its log (docs/security.md).
#pragma once

#include <string>
#include <vector>

namespace keepsake::services {

struct Confinement {
  bool network_namespace = false;
  int landlock_abi = 0;  // 0: no Landlock
  bool seccomp = false;
  std::vector<std::string> missing;  // in words: which layer is missing and why
};

// Confines the calling process, which must still be single-threaded (a user namespace cannot
// be entered by a process with threads). `job_dir` is read and written; `read_only` are the
// folders and files read besides the system's own.
Confinement ConfineWorker(const std::string& job_dir, const std::vector<std::string>& read_only);

}  // namespace keepsake::services
