// The print files, read back by readers that are not ours: Coin3D (Open Inventor, Debian's
// libcoin) parses our VRML97, OpenCV decodes the preview PNG.
#include "keepsake/mesh/export.hpp"

#include <gtest/gtest.h>

#include <Inventor/SbViewportRegion.h>
#include <Inventor/SoDB.h>
#include <Inventor/SoFullPath.h>
#include <Inventor/SoInput.h>
#include <Inventor/SoPrimitiveVertex.h>
#include <Inventor/VRMLnodes/SoVRMLColor.h>
#include <Inventor/VRMLnodes/SoVRMLCoordinate.h>
#include <Inventor/VRMLnodes/SoVRMLIndexedFaceSet.h>
#include <Inventor/actions/SoCallbackAction.h>
#include <Inventor/actions/SoGetBoundingBoxAction.h>
#include <Inventor/actions/SoSearchAction.h>
#include <Inventor/nodes/SoSeparator.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>

#include "keepsake/mesh/preview.hpp"
#include "test_support.hpp"

namespace keepsake::mesh {
namespace {

using keepsake::testing::TempDir;

// A closed, outward tetrahedron in mm with one colour per corner.
MeshData ColouredTetrahedron() {
  MeshData m;
  m.positions = {{0, 0, 0}, {40, 0, 0}, {0, 30, 0}, {0, 0, 20}};
  m.triangles = {{0, 2, 1}, {0, 1, 3}, {0, 3, 2}, {1, 2, 3}};
  m.colors = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}};
  return m;
}

struct CoinScene {
  SoSeparator* root = nullptr;
  ~CoinScene() {
    if (root != nullptr) root->unref();
  }
};

CoinScene ReadWithCoin(const std::string& path) {
  SoDB::init();
  SoInput in;
  CoinScene scene;
  if (!in.openFile(path.c_str())) return scene;
  scene.root = SoDB::readAll(&in);
  if (scene.root != nullptr) scene.root->ref();
  return scene;
}

SoVRMLIndexedFaceSet* FindFaceSet(SoSeparator* root) {
  SoSearchAction search;
  search.setType(SoVRMLIndexedFaceSet::getClassTypeId());
  search.setInterest(SoSearchAction::FIRST);
  search.setSearchingAll(TRUE);
  search.apply(root);
  SoFullPath* path = static_cast<SoFullPath*>(search.getPath());
  return path != nullptr ? static_cast<SoVRMLIndexedFaceSet*>(path->getTail()) : nullptr;
}

template <typename Node>
Node* FieldNode(SoNode* value) {
  return value != nullptr && value->isOfType(Node::getClassTypeId()) ? static_cast<Node*>(value)
                                                                     : nullptr;
}

int CountTriangles(SoSeparator* root) {
  int triangles = 0;
  SoCallbackAction action;
  action.addTriangleCallback(
      SoNode::getClassTypeId(),
      [](void* data, SoCallbackAction*, const SoPrimitiveVertex*, const SoPrimitiveVertex*,
         const SoPrimitiveVertex*) { ++*static_cast<int*>(data); },
      &triangles);
  action.apply(root);
  return triangles;
}

TEST(Vrml, CoinReadsTheGeometryAndTheVertexColours) {
  TempDir dir;
  const std::string path = (dir.path() / "model.wrl").string();
  const MeshData mesh = ColouredTetrahedron();
  auto written = WriteVrml(mesh, path);
  ASSERT_TRUE(written) << written.error();
  EXPECT_EQ(*written, std::filesystem::file_size(path));

  CoinScene scene = ReadWithCoin(path);
  ASSERT_NE(scene.root, nullptr) << "Coin could not parse the VRML";
  EXPECT_EQ(CountTriangles(scene.root), 4);
  SoGetBoundingBoxAction box(SbViewportRegion(100, 100));
  box.apply(scene.root);
  float x0, y0, z0, x1, y1, z1;
  box.getBoundingBox().getBounds(x0, y0, z0, x1, y1, z1);
  EXPECT_FLOAT_EQ(x1 - x0, 40);  // millimetres, as written
  EXPECT_FLOAT_EQ(y1 - y0, 30);
  EXPECT_FLOAT_EQ(z1 - z0, 20);

  SoVRMLIndexedFaceSet* faces = FindFaceSet(scene.root);
  ASSERT_NE(faces, nullptr);
  EXPECT_TRUE(faces->colorPerVertex.getValue());
  EXPECT_EQ(faces->coordIndex.getNum(), 16);  // four triangles, each closed by -1
  auto* coords = FieldNode<SoVRMLCoordinate>(faces->coord.getValue());
  auto* colours = FieldNode<SoVRMLColor>(faces->color.getValue());
  ASSERT_NE(coords, nullptr);
  ASSERT_NE(colours, nullptr);
  ASSERT_EQ(colours->color.getNum(), 4);
  EXPECT_EQ(coords->point.getNum(), 4);
  const SbColor green = colours->color[1];
  EXPECT_FLOAT_EQ(green[0], 0);
  EXPECT_FLOAT_EQ(green[1], 1);
  EXPECT_FLOAT_EQ(green[2], 0);
}

TEST(Vrml, AWhiteModelHasNoColourNode) {
  TempDir dir;
  MeshData mesh = ColouredTetrahedron();
  mesh.colors.clear();
  const std::string path = (dir.path() / "white.wrl").string();
  ASSERT_TRUE(WriteVrml(mesh, path));
  CoinScene scene = ReadWithCoin(path);
  ASSERT_NE(scene.root, nullptr);
  EXPECT_EQ(CountTriangles(scene.root), 4);
  SoVRMLIndexedFaceSet* faces = FindFaceSet(scene.root);
  ASSERT_NE(faces, nullptr);
  EXPECT_EQ(faces->color.getValue(), nullptr);
}

TEST(Preview, ThreeViewsPerRowWithTheFlaggedFacesInRed) {
  const MeshData mesh = ColouredTetrahedron();
  MeshData white = mesh;
  white.colors.clear();
  auto png =
      RenderPreviewPng({{&white, "before", {}}, {&white, "after", {true, true, true, true}}}, 200);
  ASSERT_TRUE(png) << png.error();
  const std::vector<uchar> bytes(png->begin(), png->end());
  const cv::Mat image = cv::imdecode(bytes, cv::IMREAD_COLOR);
  ASSERT_FALSE(image.empty());
  EXPECT_EQ(image.cols, 600);
  EXPECT_EQ(image.rows, 2 * (200 + 28));
  // count strongly red pixels in each row of views: none before, many after
  auto red_pixels = [&](int row) {
    int count = 0;
    for (int y = row * 228; y < (row + 1) * 228; ++y) {
      for (int x = 0; x < image.cols; ++x) {
        const cv::Vec3b p = image.at<cv::Vec3b>(y, x);  // BGR
        if (p[2] > 120 && p[1] < 60 && p[0] < 60) ++count;
      }
    }
    return count;
  };
  EXPECT_EQ(red_pixels(0), 0);
  EXPECT_GT(red_pixels(1), 2000);
  // the shape is drawn: the front view is not all background
  const cv::Mat front = image(cv::Rect(0, 28, 200, 200));
  EXPECT_LT(cv::mean(front)[0], 240);
}

}  // namespace
}  // namespace keepsake::mesh
