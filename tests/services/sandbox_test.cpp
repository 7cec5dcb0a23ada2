// Workers that crash, eat memory or run away: their job fails with a clear reason and the
// server stays up. The faults are injected with KEEPSAKE_WORKER_FAULT, which the server passes
// to its workers only when it was itself started with it.
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace keepsake::testing {
namespace {

using nlohmann::json;

struct Outcome {
  std::string job_state;
  std::string error;
  std::string code;  // the job's error_code
  std::string item_state;
};

Outcome RunFaultyJob(const std::string& fault, std::vector<std::string> args) {
  TempDir dir;
  args.insert(args.end(), {"--job-max-attempts", "1"});
  ServerProcess server(dir.path() / "data", args, {{"KEEPSAKE_WORKER_FAULT", fault}});
  server.Start();
  const std::string item = PlaceOrderWithFile(
      server, "images/lowres_portrait_exif_prompt_512x768.jpg", "magnet-rect", "fault-" + fault);
  Outcome out;
  EXPECT_TRUE(WaitFor(
      [&] {
        json jobs = ItemJobs(server, item);
        out.job_state = jobs[0]["state"];
        out.error = jobs[0]["error"].is_string() ? jobs[0]["error"].get<std::string>() : "";
        out.code =
            jobs[0]["error_code"].is_string() ? jobs[0]["error_code"].get<std::string>() : "";
        return out.job_state == "failed" || out.job_state == "dead";
      },
      60000));
  out.item_state = ItemState(server, item);
  EXPECT_EQ(server.Client()->Get("/healthz")->status, 200);
  return out;
}

TEST(Sandbox, SegfaultingWorkerFailsItsJobAndTheServerStaysUp) {
  Outcome out = RunFaultyJob("segv", {});
  EXPECT_EQ(out.job_state, "dead");  // crashes are retried; one attempt allowed here
  EXPECT_NE(out.error.find("crashed (SIGSEGV)"), std::string::npos) << out.error;
  EXPECT_EQ(out.code, "sandbox.crashed");
  EXPECT_EQ(out.item_state, "failed");
}

TEST(Sandbox, WorkerOverItsMemoryLimitFails) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "RLIMIT_AS does not apply to AddressSanitizer builds (see sandbox.cpp)";
#endif
  Outcome out = RunFaultyJob("alloc", {"--worker-memory-mb", "256"});
  EXPECT_EQ(out.job_state, "failed");
  EXPECT_NE(out.error.find("memory limit of 256 MB"), std::string::npos) << out.error;
  EXPECT_EQ(out.code, "sandbox.out_of_memory");
  EXPECT_EQ(out.item_state, "failed");
}

TEST(Sandbox, RunawayWorkerIsStoppedByTheCpuLimit) {
  Outcome out = RunFaultyJob("spin", {"--worker-cpu-s", "1", "--worker-wall-s", "30"});
  EXPECT_EQ(out.job_state, "failed");
  EXPECT_NE(out.error.find("CPU time"), std::string::npos) << out.error;
  EXPECT_EQ(out.code, "sandbox.cpu_limit");
}

TEST(Sandbox, SleepingWorkerIsStoppedByTheWallClock) {
  // spin under a generous CPU limit and a short wall clock: the wall clock fires first
  Outcome out = RunFaultyJob("spin", {"--worker-cpu-s", "600", "--worker-wall-s", "2"});
  EXPECT_EQ(out.job_state, "dead");
  EXPECT_NE(out.error.find("longer than 2 s"), std::string::npos) << out.error;
  EXPECT_EQ(out.code, "sandbox.wall_clock");
}

}  // namespace
}  // namespace keepsake::testing
