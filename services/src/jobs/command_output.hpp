// Private: what a preparation command leaves behind, the same for `keepsake mesh prepare`,
// `keepsake print render` and the sandboxed worker that runs them for a job: an output folder,
// "progress N phase" lines on stdout (inside the worker; the runner turns them into the job's
// progress), report.json, and on refusal one clear line on stderr and exit 2.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "keepsake/imaging/inspect.hpp"
#include "keepsake/mesh/error.hpp"

namespace keepsake::services {

// The progress line the job runner reads from a worker's stdout.
void PrintProgressLine(int percent, const char* phase);

class CommandOutput {
 public:
  // `command` ("keepsake mesh prepare") prefixes lines on the command line; inside the worker
  // (`in_worker`) lines are bare, because the last stderr line becomes the job's reason.
  CommandOutput(const std::string& out_dir, std::string command, bool in_worker);

  // Creates the folder; false, with the reason on stderr, when it cannot.
  bool Create() const;
  const std::filesystem::path& dir() const { return dir_; }
  void Progress(int percent, const char* phase) const;
  // Writes report.json atomically; 0, or 1 with the reason on stderr.
  int Finish(const nlohmann::json& report) const;
  // Writes report.json with "printable": false, the code (mesh.unreadable: the job keeps it)
  // and the reason in words; returns exit code 2.
  int Refuse(nlohmann::json report, const std::string& code, const std::string& reason) const;
  int Refuse(nlohmann::json report, const mesh::Error& error) const {
    return Refuse(std::move(report), mesh::ErrcName(error.code), error.message);
  }
  int Refuse(nlohmann::json report, const imaging::Error& error) const {
    return Refuse(std::move(report), imaging::ErrcName(error.code), error.message);
  }

 private:
  std::filesystem::path dir_;
  std::string command_;
  bool in_worker_;
};

}  // namespace keepsake::services
