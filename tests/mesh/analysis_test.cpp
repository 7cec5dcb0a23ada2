#include "keepsake/mesh/analysis.hpp"

#include <gtest/gtest.h>

namespace keepsake::mesh {
namespace {

// A box with its bottom face at z = 0 and its top face shifted by `lean` along x.
MeshData LeaningBox(double lean) {
  MeshData m;
  m.positions = {{0, 0, 0},     {10, 0, 0},         {10, 10, 0},         {0, 10, 0},
                 {lean, 0, 40}, {lean + 10, 0, 40}, {lean + 10, 10, 40}, {lean, 10, 40}};
  m.triangles = {{0, 2, 1}, {0, 3, 2}, {4, 5, 6}, {4, 6, 7}, {0, 1, 5}, {0, 5, 4},
                 {1, 2, 6}, {1, 6, 5}, {2, 3, 7}, {2, 7, 6}, {3, 0, 4}, {3, 4, 7}};
  return m;
}

TEST(Stability, AnUprightBoxStandsWithItsCentreInTheMiddle) {
  const Stability s = AnalyseStability(LeaningBox(0));
  EXPECT_TRUE(s.stands);
  EXPECT_NEAR(s.centre_of_mass[0], 5.0, 1e-9);
  EXPECT_NEAR(s.centre_of_mass[1], 5.0, 1e-9);
  EXPECT_NEAR(s.centre_of_mass[2], 20.0, 1e-9);
  EXPECT_NEAR(s.footprint_area_mm2, 100.0, 1e-9);
  EXPECT_NEAR(s.margin_mm, 5.0, 1e-9);
}

TEST(Stability, ABoxLeaningPastItsFootTipsOver) {
  // the centre of mass is at x = 5 + lean / 2: beyond the base's edge at x = 10 when lean > 10
  EXPECT_TRUE(AnalyseStability(LeaningBox(8)).stands);
  const Stability s = AnalyseStability(LeaningBox(14));
  EXPECT_FALSE(s.stands);
  EXPECT_NEAR(s.margin_mm, -2.0, 1e-9);
}

TEST(Stability, APointContactCannotStand) {
  MeshData tetra;  // balanced on one vertex
  tetra.positions = {{0, 0, 0}, {-5, -5, 10}, {5, -5, 10}, {0, 5, 10}};
  tetra.triangles = {{0, 2, 1}, {0, 3, 2}, {0, 1, 3}, {1, 2, 3}};
  EXPECT_FALSE(AnalyseStability(tetra).stands);
  EXPECT_FALSE(AnalyseStability(tetra).stands_after_settling);
}

// Feet that are not level: the bottom rises 0.8 mm across the box, so as placed it touches
// along one edge only; it rocks onto the whole bottom (within 2 % of its 40 mm height) and
// stands. Leaning too far, it tips over even after settling.
TEST(Stability, UnevenFeetRockButStand) {
  MeshData box = LeaningBox(0);
  box.positions[1][2] = box.positions[2][2] = 0.8;
  const Stability s = AnalyseStability(box);
  EXPECT_FALSE(s.stands);
  EXPECT_TRUE(s.stands_after_settling);
  EXPECT_TRUE(s.Rocks());
  EXPECT_NEAR(s.settle_mm, 0.8, 1e-9);
  EXPECT_GT(s.settled_margin_mm, 4.0);
  MeshData leaning = LeaningBox(14);
  leaning.positions[1][2] = leaning.positions[2][2] = 0.8;
  EXPECT_FALSE(AnalyseStability(leaning).stands_after_settling);
}

}  // namespace
}  // namespace keepsake::mesh
