// Colour through preparation: vertex colours, textures sampled and kept, packed and baked anew
// after a rebuild; the colour the print carries measured against the customer's (CIEDE2000).
#include "keepsake/mesh/texture.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "keepsake/mesh/export.hpp"
#include "keepsake/mesh/import.hpp"
#include "keepsake/mesh/preview.hpp"
#include "keepsake/mesh/repair.hpp"
#include "test_support.hpp"

namespace keepsake::mesh {
namespace {

namespace fs = std::filesystem;
using keepsake::testing::AssimpModel;
using keepsake::testing::CgalData;
using keepsake::testing::ReadFile;
using keepsake::testing::TempDir;
using keepsake::testing::TestData;
using keepsake::testing::TexturedFigureGlb;
using keepsake::testing::WhiteFigureGlb;
using keepsake::testing::WriteBytes;

TEST(Colour, VertexColoursCarryOverToTheRepairedSurface) {
  auto chair = ImportMesh(TestData("meshes/triposr_chair"),
                          TestData("meshes/triposr_chair/mesh.obj"), MeshFormat::kObj, {});
  ASSERT_TRUE(chair);
  auto repaired = RepairToSolid(chair->mesh, {});
  ASSERT_TRUE(repaired);
  ASSERT_EQ(repaired->mesh.colors.size(), repaired->mesh.positions.size());
  auto mean = [](const MeshData& m) {
    std::array<double, 3> sum{};
    for (const auto& c : m.colors) {
      for (size_t k = 0; k < 3; ++k) sum[k] += c[k];
    }
    for (double& s : sum) s /= static_cast<double>(m.colors.size());
    return sum;
  };
  const auto before = mean(chair->mesh);
  const auto after = mean(repaired->mesh);
  for (size_t k = 0; k < 3; ++k) EXPECT_NEAR(after[k], before[k], 6.0) << "channel " << k;
  // and the PLY written for full-colour printers reads back with its colours
  TempDir dir;
  const std::string ply = (dir.path() / "model.ply").string();
  ASSERT_TRUE(WriteColorPly(repaired->mesh, ply));
  auto back = ImportMesh(dir.path().string(), ply, MeshFormat::kPly, {});
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(back->stats.has_vertex_colors);
  EXPECT_EQ(back->mesh.triangles.size(), repaired->mesh.triangles.size());
  EXPECT_NEAR(mean(back->mesh)[0], after[0], 1.0);
}

// SF3D writes OBJ + MTL with "Kd 0.4" beside "map_Kd material_0.jpeg" (seen in its outputs).
// The colours must be the texture's own, not 40 % of them. The same shape of file here: CGAL's
// homer with a JPEG portrait projected on it.
TEST(Colour, TextureIsSampledWithoutTheDiffuseFactorTrap) {
  TempDir dir;
  keepsake::testing::FixtureMesh homer = keepsake::testing::ReadOff(CgalData("meshes/homer.off"));
  keepsake::testing::ProjectFrontUvs(homer);
  const std::string picture = TestData("images/lowres_portrait_exif_prompt_512x768.jpg");
  const fs::path obj =
      keepsake::testing::WriteTexturedObj(homer, dir.path(), picture, "material_0.jpeg", 0.4);
  auto figure = ImportMesh(dir.path().string(), obj.string(), MeshFormat::kObj, {});
  ASSERT_TRUE(figure) << figure.error().message;
  ASSERT_TRUE(figure->stats.has_texture_colors);
  ASSERT_EQ(figure->mesh.colors.size(), figure->mesh.positions.size());
  double sampled = 0;
  for (const auto& c : figure->mesh.colors) sampled += (c[0] + c[1] + c[2]) / 3.0;
  sampled /= static_cast<double>(figure->mesh.colors.size());
  // the mean of the picture where the figure's front covers it, sampled the same way here
  const cv::Mat texture = cv::imread(picture, cv::IMREAD_COLOR);
  ASSERT_FALSE(texture.empty());
  double expected = 0;
  for (const auto& uv : homer.uvs) {
    const int x =
        std::clamp(static_cast<int>(uv[0] * static_cast<float>(texture.cols)), 0, texture.cols - 1);
    const int y =
        std::clamp(static_cast<int>(uv[1] * static_cast<float>(texture.rows)), 0, texture.rows - 1);
    const cv::Vec3b bgr = texture.at<cv::Vec3b>(y, x);
    expected += (bgr[0] + bgr[1] + bgr[2]) / 3.0;
  }
  expected /= static_cast<double>(homer.uvs.size());
  // welding averages a little; 40 % of the colour would be far below this
  EXPECT_NEAR(sampled, expected, 0.1 * expected);
}

TEST(Colour, EmbeddedGlbTextureGivesColours) {
  TempDir dir;
  const std::string path = WriteBytes(dir.path() / "figure.glb", TexturedFigureGlb());
  auto figure = ImportMesh(dir.path().string(), path, MeshFormat::kGlb, {});
  ASSERT_TRUE(figure);
  EXPECT_TRUE(figure->stats.has_texture_colors);
  std::set<std::array<uint8_t, 3>> distinct(figure->mesh.colors.begin(), figure->mesh.colors.end());
  EXPECT_GT(distinct.size(), 100u);  // a painted figure, not one flat colour
  // another writer's GLB with its texture embedded as a PNG
  const std::string box = AssimpModel("glTF2/BoxTextured-glTF-Binary/BoxTextured.glb");
  auto boxed = ImportMesh(fs::path(box).parent_path().string(), box, MeshFormat::kGlb, {});
  ASSERT_TRUE(boxed) << boxed.error().message;
  EXPECT_TRUE(boxed->stats.has_texture_colors);
  const std::string white_path = WriteBytes(dir.path() / "white.glb", WhiteFigureGlb());
  auto white = ImportMesh(dir.path().string(), white_path, MeshFormat::kGlb, {});
  ASSERT_TRUE(white);
  EXPECT_TRUE(white->mesh.colors.empty());  // the white mesh has no colour to carry
}

// 3MF (core + materials extension): millimetres, and the colours as a colour group.

// A full-colour figure keeps its texture through a repair: the kept triangles their own
// texture coordinates, the fills of three punched holes coordinates from the surface they
// replace; the colour the result prints is measured against the customer's (CIEDE2000) and
// beats the same result's vertex colours alone.
TEST(Texture, SurvivesTheRepairAndBeatsVertexColours) {
  TempDir dir;
  keepsake::testing::FixtureMesh homer = keepsake::testing::ReadOff(CgalData("meshes/homer.off"));
  keepsake::testing::ProjectFrontUvs(homer);
  // three holes: every triangle with a corner within a small ball around three vertices
  std::vector<std::array<uint32_t, 3>> kept;
  for (const auto& t : homer.triangles) {
    bool punched = false;
    for (uint32_t centre : {100u, 2000u, 4000u}) {
      for (uint32_t v : t) {
        const auto& a = homer.positions[v];
        const auto& b = homer.positions[centre];
        const float d = std::hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
        punched = punched || d < 0.01f;
      }
    }
    if (!punched) kept.push_back(t);
  }
  ASSERT_LT(kept.size(), homer.triangles.size());
  homer.triangles = kept;
  const std::string picture = ReadFile(TestData("images/portrait_anime_fennec_girl_1024.png"));
  const std::string path =
      WriteBytes(dir.path() / "holed.glb", keepsake::testing::GlbBytes(homer, {picture, true}));
  auto figure = ImportMesh(dir.path().string(), path, MeshFormat::kGlb, {});
  ASSERT_TRUE(figure) << figure.error().message;
  ASSERT_TRUE(figure->stats.texture_kept);
  EXPECT_EQ(figure->mesh.texture.width, 1024);
  ASSERT_EQ(figure->mesh.uvs.size(), figure->mesh.triangles.size());

  RepairOptions options;
  options.height_mm = 100;
  auto repaired = RepairToSolid(figure->mesh, options);
  ASSERT_TRUE(repaired) << repaired.error().message;
  EXPECT_GE(repaired->report.holes_filled, 3);
  EXPECT_TRUE(CheckSolid(repaired->mesh).Ok());
  ASSERT_EQ(repaired->mesh.uvs.size(), repaired->mesh.triangles.size());
  EXPECT_EQ(repaired->mesh.texture.width, 1024);
  EXPECT_GT(repaired->texture.faces_kept, static_cast<int64_t>(kept.size()) * 9 / 10);
  EXPECT_GT(repaired->texture.faces_projected, 0);  // the fills
  for (const CornerUvs& t : repaired->mesh.uvs) {
    for (const auto& uv : t) {
      ASSERT_GE(uv[0], -0.01f);
      ASSERT_LE(uv[0], 1.01f);
      ASSERT_GE(uv[1], -0.01f);
      ASSERT_LE(uv[1], 1.01f);
    }
  }
  // the aims on the surface the repair kept, and better than vertex colours
  const ColourFidelity& colour = repaired->colour;
  EXPECT_GT(colour.samples, 40000);
  EXPECT_LE(colour.median_de, 1.5);
  EXPECT_LE(colour.p95_de, 3.0);
  const ColourFidelity& plain = repaired->vertex_colour;
  EXPECT_GT(plain.p95_de, colour.p95_de + 1) << "vertex colours alone lose the picture's detail";
  EXPECT_LT(plain.share_under_3, colour.share_under_3);

  // the preview shows what will print: the repaired figure's front view looks like the
  // customer's, closer than the same figure drawn from vertex colours alone
  MeshData vertex_coloured = repaired->mesh;
  vertex_coloured.uvs.clear();
  vertex_coloured.texture = {};
  MeshData original = figure->mesh;
  ScaleToHeight(original, 100);
  auto png = RenderPreviewPng({{&original, "customer", {}},
                               {&repaired->mesh, "print", {}},
                               {&vertex_coloured, "vertex colours", {}}},
                              300);
  ASSERT_TRUE(png) << png.error().message;
  const cv::Mat image =
      cv::imdecode(std::vector<uchar>(png->begin(), png->end()), cv::IMREAD_COLOR);
  ASSERT_FALSE(image.empty());
  const int row = 300 + 28;
  auto front = [&](int r) { return image(cv::Rect(0, r * row + 28, 300, 300)); };
  const double to_print = cv::norm(front(0), front(1), cv::NORM_L1);
  const double to_vertex_colours = cv::norm(front(0), front(2), cv::NORM_L1);
  EXPECT_LT(to_print * 2, to_vertex_colours)
      << "print " << to_print << ", vertex colours " << to_vertex_colours;

  // the console's colour map: a difference near each corner, small where the texture travelled
  ASSERT_EQ(repaired->corner_colour_de.size(), 3 * repaired->mesh.triangles.size());
  const auto p90 = [](std::vector<float> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() * 9 / 10];
  };
  const float textured_p90 = p90(repaired->corner_colour_de);
  const float vertex_p90 = p90(CornerColourDifferences(original, vertex_coloured));
  EXPECT_LT(textured_p90, 1.0f);
  EXPECT_GT(vertex_p90, textured_p90 + 1.0f);
}

TEST(Texture, Ciede2000MatchesSharmasTable) {
  // identical colours, and pairs whose difference is known: black to white is 100 in L*
  EXPECT_NEAR(Ciede2000({10, 200, 30}, {10, 200, 30}), 0.0, 1e-9);
  EXPECT_NEAR(Ciede2000({0, 0, 0}, {255, 255, 255}), 100.0, 0.01);
  // a one-step change of a mid grey is far below what anyone sees (1)
  EXPECT_LT(Ciede2000({128, 128, 128}, {129, 129, 129}), 1.0);
  // symmetric
  EXPECT_NEAR(Ciede2000({200, 30, 40}, {30, 40, 200}), Ciede2000({30, 40, 200}, {200, 30, 40}),
              1e-9);
  // sRGB red against sRGB green: about 86.6 in CIEDE2000 (Lab 53.2/80.1/67.2, 87.7/-86.2/83.2)
  EXPECT_NEAR(Ciede2000({255, 0, 0}, {0, 255, 0}), 86.6, 0.5);
}

// A figure rebuilt whole (the engineer's thickening of a thin relief) keeps its colours in a
// new atlas. The input is charted as a generator charts it (one island per triangle, what
// xatlas-style atlases come to at the seams): the rebuilt surface crosses every island, so
// coordinates projected from the nearest original triangle read outside their island, while
// the baked atlas reads the customer's colour wherever the surface went.
TEST(Texture, ARebuiltFigureIsBakedIntoANewAtlas) {
  TempDir dir;
  auto figure =
      ImportMesh(dir.path().string(), WriteBytes(dir.path() / "figure.glb", TexturedFigureGlb()),
                 MeshFormat::kGlb, {});
  ASSERT_TRUE(figure) << figure.error().message;
  MeshData front = figure->mesh;  // the picture projected on the front: one island
  ScaleToHeight(front, 100);

  // the charted input: the same surface, every triangle its own island
  MeshData charted = front;
  const TextureTransfer chart = BakeTexture(front, charted);
  EXPECT_EQ(chart.faces_baked, static_cast<int64_t>(charted.triangles.size()));
  EXPECT_GT(chart.baked_texel_mm, 0);
  EXPECT_LE(chart.baked_texel_mm, 0.1);
  EXPECT_LE(charted.texture.width, 4096);
  EXPECT_LE(charted.texture.height, 4096);
  // on the same surface the baked atlas prints the customer's colours
  const ColourFidelity same = MeasureColourFidelity(front, charted);
  EXPECT_GT(same.samples, 45000);
  EXPECT_LE(same.median_de, 1.0);
  EXPECT_LE(same.p95_de, 3.0);

  RepairOptions options;
  options.height_mm = 100;
  options.thicken_mm = 1;
  auto rebuilt = RepairToSolid(charted, options);
  ASSERT_TRUE(rebuilt) << rebuilt.error().message;
  ASSERT_TRUE(rebuilt->report.rebuilt);
  EXPECT_TRUE(CheckSolid(rebuilt->mesh).Ok());
  EXPECT_EQ(rebuilt->texture.faces_baked, static_cast<int64_t>(rebuilt->mesh.triangles.size()));
  ASSERT_EQ(rebuilt->mesh.uvs.size(), rebuilt->mesh.triangles.size());
  for (const CornerUvs& t : rebuilt->mesh.uvs) {
    for (const auto& uv : t) {
      ASSERT_GT(uv[0], 0.0f);
      ASSERT_LT(uv[0], 1.0f);
      ASSERT_GT(uv[1], 0.0f);
      ASSERT_LT(uv[1], 1.0f);
    }
  }

  // the same rebuilt surface with coordinates projected from the nearest original triangle
  MeshData placed = charted;  // the input where the result stands (the wrap's offset moved it)
  Apply(rebuilt->final, placed);
  MeshData projected = rebuilt->mesh;
  TransferTexture(placed, projected);
  // the thickening moved the surface half a millimetre out: colours are compared there
  const ColourFidelity baked_colour = MeasureColourFidelity(placed, rebuilt->mesh, 50000, 1.0);
  const ColourFidelity projected_colour = MeasureColourFidelity(placed, projected, 50000, 1.0);
  EXPECT_GT(baked_colour.samples, 40000);
  EXPECT_LE(baked_colour.median_de, 1.5);
  EXPECT_LE(baked_colour.p95_de, 6.0);
  EXPECT_GT(projected_colour.p95_de, baked_colour.p95_de + 3)
      << "projected " << projected_colour.p95_de << ", baked " << baked_colour.p95_de;
  std::printf(
      "charted: median %.2f p95 %.2f; rebuilt baked: median %.2f p95 %.2f (%d x %d, "
      "%.3f mm); projected: median %.2f p95 %.2f\n",
      same.median_de, same.p95_de, baked_colour.median_de, baked_colour.p95_de,
      rebuilt->mesh.texture.width, rebuilt->mesh.texture.height, rebuilt->texture.baked_texel_mm,
      projected_colour.median_de, projected_colour.p95_de);
}

}  // namespace
}  // namespace keepsake::mesh
