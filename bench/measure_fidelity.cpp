// An independent check of a repaired mesh, for the side-by-side benchmark (bench/run_mesh.sh):
// it uses none of Keepsake's code, only CGAL's file readers, its AABB tree and its checks, so
// Keepsake's result and MeshFix's are measured by the same yardstick.
//   keepsake_fidelity ORIGINAL RESULT [--scale S] [--within MM] [--samples N] [--stl OUT]
// Both files are scaled by S (millimetres per file unit; 1 when both are in mm already).
// Prints one JSON line: the share of the original's surface within MM of the result (all of
// it, and the part that does not lie inside the result), the distance percentiles, and whether
// the result is a valid solid (closed, manifold, no crossings, every shell bounding a volume).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <CGAL/AABB_traits.h>
#include <CGAL/AABB_tree.h>
#include <CGAL/AABB_triangle_primitive.h>
#include <CGAL/Exact_predicates_inexact_constructions_kernel.h>
#include <CGAL/IO/polygon_soup_io.h>
#include <CGAL/Polygon_mesh_processing/connected_components.h>
#include <CGAL/Polygon_mesh_processing/orient_polygon_soup.h>
#include <CGAL/Polygon_mesh_processing/polygon_soup_to_polygon_mesh.h>
#include <CGAL/Polygon_mesh_processing/repair_polygon_soup.h>
#include <CGAL/Polygon_mesh_processing/self_intersections.h>
#include <CGAL/Side_of_triangle_mesh.h>
#include <CGAL/Surface_mesh.h>
#include <CGAL/boost/graph/IO/polygon_mesh_io.h>

namespace {

namespace PMP = CGAL::Polygon_mesh_processing;
using Kernel = CGAL::Exact_predicates_inexact_constructions_kernel;
using Point = Kernel::Point_3;
using Triangle = Kernel::Triangle_3;
using Mesh = CGAL::Surface_mesh<Point>;
using Tree = CGAL::AABB_tree<CGAL::AABB_traits<
    Kernel, CGAL::AABB_triangle_primitive<Kernel, std::vector<Triangle>::const_iterator>>>;

struct Soup {
  std::vector<Point> points;
  std::vector<std::vector<std::size_t>> polygons;
};

Soup Read(const std::string& path, double scale) {
  Soup soup;
  if (!CGAL::IO::read_polygon_soup(path, soup.points, soup.polygons)) {
    std::fprintf(stderr, "keepsake_fidelity: cannot read %s\n", path.c_str());
    std::exit(1);
  }
  for (Point& p : soup.points) p = Point(p.x() * scale, p.y() * scale, p.z() * scale);
  return soup;
}

std::vector<Triangle> Triangles(const Soup& soup) {
  std::vector<Triangle> out;
  for (const auto& polygon : soup.polygons) {
    for (std::size_t k = 1; k + 1 < polygon.size(); ++k) {
      Triangle t(soup.points[polygon[0]], soup.points[polygon[k]], soup.points[polygon[k + 1]]);
      if (!t.is_degenerate()) out.push_back(t);
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: keepsake_fidelity ORIGINAL RESULT [--scale S] [--within MM] "
                 "[--samples N] [--stl OUT]\n");
    return 2;
  }
  double scale = 1, within = 0.1;
  int samples = 50000;
  std::string stl_out;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--scale") scale = std::atof(argv[i + 1]);
    if (flag == "--within") within = std::atof(argv[i + 1]);
    if (flag == "--samples") samples = std::atoi(argv[i + 1]);
    if (flag == "--stl") stl_out = argv[i + 1];
  }
  const Soup original = Read(argv[1], scale);
  Soup result = Read(argv[2], scale);
  const std::vector<Triangle> from = Triangles(original), to = Triangles(result);
  if (from.empty() || to.empty()) {
    std::printf("{\"error\": \"no triangles\"}\n");
    return 1;
  }

