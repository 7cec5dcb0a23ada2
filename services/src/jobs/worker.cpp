#include "keepsake/services/worker.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <new>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "jobs/command_output.hpp"
#include "jobs/confine.hpp"
#include "keepsake/imaging/inspect.hpp"
#include "keepsake/services/asset_files.hpp"
#include "keepsake/services/mesh_command.hpp"
#include "keepsake/services/print_command.hpp"

namespace keepsake::services {

namespace {

using nlohmann::json;

int Reject(const std::string& why) {
  std::cerr << why << std::endl;
  return kWorkerExitRejected;
}

bool WriteResult(const json& result) { return WriteFileAtomically("result.json", result.dump(2)); }

// What a confined worker still reads besides its job folder: the system's libraries, fonts,
// colour profiles and face model (/usr; /lib and /lib64 are links into it on Debian), the
// loader's cache, its own /proc entry and the CPU count (how many threads to start), and the
// shop's assets folder (print profiles).
std::vector<std::string> ReadOnlyForWorkers(const std::string& assets_dir) {
  std::vector<std::string> paths = {"/usr",
                                    "/lib",
                                    "/lib64",
                                    "/etc/ld.so.cache",
                                    "/etc/localtime",
                                    "/proc/self",
                                    "/sys/devices/system/cpu",
                                    "/dev/urandom",
                                    "/dev/null"};
  if (!assets_dir.empty()) paths.push_back(assets_dir);
  return paths;
}

// Reaches out on purpose, for the tests of the confinement only (InjectFault, below):
// "reach-file=PATH" reads a file, "reach-tcp=PORT" connects to 127.0.0.1:PORT,
// "reach-exec" starts /bin/true. A confined worker is refused and fails its job with the
// reason (exit 4); one that gets through goes on with its job as if nothing happened, which
// the tests catch.
void Reach(const std::string& f) {
  const auto refused = [](const std::string& what) {
    std::cerr << "the sandbox refused the worker's attempt to " << what << ": "
              << std::strerror(errno) << std::endl;
    std::exit(kWorkerExitReachRefused);
  };
  if (f.rfind("reach-file=", 0) == 0) {
    const std::string path = f.substr(std::strlen("reach-file="));
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) refused("open " + path);
    close(fd);
  } else if (f.rfind("reach-tcp=", 0) == 0) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) refused("open a socket");
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(std::stoi(f.substr(std::strlen("reach-tcp=")))));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
      refused("connect to 127.0.0.1");
    }
    close(fd);
  } else if (f == "reach-exec") {
    const pid_t child = fork();
    if (child == 0) {
      char* const argv[] = {const_cast<char*>("/bin/true"), nullptr};
      execv("/bin/true", argv);
      _exit(127);
    }
    int status = 0;
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      errno = EACCES;
      refused("start /bin/true");
    }
  }
}

// Faults on purpose, for the tests of the sandbox only: the server passes
// KEEPSAKE_WORKER_FAULT to workers only when it was itself started with it. "segv:png" faults
// only on files of that format (a poison file among good ones); "reach-..." tries what the
// confinement refuses (Reach). Called once the worker is confined.
void InjectFault(const JobSpec& args) {
  const char* fault = std::getenv("KEEPSAKE_WORKER_FAULT");
  if (fault == nullptr) return;
  std::string f(fault);
  if (f.rfind("reach-", 0) == 0) return Reach(f);
  if (const size_t colon = f.find(':'); colon != std::string::npos) {
    if (f.substr(colon + 1) != args.format) return;
    f.resize(colon);
  }
  if (f == "segv") std::raise(SIGSEGV);
  if (f == "alloc") {
    std::vector<std::vector<char>> hog;
    for (;;) hog.emplace_back(64 << 20, 'x');  // until the memory limit says no
  }
  if (f == "spin") {
    volatile unsigned long spin = 0;
    for (;;) spin = spin + 1;
  }
}

// Repair, scale and export into the job folder: model.stl, and report.json copied to
// result.json for the runner. Refusals exit 2 with the reason as the last stderr line.
int CopyReportToResult();

