// Workers that crash, eat memory or run away: their job fails with a clear reason and the
// server stays up. The faults are injected with KEEPSAKE_WORKER_FAULT, which the server passes
// to its workers only when it was itself started with it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <functional>

#include "test_support.hpp"

namespace keepsake::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Outcome {
  std::string job_state;
  std::string error;
  std::string code;  // the job's error_code
  std::string item_state;
};

// The fault may name the server's data folder: `fault_for` is given it.
Outcome RunFaultyJob(const std::function<std::string(const fs::path&)>& fault_for,
                     std::vector<std::string> args) {
  TempDir dir;
  args.insert(args.end(), {"--job-max-attempts", "1"});
  const fs::path data = dir.path() / "data";
  ServerProcess server(data, args, {{"KEEPSAKE_WORKER_FAULT", fault_for(data)}});
  server.Start();
  const std::string item = PlaceOrderWithFile(
      server, "images/lowres_portrait_exif_prompt_512x768.jpg", "magnet-rect", "fault-job");
  Outcome out;
  EXPECT_TRUE(WaitFor(
      [&] {
        json jobs = ItemJobs(server, item);
        out.job_state = jobs[0]["state"];
        out.error = jobs[0]["error"].is_string() ? jobs[0]["error"].get<std::string>() : "";
        out.code =
            jobs[0]["error_code"].is_string() ? jobs[0]["error_code"].get<std::string>() : "";
        // a job that succeeds was not stopped: the test fails at once rather than waiting
        return out.job_state == "failed" || out.job_state == "dead" || out.job_state == "succeeded";
      },
      60000));
  out.item_state = ItemState(server, item);
  EXPECT_EQ(server.Client()->Get("/healthz")->status, 200);
  return out;
}

Outcome RunFaultyJob(const std::string& fault, std::vector<std::string> args) {
  return RunFaultyJob([&](const fs::path&) { return fault; }, std::move(args));
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

// A worker taken over through a parser's bug reaches for what it should not (confine.hpp): the
// confinement refuses, the job fails with the reason and is not tried again (the same file
// would do the same), and the server lives. Each fault goes on with the job when it is not
// refused, so an unconfined worker fails these tests.
void ExpectRefused(const Outcome& out, const std::string& what) {
  EXPECT_EQ(out.job_state, "failed");
  EXPECT_EQ(out.code, "sandbox.reach_refused");
  EXPECT_NE(out.error.find("the sandbox refused the worker's attempt to " + what),
            std::string::npos)
      << out.error;
  EXPECT_EQ(out.item_state, "failed");
}

TEST(Sandbox, AWorkerCannotOpenTheDatabase) {
  Outcome out = RunFaultyJob(
      [](const fs::path& data) { return "reach-file=" + (data / "keepsake.db").string(); }, {});
  ExpectRefused(out, "open ");
  EXPECT_NE(out.error.find("keepsake.db: Permission denied"), std::string::npos) << out.error;
}

TEST(Sandbox, AWorkerCannotReadFilesOutsideItsFolder) {
  // the test's own source: readable by this user, outside the job, the system and the assets
  const std::string source = SourceDir() + "/tests/services/sandbox_test.cpp";
  Outcome out = RunFaultyJob("reach-file=" + source, {});
  ExpectRefused(out, "open " + source);
}

TEST(Sandbox, AWorkerCannotConnectOut) {
  // something listens on loopback, as the server does: an unconfined worker would connect
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&at), sizeof at), 0);
  ASSERT_EQ(listen(listener, 8), 0);
  socklen_t length = sizeof at;
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&at), &length), 0);
  Outcome out = RunFaultyJob("reach-tcp=" + std::to_string(ntohs(at.sin_port)), {});
  close(listener);
  ExpectRefused(out, "open a socket");
}

TEST(Sandbox, AWorkerCannotStartAnotherProgram) {
  Outcome out = RunFaultyJob("reach-exec", {});
  ExpectRefused(out, "start /bin/true");
}

// Every layer is in place on this machine, and a confined worker still does its work: the print
// renders (fonts, colour profile and face model read from /usr and the assets), and the server
// warned of nothing missing.
TEST(Sandbox, AConfinedWorkerRendersAPrintWithEveryLayerInPlace) {
  TempDir dir;
  ServerProcess server(dir.path() / "data");
  server.Start();
  const std::string item = PlaceOrderWithFile(
      server, "images/lowres_portrait_exif_prompt_512x768.jpg", "magnet-rect", "confined");
  std::string job_state;
  ASSERT_TRUE(WaitFor(
      [&] {
        json jobs = ItemJobs(server, item);
        job_state = jobs[0]["state"];
        return job_state == "succeeded" || job_state == "failed" || job_state == "dead";
      },
      60000));
  EXPECT_EQ(job_state, "succeeded");
  server.Stop();
  const std::string log = ReadFile(server.log_path());
  EXPECT_EQ(log.find("worker_confinement_missing"), std::string::npos) << log;
}

}  // namespace
}  // namespace keepsake::testing
