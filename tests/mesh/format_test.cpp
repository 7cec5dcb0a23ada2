#include "keepsake/mesh/format.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "test_support.hpp"

namespace keepsake::mesh {
namespace {

using keepsake::testing::AssimpModel;
using keepsake::testing::ReadFile;
using keepsake::testing::TestData;
using keepsake::testing::TexturedFigureGlb;
using keepsake::testing::WhiteFigureGlb;

TEST(MeshFormat, RecognisesRealGeneratorOutputs) {
  EXPECT_EQ(SniffMeshFormat(ReadFile(TestData("meshes/triposr_chair/mesh.obj"))), MeshFormat::kObj);
  // other writers' files (Debian's assimp-testmodels) and generator-shaped ones made here
  EXPECT_EQ(SniffMeshFormat(ReadFile(AssimpModel("glTF2/BoxTextured-glTF-Binary/BoxTextured.glb"))),
            MeshFormat::kGlb);
  EXPECT_EQ(SniffMeshFormat(ReadFile(AssimpModel("OBJ/spider.obj"))), MeshFormat::kObj);
  EXPECT_EQ(SniffMeshFormat(TexturedFigureGlb()), MeshFormat::kGlb);
  EXPECT_EQ(SniffMeshFormat(WhiteFigureGlb()), MeshFormat::kGlb);
}

TEST(MeshFormat, RecognisesTheOtherAcceptedFormats) {
  EXPECT_EQ(SniffMeshFormat("ply\nformat ascii 1.0\nend_header\n"), MeshFormat::kPly);
  EXPECT_EQ(SniffMeshFormat("OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n"), MeshFormat::kOff);
  EXPECT_EQ(SniffMeshFormat("solid x\n facet normal 0 0 1\n"), MeshFormat::kStl);
  EXPECT_EQ(SniffMeshFormat("{\"asset\": {\"version\": \"2.0\"}}"), MeshFormat::kGltf);
  EXPECT_EQ(SniffMeshFormat(std::string("Kaydara FBX Binary  \0\x1a", 23)), MeshFormat::kFbx);
  EXPECT_EQ(SniffMeshFormat(std::string("PK\x03\x04rest", 8)), MeshFormat::kZip);
  std::string stl(84 + 50 * 2, '\0');
  const uint32_t faces = 2;
  std::memcpy(stl.data() + 80, &faces, 4);
  EXPECT_EQ(SniffMeshFormat(stl), MeshFormat::kStl);
}

TEST(MeshFormat, RefusesWhatIsNotAMesh) {
  EXPECT_FALSE(SniffMeshFormat(""));
  EXPECT_FALSE(SniffMeshFormat("hello world"));
  EXPECT_FALSE(SniffMeshFormat("{\"not\": \"gltf\"}"));
  EXPECT_FALSE(SniffMeshFormat(ReadFile(TestData("images/cutout_man_rgba_1024.png"))));
  std::string stl_wrong_size(84 + 50 * 2 + 7, '\0');
  const uint32_t faces = 2;
  std::memcpy(stl_wrong_size.data() + 80, &faces, 4);
  EXPECT_FALSE(SniffMeshFormat(stl_wrong_size));
}

TEST(MeshFormat, NamesRoundTrip) {
  for (MeshFormat f : {MeshFormat::kGlb, MeshFormat::kGltf, MeshFormat::kObj, MeshFormat::kFbx,
                       MeshFormat::kPly, MeshFormat::kStl, MeshFormat::kOff, MeshFormat::kZip}) {
    EXPECT_EQ(ParseMeshFormat(MeshFormatName(f)), f);
  }
}

}  // namespace
}  // namespace keepsake::mesh
