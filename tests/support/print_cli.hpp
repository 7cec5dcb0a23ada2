// `keepsake print render` run as a user runs it, with the shipped assets/print_profiles.json:
// the exit code, what it printed, and its report.json. Shared by the 2D print tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace keepsake::testing {

struct PrintCliRun {
  int code = -1;
  std::string output;
  nlohmann::json report;
};

inline PrintCliRun RunPrintRender(const std::string& product, const std::string& image,
                                  const std::filesystem::path& out,
                                  const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = {KeepsakeBinary(), "print", "render", "--product", product,
                                   "--image",        image,   "--out",  out.string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  PrintCliRun r;
  r.output = RunCommand(argv, &r.code, /*with_stderr=*/true);
  std::ifstream in(out / "report.json");
  if (in) r.report = nlohmann::json::parse(in, nullptr, false);
  return r;
}

}  // namespace keepsake::testing
