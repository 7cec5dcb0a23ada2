// An independent check of what we print: PrusaSlicer (Debian's prusa-slicer, its own mesh
// code, admesh) reads each prepared STL and must find it manifold with no open edges.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "test_support.hpp"

namespace keepsake::testing {
namespace {

namespace fs = std::filesystem;

struct Input {
  std::string name;
  std::function<std::string(const fs::path& dir)> file;  // the input's path, made in `dir`
};

void PrintTo(const Input& i, std::ostream* os) { *os << i.name; }

class PrusaSlicerCheck : public ::testing::TestWithParam<Input> {};

TEST_P(PrusaSlicerCheck, PreparedStlIsManifoldWithoutOpenEdges) {
  if (!fs::exists("/usr/bin/prusa-slicer")) {
    GTEST_SKIP() << "prusa-slicer is not installed (scripts/install-deps.sh installs it)";
  }
  TempDir dir;
  const Input& in = GetParam();
  const std::string source = in.file(dir.path());
  int code = -1;
  RunCommand({KeepsakeBinary(), "mesh", "prepare", source, "--height-mm", "80", "--out",
              (dir.path() / "out").string()},
             &code);
  ASSERT_EQ(code, 0);
  const std::string info = RunCommand(
      {"/usr/bin/prusa-slicer", "--info", (dir.path() / "out" / "model.stl").string()}, &code);
  ASSERT_EQ(code, 0) << info;
  EXPECT_NE(info.find("manifold = yes"), std::string::npos) << info;
  const size_t open = info.find("open_edges = ");
  if (open != std::string::npos) {
    EXPECT_EQ(info.substr(open, 14), "open_edges = 0") << info;
  }
  EXPECT_NE(info.find("size_z = 80.0"), std::string::npos) << info;
  // the 3MF, read by PrusaSlicer's own 3MF reader, holds the same solid
  const std::string info_3mf = RunCommand(
      {"/usr/bin/prusa-slicer", "--info", (dir.path() / "out" / "model.3mf").string()}, &code);
  ASSERT_EQ(code, 0) << info_3mf;
  EXPECT_NE(info_3mf.find("manifold = yes"), std::string::npos) << info_3mf;
  EXPECT_NE(info_3mf.find("size_z = 80.0"), std::string::npos) << info_3mf;
}

INSTANTIATE_TEST_SUITE_P(
    Samples, PrusaSlicerCheck,
    ::testing::Values(
        Input{"TexturedFigureGlb",
              [](const fs::path& dir) {
                return WriteBytes(dir / "figure.glb", TexturedFigureGlb());
              }},
        Input{"TripoSrChair",
              [](const fs::path&) { return TestData("meshes/triposr_chair/mesh.obj"); }},
        // its own crossings: the repaired surface must still be clean
        Input{"CgalMan", [](const fs::path&) { return CgalData("meshes/man.off"); }},
        Input{"WhiteFigureGlb",
              [](const fs::path& dir) { return WriteBytes(dir / "white.glb", WhiteFigureGlb()); }}),
    [](const auto& test) { return test.param.name; });

}  // namespace
}  // namespace keepsake::testing
