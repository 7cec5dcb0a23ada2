// The worker side of the sandbox: `keepsake worker --job job.json`, started by the job runner
// in the job folder. It reads its JobSpec, parses the customer's file, writes result.json
// (temp file + rename) and exits:
//   0 done, 2 the input is unusable (the reason is the last line on stderr),
//   3 out of memory (an allocation failed under the memory limit),
//   4 the sandbox refused something the worker tried to reach (the reason on stderr).
// A layer of the confinement that the kernel lacks is written to stderr on a line that starts
// with kConfinementMissing.
#pragma once

#include <string>

#include "keepsake/services/job_spec.hpp"

namespace keepsake::services {

inline constexpr int kWorkerExitRejected = 2;
inline constexpr int kWorkerExitOutOfMemory = 3;
inline constexpr int kWorkerExitReachRefused = 4;
inline constexpr const char* kConfinementMissing = "confinement missing: ";

// Reads the spec at `job_file` (job.json) and runs it.
int RunWorker(const std::string& job_file);
int RunWorker(const JobSpec& spec);

}  // namespace keepsake::services
