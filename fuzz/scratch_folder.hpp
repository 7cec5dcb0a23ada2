// A folder of the fuzzer's own under $TMPDIR (else /tmp), made once per process: the importer
// and the renderer read files, so each input is written there first. fuzz/run.sh gives each
// run a TMPDIR of its own and removes it, so runs side by side never remove each other's.
#pragma once

#include <cstdlib>
#include <string>

namespace keepsake::fuzz {

inline std::string MakeScratchFolder(const std::string& kind) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
                        "/keepsake-fuzz-" + kind + "-XXXXXX";
  return std::string(mkdtemp(pattern.data()));
}

}  // namespace keepsake::fuzz
