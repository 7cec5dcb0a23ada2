// The dependency direction of DESIGN.md, checked on the include lines (convention alone does
// not hold): services -> {orders, logistics, mesh, imaging}, logistics -> {orders, imaging}
// (the label and slip are drawn with imaging's PDF, fonts and barcodes; docs/decisions.md),
// mesh and imaging -> codec (pictures to pixels and back), and codec, orders depend on none of
// ours; the CMake links say the same. Public headers carry
// no third-party types, and nothing reaches another folder by a relative include.
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
    {"codec", {}},
    {"mesh", {"codec"}},
    {"imaging", {"codec"}},
    {"orders", {}},
    {"logistics", {"orders", "imaging"}},
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
      R"re(#include\s+[<"](SQLiteCpp|sqlite3|assimp|opencv2|httplib|CGAL|nlohmann|spdlog|zip\.h|openssl|lcms2|qpdf|lib3mf|ft2build|freetype|ZXing|Eigen|boost|CLI/))re");
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

// The same direction in the build: a module's library links only the libraries of the modules
// it may use (CMake would otherwise let an include through that the include check misses).
TEST(Architecture, ModulesLinkOnlyWhatTheyMayUse) {
  const std::regex link(R"re(target_link_libraries\(\s*keepsake_(\w+)([^)]*)\))re");
  const std::regex ours(R"re(\bkeepsake_(\w+))re");
  int links = 0;
  for (const auto& [module, allowed] : kMayUse) {
    const std::string cmake = ReadFile(fs::path(SourceDir()) / module / "CMakeLists.txt");
    for (auto it = std::sregex_iterator(cmake.begin(), cmake.end(), link);
         it != std::sregex_iterator(); ++it) {
      if ((*it)[1] != module) continue;  // another target of the folder (an executable)
      const std::string targets = (*it)[2];
      for (auto used = std::sregex_iterator(targets.begin(), targets.end(), ours);
           used != std::sregex_iterator(); ++used) {
        const std::string name = (*used)[1];
        if (name == "warnings") continue;  // compiler flags, not a module
        ++links;
        EXPECT_TRUE(allowed.count(name)) << module << "/CMakeLists.txt links keepsake_" << name;
      }
    }
  }
  EXPECT_GE(links, 5);
}

// No file reaches into another folder by a relative path ("../orders/src/..."): what a module
// shares is in its include/keepsake/<module>/ headers, and private headers are named from the
// module's own src/.
TEST(Architecture, NoRelativeIncludes) {
  const std::regex relative(R"re(#include\s+"[^"]*\.\./)re");
  for (const auto& [module, _] : kMayUse) {
    for (const fs::path& file : SourcesOf(module)) {
      std::ifstream in(file);
      std::string line;
      while (std::getline(in, line)) {
        EXPECT_FALSE(std::regex_search(line, relative)) << file << ": " << line;
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

// A clone on someone else's machine has nothing beside it: no source, script, test or build
// file may reach outside the repository for its inputs (tests/data holds what the tests read;
// samples without a licence are named by KEEPSAKE_EXTRA_SAMPLES in the benchmarks only).
// Markdown may still tell where a file came from.
TEST(Architecture, NothingReadsFromBesideTheClone) {
  const std::string outside = std::string("..") + "/shared";
  const fs::path root(SourceDir());
  int scanned = 0;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const std::string name = it->path().filename().string();
    if (it->is_directory() &&
        (name == ".git" || name == "node_modules" || name.rfind("build", 0) == 0)) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file() || it->path().extension() == ".md") continue;
    if (it->file_size() > 4 * 1024 * 1024) continue;  // pictures and meshes, not text
    const std::string text = ReadFile(it->path());
    if (text.find('\0') != std::string::npos) continue;  // binary
    ++scanned;
    EXPECT_EQ(text.find(outside), std::string::npos)
        << fs::relative(it->path(), root) << " names " << outside;
  }
  EXPECT_GT(scanned, 100);
}

}  // namespace
}  // namespace keepsake::testing