int PrepareMesh(const JobSpec& spec) {
  MeshPrepareArgs prepare;
  prepare.input = spec.input;
  prepare.out_dir = ".";
  prepare.height_mm = spec.height_mm;
  prepare.min_wall_mm = spec.min_wall_mm;
  prepare.colour = spec.colour;
  prepare.tuning = spec.mesh_tuning;
  prepare.progress_lines = true;
  const int code = RunMeshPrepare(prepare);
  if (code != 0) return code;
  return CopyReportToResult();
}

int CopyReportToResult() {
  std::error_code ec;
  std::filesystem::copy_file("report.json", "result.json.tmp",
                             std::filesystem::copy_options::overwrite_existing, ec);
  if (!ec) std::filesystem::rename("result.json.tmp", "result.json", ec);
  return ec ? Reject("cannot write the result") : 0;
}

// Print files for a 2D product into the job folder.
int RenderPrint(const JobSpec& spec) {
  auto settings = LoadPrintSettings(spec.assets_dir);
  if (!settings) return Reject(settings.error());  // our data, not the customer's: a failure
  PrintRenderArgs render{.product = spec.product,
                         .image = spec.input,
                         .out_dir = std::string("."),
                         .progress_lines = true};
  render.max_pixels = spec.max_image_pixels;
  render.size_mm = spec.size_mm;
  render.allow_low_dpi = spec.print_tuning.allow_low_dpi;
  render.zoom = spec.print_tuning.zoom;
  render.crop_offset = spec.print_tuning.crop_offset;
  render.ring_offset_mm = spec.print_tuning.ring_offset_mm;
  render.sides = spec.sides;
  render.text = spec.text;
  const int code = RunPrintRender(render, *settings);
  if (code != 0) return code;
  return CopyReportToResult();
}

int InspectImage(const JobSpec& args) {
  auto format = imaging::ParseImageFormat(args.format);
  if (!format) return Reject("unknown image format " + args.format);
  PrintProgressLine(10, "decode");
  auto inspected = imaging::InspectImage(args.input, *format, args.max_image_pixels);
  if (!inspected) return Reject("the image cannot be used: " + inspected.error().message);
  PrintProgressLine(90, "report");
  const imaging::ImageInspection& i = *inspected;
  json result = {{"kind", "image"},          {"format", imaging::ImageFormatName(i.format)},
                 {"width_px", i.width_px},   {"height_px", i.height_px},
                 {"channels", i.channels},   {"has_alpha", i.has_alpha},
                 {"warnings", json::array()}};
  if (!WriteResult(result)) return Reject("cannot write the result");
  return 0;
}

}  // namespace

int RunWorker(const std::string& job_file) {
  std::ifstream in(job_file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return Reject("the job's " + job_file + " cannot be read");
  auto spec = ParseJobSpec(text.str());
  if (!spec) return Reject(spec.error());
  // from here on the worker reaches its job folder, the system's files and the shop's assets,
  // and nothing else (confine.hpp); the job runner logs a layer the kernel lacks
  const Confinement confined =
      ConfineWorker(std::filesystem::current_path().string(), ReadOnlyForWorkers(spec->assets_dir));
  for (const std::string& missing : confined.missing) {
    std::cerr << kConfinementMissing << missing << std::endl;
  }
  return RunWorker(*spec);
}

int RunWorker(const JobSpec& spec) {
  std::set_new_handler([] {
    std::fputs("out of memory\n", stderr);
    std::_Exit(kWorkerExitOutOfMemory);
  });
  try {
    InjectFault(spec);
    switch (spec.kind) {
      case orders::JobKind::kPrepareMesh:
        return PrepareMesh(spec);
      case orders::JobKind::kRenderPrint:
        return RenderPrint(spec);
      case orders::JobKind::kInspectImage:
      case orders::JobKind::kInspectEvidence:
        return InspectImage(spec);
    }
    return Reject("unknown job kind");
  } catch (const std::bad_alloc&) {
    std::fputs("out of memory\n", stderr);
    return kWorkerExitOutOfMemory;
  } catch (const std::exception& e) {
    return Reject(std::string("the file cannot be read: ") + e.what());
  }
}

}  // namespace keepsake::services
