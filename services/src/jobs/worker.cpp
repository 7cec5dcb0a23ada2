#include "keepsake/services/worker.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <new>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "jobs/command_output.hpp"
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

// Faults on purpose, for the tests of the sandbox only: the server passes
// KEEPSAKE_WORKER_FAULT to workers only when it was itself started with it. "segv:png" faults
// only on files of that format (a poison file among good ones).
void InjectFault(const JobSpec& args) {
  const char* fault = std::getenv("KEEPSAKE_WORKER_FAULT");
  if (fault == nullptr) return;
  std::string f(fault);
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
