#include "jobs/command_output.hpp"

#include <cstdio>
#include <iostream>

#include "keepsake/services/asset_files.hpp"
#include "keepsake/services/worker.hpp"

namespace keepsake::services {

void PrintProgressLine(int percent, const char* phase) {
  std::printf("progress %d %s\n", percent, phase);
  std::fflush(stdout);
}

CommandOutput::CommandOutput(const std::string& out_dir, std::string command, bool in_worker)
    : dir_(std::filesystem::absolute(out_dir)),
      command_(std::move(command)),
      in_worker_(in_worker) {}

bool CommandOutput::Create() const {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) std::cerr << command_ << ": cannot create " << dir_ << ": " << ec.message() << "\n";
  return !ec;
}

void CommandOutput::Progress(int percent, const char* phase) const {
  if (in_worker_) PrintProgressLine(percent, phase);
}

int CommandOutput::Finish(const nlohmann::json& report) const {
  if (WriteFileAtomically(dir_ / "report.json", report.dump(2) + "\n")) return 0;
  std::cerr << command_ << ": cannot write report.json\n";
  return 1;
}

int CommandOutput::Refuse(nlohmann::json report, const std::string& code,
                          const std::string& reason) const {
  report["printable"] = false;
  report["code"] = code;
  report["reason"] = reason;
  WriteFileAtomically(dir_ / "report.json", report.dump(2) + "\n");
  std::cerr << (in_worker_ ? "" : command_ + ": ") << reason << std::endl;
  return kWorkerExitRejected;
}

}  // namespace keepsake::services