  // the result as a mesh: valid only if its soup is a closed, oriented 2-manifold as it is
  PMP::merge_duplicate_points_in_polygon_soup(result.points, result.polygons);
  Mesh mesh;
  const bool manifold = PMP::is_polygon_soup_a_polygon_mesh(result.polygons);
  if (manifold) PMP::polygon_soup_to_polygon_mesh(result.points, result.polygons, mesh);
  const bool closed = manifold && CGAL::is_closed(mesh);
  std::size_t crossings = 0, shells = 0;
  bool outward = false;
  if (manifold) {
    std::vector<std::pair<Mesh::Face_index, Mesh::Face_index>> pairs;
    PMP::self_intersections(mesh, std::back_inserter(pairs));
    crossings = pairs.size();
    auto shell = mesh.add_property_map<Mesh::Face_index, std::size_t>("f:s", 0).first;
    shells = PMP::connected_components(mesh, shell);
    std::vector<double> volume(shells, 0);
    for (auto f : mesh.faces()) {
      auto h = mesh.halfedge(f);
      const Point a = mesh.point(mesh.source(h)), b = mesh.point(mesh.target(h)),
                  c = mesh.point(mesh.target(mesh.next(h)));
      volume[shell[f]] +=
          CGAL::scalar_product(a - CGAL::ORIGIN,
                               CGAL::cross_product(b - CGAL::ORIGIN, c - CGAL::ORIGIN)) /
          6;
    }
    outward = std::all_of(volume.begin(), volume.end(), [](double v) { return v > 0; });
  }
  const bool valid = closed && crossings == 0 && outward;

  // samples on the original, uniform by area, fixed seed
  std::vector<double> cumulative;
  double total = 0;
  for (const Triangle& t : from) cumulative.push_back(total += std::sqrt(t.squared_area()));
  std::mt19937_64 random(7);
  std::uniform_real_distribution<double> unit(0, 1);
  Tree tree(to.cbegin(), to.cend());
  tree.accelerate_distance_queries();
  std::vector<double> all, visible;
  std::unique_ptr<CGAL::Side_of_triangle_mesh<Mesh, Kernel>> inside;
  if (valid) inside = std::make_unique<CGAL::Side_of_triangle_mesh<Mesh, Kernel>>(mesh);
  for (int s = 0; s < samples; ++s) {
    const std::size_t i = static_cast<std::size_t>(
        std::lower_bound(cumulative.begin(), cumulative.end(), unit(random) * total) -
        cumulative.begin());
    const Triangle& t = from[std::min(i, from.size() - 1)];
    double a = unit(random), b = unit(random);
    if (a + b > 1) {
      a = 1 - a;
      b = 1 - b;
    }
    const Point p = t.vertex(0) + a * (t.vertex(1) - t.vertex(0)) + b * (t.vertex(2) - t.vertex(0));
    const double d = std::sqrt(CGAL::to_double(tree.squared_distance(p)));
    all.push_back(d);
    if (d <= within || !inside || (*inside)(p) != CGAL::ON_BOUNDED_SIDE) visible.push_back(d);
  }
  const auto share = [&](const std::vector<double>& d) {
    return d.empty() ? 1.0
                     : static_cast<double>(std::count_if(d.begin(), d.end(),
                                                         [&](double x) { return x <= within; })) /
                           static_cast<double>(d.size());
  };
  std::sort(all.begin(), all.end());
  const auto at = [&](double q) {
    return all[std::min(all.size() - 1, static_cast<std::size_t>(q * all.size()))];
  };
  std::printf(
      "{\"share_within\": %.5f, \"share_within_visible\": %.5f, \"p50_mm\": %.4f, \"p99_mm\": "
      "%.4f, \"max_mm\": %.4f, \"valid\": %s, \"closed\": %s, \"manifold\": %s, "
      "\"self_intersections\": %zu, \"shells\": %zu, \"triangles\": %zu}\n",
      share(all), share(visible), at(0.5), at(0.99), all.back(), valid ? "true" : "false",
      closed ? "true" : "false", manifold ? "true" : "false", crossings, shells,
      result.polygons.size());
  if (!stl_out.empty() && manifold) CGAL::IO::write_polygon_mesh(stl_out, mesh);
  return 0;
}
