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
void InjectFault(const WorkerArgs& args) {
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

int PrepareMesh(const WorkerArgs& args) {
  auto tuning = ParseMeshTuning(args.tuning);
  if (!tuning) return Reject(tuning.error());
  const MeshPrepareArgs prepare{.input = args.input,
                                .out_dir = std::string("."),
                                .height_mm = args.height_mm,
                                .min_wall_mm = args.min_wall_mm,
                                .colour = args.colour,
                                .tuning = *tuning,
                                .progress_lines = true};
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

int InspectImage(const WorkerArgs& args, const std::vector<std::string>& warnings = {});

// Print files for a 2D product into the job folder.
int RenderPrint(const WorkerArgs& args) {
  auto settings = LoadPrintSettings(args.assets_dir);
  if (!settings) return Reject(settings.error());  // our data, not the customer's: a failure
  PrintRenderArgs render{.product = args.product,
                         .image = args.input,
                         .out_dir = std::string("."),
                         .progress_lines = true};
  render.max_pixels = args.max_image_pixels;
  render.size_mm = args.size_mm;
  render.allow_low_dpi = args.allow_low_dpi;
  auto tuning = ParsePrintTuning(args.tuning);
  if (!tuning) return Reject(tuning.error());
  render.allow_low_dpi |= tuning->allow_low_dpi;
  render.zoom = tuning->zoom;
  render.crop_offset = tuning->crop_offset;
  render.sides = args.sides;
  render.text = args.text;
  if (!args.text_file.empty()) {
    std::ifstream greeting(args.text_file, std::ios::binary);
    std::stringstream text;
    text << greeting.rdbuf();
    if (!greeting) return Reject("the greeting file of this job cannot be read");
    render.text = text.str();
  }
  const int code = RunPrintRender(render, *settings);
  if (code != 0) return code;
  return CopyReportToResult();
}

int InspectImage(const WorkerArgs& args, const std::vector<std::string>& warnings) {
  auto format = imaging::ParseImageFormat(args.format);
  if (!format) return Reject("unknown image format " + args.format);
  PrintProgressLine(10, "decode");
  auto inspected = imaging::InspectImage(args.input, *format, args.max_image_pixels);
  if (!inspected) return Reject("the image cannot be used: " + inspected.error().message);
  PrintProgressLine(90, "report");
  const imaging::ImageInspection& i = *inspected;
  json result = {{"kind", "image"},        {"format", imaging::ImageFormatName(i.format)},
                 {"width_px", i.width_px}, {"height_px", i.height_px},
                 {"channels", i.channels}, {"has_alpha", i.has_alpha},
                 {"warnings", warnings}};
  if (!WriteResult(result)) return Reject("cannot write the result");
  return 0;
}

}  // namespace

int RunWorker(const WorkerArgs& args) {
  std::set_new_handler([] {
    std::fputs("out of memory\n", stderr);
    std::_Exit(kWorkerExitOutOfMemory);
  });
  try {
    InjectFault(args);
    if (args.kind == "prepare_mesh") return PrepareMesh(args);
    if (args.kind == "render_print") return RenderPrint(args);
    if (args.kind == "inspect_image" || args.kind == "inspect_evidence") return InspectImage(args);
    return Reject("unknown job kind " + args.kind);
  } catch (const std::bad_alloc&) {
    std::fputs("out of memory\n", stderr);
    return kWorkerExitOutOfMemory;
  } catch (const std::exception& e) {
    return Reject(std::string("the file cannot be read: ") + e.what());
  }
}

}  // namespace keepsake::services
