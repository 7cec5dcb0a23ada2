// A small z-buffer rasteriser: enough for three orthographic views of a figure, drawn at twice
// the size and reduced (area filter) for smooth edges. OpenCV only draws the labels and
// encodes the PNG. Two-sided lighting, so an unrepaired input with flipped faces still reads.
#include "keepsake/mesh/preview.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "keepsake/codec/codec.hpp"

namespace keepsake::mesh {

namespace {

using V3 = std::array<double, 3>;

double Dot(const V3& a, const V3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

struct View {
  const char* name;
  V3 looking;  // the direction the camera looks along
  V3 right;    // screen x; screen up is always +Z
};

// Z is up; the figure faces -Y (as after import).
constexpr std::array<View, 3> kViews = {{{"front", {0, 1, 0}, {1, 0, 0}},
                                         {"side", {-1, 0, 0}, {0, 1, 0}},
                                         {"back", {0, -1, 0}, {-1, 0, 0}}}};

const cv::Vec3b kBackground(246, 246, 246);  // BGR
const std::array<double, 3> kPlainRgb = {222, 220, 212};
const std::array<double, 3> kThinRgb = {228, 38, 38};

void RenderView(const MeshData& mesh, const std::vector<bool>& highlighted, const View& view,
                const Bounds& bounds, cv::Mat& image) {
  const int size = image.cols;
  const V3 centre = {(bounds.min[0] + bounds.max[0]) / 2, (bounds.min[1] + bounds.max[1]) / 2,
                     (bounds.min[2] + bounds.max[2]) / 2};
  const double extent = std::max({bounds.Size(0), bounds.Size(1), bounds.Size(2), 1e-9});
  const double scale = 0.9 * size / extent;
  std::vector<float> depth(static_cast<size_t>(size) * static_cast<size_t>(size),
                           std::numeric_limits<float>::infinity());
  // light from over the viewer's left shoulder
  V3 light = {-view.looking[0] - 0.4 * view.right[0], -view.looking[1] - 0.4 * view.right[1], 0.6};
  const double light_len = std::sqrt(Dot(light, light));
  for (double& x : light) x /= light_len;
  const bool coloured = mesh.colors.size() == mesh.positions.size();
  // a textured figure is drawn with its texture (the eyes are in it, not in the vertices)
  const bool textured = !mesh.texture.Empty() && mesh.uvs.size() == mesh.triangles.size();

  for (size_t f = 0; f < mesh.triangles.size(); ++f) {
    const auto& t = mesh.triangles[f];
    std::array<V3, 3> p{};
    std::array<std::array<double, 3>, 3> screen{};  // x, y, depth
    for (size_t k = 0; k < 3; ++k) {
      p[k] = mesh.positions[t[k]];
      const V3 d = {p[k][0] - centre[0], p[k][1] - centre[1], p[k][2] - centre[2]};
      screen[k] = {size / 2.0 + scale * Dot(d, view.right), size / 2.0 - scale * d[2],
                   Dot(d, view.looking)};
    }
    const V3 u = {p[1][0] - p[0][0], p[1][1] - p[0][1], p[1][2] - p[0][2]};
    const V3 w = {p[2][0] - p[0][0], p[2][1] - p[0][1], p[2][2] - p[0][2]};
    V3 normal = {u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2], u[0] * w[1] - u[1] * w[0]};
    const double len = std::sqrt(Dot(normal, normal));
    if (len <= 0) continue;
    for (double& x : normal) x /= len;
    const double shade = 0.35 + 0.65 * std::abs(Dot(normal, light));
    const bool thin = f < highlighted.size() && highlighted[f];

    const double area = (screen[1][0] - screen[0][0]) * (screen[2][1] - screen[0][1]) -
                        (screen[2][0] - screen[0][0]) * (screen[1][1] - screen[0][1]);
    if (std::abs(area) < 1e-12) continue;
    const int x0 = std::max(
        0, static_cast<int>(std::floor(std::min({screen[0][0], screen[1][0], screen[2][0]}))));
    const int x1 =
        std::min(size - 1,
                 static_cast<int>(std::ceil(std::max({screen[0][0], screen[1][0], screen[2][0]}))));
    const int y0 = std::max(
        0, static_cast<int>(std::floor(std::min({screen[0][1], screen[1][1], screen[2][1]}))));
    const int y1 =
        std::min(size - 1,
                 static_cast<int>(std::ceil(std::max({screen[0][1], screen[1][1], screen[2][1]}))));
    for (int y = y0; y <= y1; ++y) {
      for (int x = x0; x <= x1; ++x) {
        const double px = x + 0.5, py = y + 0.5;
        std::array<double, 3> b{};
        for (size_t k = 0; k < 3; ++k) {
          const auto& s1 = screen[(k + 1) % 3];
          const auto& s2 = screen[(k + 2) % 3];
          b[k] = ((s2[0] - s1[0]) * (py - s1[1]) - (s2[1] - s1[1]) * (px - s1[0])) / area;
        }
        if (b[0] < 0 || b[1] < 0 || b[2] < 0) continue;
        const double z = b[0] * screen[0][2] + b[1] * screen[1][2] + b[2] * screen[2][2];
        float& stored =
            depth[static_cast<size_t>(y) * static_cast<size_t>(size) + static_cast<size_t>(x)];
        if (z >= stored) continue;
        stored = static_cast<float>(z);
        std::array<double, 3> rgb = thin ? kThinRgb : kPlainRgb;
        if (textured && !thin) {
          // orthographic: the screen's barycentric weights are the surface's
          const CornerUvs& uv = mesh.uvs[f];
          const std::array<uint8_t, 3> c = mesh.texture.At(
              static_cast<float>(b[0] * uv[0][0] + b[1] * uv[1][0] + b[2] * uv[2][0]),
              static_cast<float>(b[0] * uv[0][1] + b[1] * uv[1][1] + b[2] * uv[2][1]));
          rgb = {static_cast<double>(c[0]), static_cast<double>(c[1]), static_cast<double>(c[2])};
        } else if (coloured && !thin) {
          rgb = {0, 0, 0};
          for (size_t k = 0; k < 3; ++k) {
            for (size_t ch = 0; ch < 3; ++ch) rgb[ch] += b[k] * mesh.colors[t[k]][ch];
          }
        }
        image.at<cv::Vec3b>(y, x) = cv::Vec3b(cv::saturate_cast<uint8_t>(rgb[2] * shade),
                                              cv::saturate_cast<uint8_t>(rgb[1] * shade),
                                              cv::saturate_cast<uint8_t>(rgb[0] * shade));
      }
    }
  }
}

}  // namespace

tl::expected<std::string, Error> RenderPreviewPng(const std::vector<PreviewRow>& rows,
                                                  int view_px) {
  constexpr int kSupersample = 2;
  constexpr int kLabelPx = 28;
  const int row_px = view_px + kLabelPx;
  cv::Mat canvas(row_px * static_cast<int>(rows.size()), view_px * 3, CV_8UC3, kBackground);
  // every view of every row drawn at once, one thread each: a million-triangle figure and its
  // input are six passes over every triangle (1.2 s one after another on two cores)
  std::vector<cv::Mat> drawn(rows.size() * kViews.size());
  std::vector<std::thread> painters;
  for (size_t r = 0; r < rows.size(); ++r) {
    const PreviewRow& row = rows[r];
    if (row.mesh == nullptr || row.mesh->triangles.empty()) continue;
    for (size_t v = 0; v < kViews.size(); ++v) {
      painters.emplace_back(
          [&row, &view = kViews[v], &big = drawn[r * kViews.size() + v], view_px] {
            big = cv::Mat(view_px * kSupersample, view_px * kSupersample, CV_8UC3, kBackground);
            RenderView(*row.mesh, row.highlighted, view, ComputeBounds(*row.mesh), big);
          });
    }
  }
  for (std::thread& painter : painters) painter.join();
  for (size_t r = 0; r < rows.size(); ++r) {
    const PreviewRow& row = rows[r];
    if (row.mesh == nullptr || row.mesh->triangles.empty()) continue;
    const int top = static_cast<int>(r) * row_px;
    for (size_t v = 0; v < kViews.size(); ++v) {
      cv::Mat small;
      cv::resize(drawn[r * kViews.size() + v], small, cv::Size(view_px, view_px), 0, 0,
                 cv::INTER_AREA);
      small.copyTo(
          canvas(cv::Rect(static_cast<int>(v) * view_px, top + kLabelPx, view_px, view_px)));
      cv::putText(canvas, kViews[v].name,
                  cv::Point(static_cast<int>(v) * view_px + 8, top + kLabelPx + view_px - 10),
                  cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar(120, 120, 120), 1, cv::LINE_AA);
    }
    cv::putText(canvas, row.label, cv::Point(8, top + 20), cv::FONT_HERSHEY_SIMPLEX, 0.55,
                cv::Scalar(40, 40, 40), 1, cv::LINE_AA);
  }
  try {
    return codec::EncodePng(canvas.data, canvas.cols, canvas.rows, canvas.channels(), canvas.step);
  } catch (const std::exception& e) {
    return tl::unexpected(
        Error{Errc::kWriteFailed, std::string("the PNG encoder failed: ") + e.what()});
  }
}

}  // namespace keepsake::mesh
