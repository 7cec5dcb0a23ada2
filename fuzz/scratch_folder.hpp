// A folder of the fuzzer's own under /tmp, made once per process: the importer and the
// renderer read files, so each input is written there first (scripts/fuzz.sh removes it).
#pragma once

#include <cstdlib>
#include <string>

namespace keepsake::fuzz {

inline std::string MakeScratchFolder(const std::string& kind) {
  std::string pattern = "/tmp/keepsake-fuzz-" + kind + "-XXXXXX";
  return std::string(mkdtemp(pattern.data()));
}

}  // namespace keepsake::fuzz
