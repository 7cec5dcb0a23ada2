// The dependency direction of DESIGN.md, checked on the include lines (convention alone does
// not hold): services -> {orders, logistics, mesh, imaging}, logistics -> orders, and mesh,
// imaging, orders depend on none of ours. Public headers carry no third-party types.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "test_support.hpp"

namespace keepsake::testing {
namespace {

namespace fs = std::filesystem;

const std::map<std::string, std::set<std::string>> kMayUse = {
    {"mesh", {}},
    {"imaging", {}},
    {"orders", {}},
    {"logistics", {"orders"}},
    {"services", {"orders", "logistics", "mesh", "imaging"}},
};

std::vector<fs::path> SourcesOf(const std::string& module) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(SourceDir()) / module)) {
    const std::string ext = entry.path().extension().string();
    if (ext == ".hpp" || ext == ".cpp" || ext == ".h") files.push_back(entry.path());
  }
  return files;
}

TEST(Architecture, ModulesIncludeOnlyWhatTheyMayUse) {
  const std::regex include(R"re(#include\s+"keepsake/(\w+)/)re");
  int checked = 0;
  for (const auto& [module, allowed] : kMayUse) {
    for (const fs::path& file : SourcesOf(module)) {
      std::ifstream in(file);
      std::string line;
      while (std::getline(in, line)) {
        std::smatch m;
        if (!std::regex_search(line, m, include)) continue;
        ++checked;
        const std::string used = m[1];
        EXPECT_TRUE(used == module || allowed.count(used))
            << file << " (" << module << ") includes keepsake/" << used;
      }
    }
  }
  EXPECT_GT(checked, 20);
}

TEST(Architecture, PublicHeadersCarryNoThirdPartyTypes) {
  const std::regex heavy(
      R"re(#include\s+[<"](SQLiteCpp|sqlite3|assimp|opencv2|httplib|CGAL|nlohmann|spdlog|zip\.h|openssl))re");
  for (const auto& [module, _] : kMayUse) {
    for (const fs::path& file : SourcesOf(module)) {
      if (file.string().find("/include/keepsake/") == std::string::npos) continue;
      std::ifstream in(file);
      std::string line;
      while (std::getline(in, line)) {
        EXPECT_FALSE(std::regex_search(line, heavy)) << file << ": " << line;
      }
    }
  }
}

TEST(Architecture, MeshAndImagingKnowNothingOfHttpJsonOrSql) {
  const std::regex forbidden(R"re(httplib|nlohmann|SQLite|sqlite3|keepsake/orders)re");
  for (const std::string module : {"mesh", "imaging"}) {
    for (const fs::path& file : SourcesOf(module)) {
      std::ifstream in(file);
      std::string line;
      while (std::getline(in, line)) {
        if (line.rfind("#include", 0) != 0) continue;
        EXPECT_FALSE(std::regex_search(line, forbidden)) << file << ": " << line;
      }
    }
  }
}

}  // namespace
}  // namespace keepsake::testing
