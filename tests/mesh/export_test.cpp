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
#include <Inventor/VRMLnodes/SoVRMLImageTexture.h>
#include <Inventor/VRMLnodes/SoVRMLIndexedFaceSet.h>
#include <Inventor/VRMLnodes/SoVRMLTextureCoordinate.h>
#include <Inventor/actions/SoCallbackAction.h>
#include <Inventor/actions/SoGetBoundingBoxAction.h>
#include <Inventor/actions/SoSearchAction.h>
#include <Inventor/nodes/SoSeparator.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <zip.h>

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
  ASSERT_TRUE(written) << written.error().message;
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

// With a texture: Coin finds the ImageTexture and a texture coordinate for every corner, in
// range; the PNG and the OBJ zip carry the same texture.
TEST(Vrml, TexturedModelMapsItsTextureForColourJetPrinters) {
  TempDir dir;
  MeshData mesh = ColouredTetrahedron();
  mesh.texture.width = 4;
  mesh.texture.height = 2;
  mesh.texture.rgb.assign(4 * 2 * 3, 0);
  mesh.texture.rgb[0] = 255;  // the top-left texel red
  for (size_t i = 0; i < mesh.triangles.size(); ++i) {
    const float u = 0.2f * static_cast<float>(i);
    mesh.uvs.push_back({{{u, 0.1f}, {u + 0.1f, 0.2f}, {u, 0.9f}}});
  }
  const std::string path = (dir.path() / "model.wrl").string();
  ASSERT_TRUE(WriteVrml(mesh, path, "texture.png"));
  ASSERT_TRUE(WriteTexturePng(mesh, (dir.path() / "texture.png").string()));
  CoinScene scene = ReadWithCoin(path);
  ASSERT_NE(scene.root, nullptr) << "Coin could not parse the VRML";
  EXPECT_EQ(CountTriangles(scene.root), 4);
  SoSearchAction search;
  search.setType(SoVRMLImageTexture::getClassTypeId());
  search.setSearchingAll(TRUE);
  search.apply(scene.root);
  ASSERT_NE(search.getPath(), nullptr) << "no ImageTexture";
  auto* image =
      static_cast<SoVRMLImageTexture*>(static_cast<SoFullPath*>(search.getPath())->getTail());
  EXPECT_STREQ(image->url[0].getString(), "texture.png");
  SoVRMLIndexedFaceSet* faces = FindFaceSet(scene.root);
  ASSERT_NE(faces, nullptr);
  auto* coords = FieldNode<SoVRMLTextureCoordinate>(faces->texCoord.getValue());
  ASSERT_NE(coords, nullptr);
  EXPECT_EQ(coords->point.getNum(), 12);
  EXPECT_EQ(faces->texCoordIndex.getNum(), 16);
  for (int i = 0; i < coords->point.getNum(); ++i) {
    EXPECT_GE(coords->point[i][0], 0);
    EXPECT_LE(coords->point[i][1], 1);
  }
  EXPECT_EQ(faces->color.getValue(), nullptr);  // the texture is the colour
  const cv::Mat png = cv::imread((dir.path() / "texture.png").string(), cv::IMREAD_COLOR);
  ASSERT_EQ(png.cols, 4);
  EXPECT_EQ(png.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 255));  // BGR: red, top left
  // the colours are declared sRGB: the sRGB chunk (perceptual) before the pixel data
  std::ifstream png_file(dir.path() / "texture.png", std::ios::binary);
  const std::string png_bytes((std::istreambuf_iterator<char>(png_file)),
                              std::istreambuf_iterator<char>());
  const size_t srgb = png_bytes.find("sRGB");
  ASSERT_NE(srgb, std::string::npos) << "no sRGB chunk";
  EXPECT_LT(srgb, png_bytes.find("IDAT"));
  EXPECT_EQ(png_bytes.substr(srgb - 4, 4), std::string("\0\0\0\1", 4));  // one byte of data
  EXPECT_EQ(png_bytes[srgb + 4], '\0');                                  // perceptual

  // the OBJ zip: model.obj with a vt per corner, the MTL naming the PNG
  const std::string zip_path = (dir.path() / "model_obj.zip").string();
  ASSERT_TRUE(WriteTexturedObjZip(mesh, zip_path));
  int error = 0;
  zip_t* zip = zip_open(zip_path.c_str(), ZIP_RDONLY, &error);
  ASSERT_NE(zip, nullptr);
  auto member = [&](const char* name) {
    std::string bytes;
    zip_file_t* file = zip_fopen(zip, name, 0);
    if (file == nullptr) return bytes;
    char buffer[4096];
    for (zip_int64_t n; (n = zip_fread(file, buffer, sizeof buffer)) > 0;) {
      bytes.append(buffer, static_cast<size_t>(n));
    }
    zip_fclose(file);
    return bytes;
  };
  std::istringstream obj(member("model.obj"));
  int v = 0, vt = 0, f = 0;
  for (std::string line; std::getline(obj, line);) {
    v += line.rfind("v ", 0) == 0;
    vt += line.rfind("vt ", 0) == 0;
    f += line.rfind("f ", 0) == 0;
  }
  EXPECT_EQ(v, 4);
  EXPECT_EQ(vt, 12);
  EXPECT_EQ(f, 4);
  EXPECT_NE(member("model.mtl").find("map_Kd texture.png"), std::string::npos);
  EXPECT_EQ(member("texture.png").substr(1, 3), "PNG");
  zip_close(zip);

  // the 3MF: the PNG as a texture part, a texture2d resource and coordinates on the triangles
  // (read as the ZIP and XML it is, not through lib3mf that wrote it)
  const std::string three_mf = (dir.path() / "model.3mf").string();
  ASSERT_TRUE(WriteThreeMf(mesh, three_mf));
  zip = zip_open(three_mf.c_str(), ZIP_RDONLY, &error);
  ASSERT_NE(zip, nullptr);
  EXPECT_EQ(member("3D/Textures/texture.png").substr(1, 3), "PNG");
  const std::string model = member("3D/3dmodel.model");
  EXPECT_NE(model.find("texture2d"), std::string::npos);
  EXPECT_NE(model.find("texture2dgroup"), std::string::npos);
  EXPECT_NE(model.find("u=\"0.1"), std::string::npos) << "the second triangle's first corner";
  EXPECT_NE(model.find("unit=\"millimeter\""), std::string::npos);
  zip_close(zip);
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
  ASSERT_TRUE(png) << png.error().message;
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
