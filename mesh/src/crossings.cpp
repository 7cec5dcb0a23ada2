// Parts and crossings, repaired where they are (a CGAL translation unit: about 50 s to build).
// CGAL 5.5 Polygon Mesh Processing: connected_components and remove_connected_components for
// the parts; self_intersections (box intersection with exact predicates) to find crossings.
// The file's crossings go first to the union by winding number (self_union.cpp), which keeps
// every visible part of the surface where it was. What it cannot make clean, and the
// nanometre folds that rounding makes, are cut out with a few rings around them and the holes
// refilled, round after round, as MeshFix does (Attene, "A lightweight approach to repairing
// digitized polygon meshes", 2010); parts still through parts then become one surface by
// corefine_and_compute_union, whose preconditions (each part closed and free of crossings) the
// fold step makes true. docs/decisions.md says why CGAL's own
// autorefine_and_remove_self_intersections is not used.
#include "crossings.hpp"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <thread>
#include <unordered_set>

#include <CGAL/AABB_face_graph_triangle_primitive.h>
#include <CGAL/AABB_traits.h>
#include <CGAL/AABB_tree.h>
#include <CGAL/Box_intersection_d/Box_with_info_d.h>
#include <CGAL/Polygon_mesh_processing/bbox.h>
#include <CGAL/Polygon_mesh_processing/border.h>
#include <CGAL/Polygon_mesh_processing/connected_components.h>
#include <CGAL/Polygon_mesh_processing/corefinement.h>
#include <CGAL/Polygon_mesh_processing/manifoldness.h>
#include <CGAL/Polygon_mesh_processing/orientation.h>
#include <CGAL/Polygon_mesh_processing/repair.h>
#include <CGAL/Polygon_mesh_processing/repair_self_intersections.h>
#include <CGAL/Polygon_mesh_processing/self_intersections.h>
#include <CGAL/Polygon_mesh_processing/shape_predicates.h>
#include <CGAL/Polygon_mesh_processing/triangulate_hole.h>
#include <CGAL/boost/graph/Euler_operations.h>
#include <CGAL/boost/graph/Face_filtered_graph.h>
#include <CGAL/boost/graph/copy_face_graph.h>
#include <CGAL/box_intersection_d.h>

namespace keepsake::mesh::cgal {

namespace {

namespace PMP = CGAL::Polygon_mesh_processing;

constexpr std::size_t kNoPart = std::numeric_limits<std::size_t>::max();

double Diagonal(const CGAL::Bbox_3& b) {
  return std::sqrt((b.xmax() - b.xmin()) * (b.xmax() - b.xmin()) +
                   (b.ymax() - b.ymin()) * (b.ymax() - b.ymin()) +
                   (b.zmax() - b.zmin()) * (b.zmax() - b.zmin()));
}

struct PartShape {
  CGAL::Bbox_3 box;
  int64_t faces = 0;
  double area = 0;
  double hole_area = 0;  // what filling its border loops would add (their vector areas)
  int64_t border_edges = 0;
};

// The area of the surface spanned by a border loop, from its vector area: exact for a flat
// loop, a lower bound for a curved one.
double LoopArea(const SurfaceMesh& sm, Halfedge border) {
  Kernel::Vector_3 sum(0, 0, 0);
  for (Halfedge h : CGAL::halfedges_around_face(border, sm)) {
    sum = sum + CGAL::cross_product(sm.point(sm.source(h)) - CGAL::ORIGIN,
                                    sm.point(sm.target(h)) - CGAL::ORIGIN);
  }
  return std::sqrt(sum.squared_length()) / 2;
}

}  // namespace

std::vector<std::pair<Face, Face>> SelfIntersections(const SurfaceMesh& sm,
                                                     const std::vector<Face>& faces) {
  std::vector<std::pair<Face, Face>> pairs;
  const std::size_t threads = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 16);
  if (faces.size() < 20000 || threads == 1) {
    PMP::self_intersections<CGAL::Sequential_tag>(faces, sm, std::back_inserter(pairs));
    return pairs;
  }
  // slabs across the longest axis, cut at the quantiles of the faces' centres; a face whose
  // box reaches into a slab is tested with it, so every crossing pair shares one slab
  std::vector<CGAL::Bbox_3> boxes(faces.size());
  CGAL::Bbox_3 all;
  for (std::size_t i = 0; i < faces.size(); ++i) all += boxes[i] = PMP::face_bbox(faces[i], sm);
  int axis = 0;
  for (int a = 1; a < 3; ++a) {
    if (all.max(a) - all.min(a) > all.max(axis) - all.min(axis)) axis = a;
  }
  const std::size_t slabs = 2 * threads;
  std::vector<double> centres(faces.size());
  for (std::size_t i = 0; i < faces.size(); ++i) {
    centres[i] = (boxes[i].min(axis) + boxes[i].max(axis)) / 2;
  }
  std::vector<double> cuts;  // slab k runs from cuts[k - 1] to cuts[k]
  for (std::size_t k = 1; k < slabs; ++k) {
    auto at = centres.begin() + static_cast<std::ptrdiff_t>(centres.size() * k / slabs);
    std::nth_element(centres.begin(), at, centres.end());
    cuts.push_back(*at);
  }
  std::sort(cuts.begin(), cuts.end());
  std::vector<std::vector<Face>> in_slab(slabs);
  for (std::size_t i = 0; i < faces.size(); ++i) {
    const auto first =
        std::lower_bound(cuts.begin(), cuts.end(), boxes[i].min(axis)) - cuts.begin();
    const auto last = std::upper_bound(cuts.begin(), cuts.end(), boxes[i].max(axis)) - cuts.begin();
    for (auto k = first; k <= last && k < static_cast<std::ptrdiff_t>(slabs); ++k) {
      in_slab[static_cast<std::size_t>(k)].push_back(faces[i]);
    }
  }
  std::vector<std::vector<std::pair<Face, Face>>> found(slabs);
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (std::size_t k; (k = next++) < slabs;) {
        PMP::self_intersections<CGAL::Sequential_tag>(in_slab[k], sm, std::back_inserter(found[k]));
      }
    });
  }
  for (std::thread& t : pool) t.join();
  for (auto& slab : found) {
    for (auto [a, b] : slab) pairs.emplace_back(std::min(a, b), std::max(a, b));
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());  // pairs seen by two slabs
  return pairs;
}

std::vector<std::pair<Face, Face>> CrossingPairs(SurfaceMesh& sm) {
  auto checked = sm.add_property_map<Face, bool>("f:crossings_checked", false).first;
  std::vector<Face> unchecked;
  for (Face f : sm.faces()) {
    if (!checked[f]) unchecked.push_back(f);
  }
  std::vector<std::pair<Face, Face>> pairs;
  if (4 * unchecked.size() > sm.number_of_faces()) {
    pairs = SelfIntersections(sm, std::vector<Face>(sm.faces().begin(), sm.faces().end()));
  } else if (!unchecked.empty()) {
    // the faces whose boxes meet an unchecked face's box; a crossing of an unchecked face is
    // among them, and two checked faces cannot cross
    using Box = CGAL::Box_intersection_d::Box_with_info_d<double, 3, Face>;
    std::vector<Box> near_boxes, candidate_boxes;
    near_boxes.reserve(unchecked.size());
    for (Face f : unchecked) near_boxes.emplace_back(PMP::face_bbox(f, sm), f);
    // the candidates, sifted first by cubes around the unchecked boxes (as large as nine in
    // ten of them): the box intersection then sorts a few thousand boxes, not a million
    std::vector<double> extents;
    for (const Box& b : near_boxes) {
      for (int axis = 0; axis < 3; ++axis) extents.push_back(b.max_coord(axis) - b.min_coord(axis));
    }
    std::nth_element(extents.begin(), extents.begin() + extents.size() * 9 / 10, extents.end());
    const double cube = std::max(extents[extents.size() * 9 / 10], 1e-6);
    const auto cell = [cube](double x) { return static_cast<int64_t>(std::floor(x / cube)); };
    std::unordered_set<uint64_t> cubes;
    bool sift = true;
    for (const Box& b : near_boxes) {
      double spanned = 1;  // cubes this box covers
      for (int axis = 0; axis < 3; ++axis) {
        spanned *= static_cast<double>(cell(b.max_coord(axis)) - cell(b.min_coord(axis)) + 1);
      }
      sift = sift && spanned + static_cast<double>(cubes.size()) <= sm.number_of_faces();
      if (!sift) break;  // a few huge faces among small ones: sifting would not pay
      for (int64_t x = cell(b.min_coord(0)); x <= cell(b.max_coord(0)); ++x) {
        for (int64_t y = cell(b.min_coord(1)); y <= cell(b.max_coord(1)); ++y) {
          for (int64_t z = cell(b.min_coord(2)); z <= cell(b.max_coord(2)); ++z) {
            cubes.insert(CellKey(x, y, z));
          }
        }
      }
    }
    for (Face f : sm.faces()) {
      const CGAL::Bbox_3 box = PMP::face_bbox(f, sm);
      bool near = !sift;
      for (int64_t x = cell(box.xmin()); x <= cell(box.xmax()) && !near; ++x) {
        for (int64_t y = cell(box.ymin()); y <= cell(box.ymax()) && !near; ++y) {
          for (int64_t z = cell(box.zmin()); z <= cell(box.zmax()) && !near; ++z) {
            near = cubes.count(CellKey(x, y, z)) > 0;
          }
        }
      }
      if (near) candidate_boxes.emplace_back(box, f);
    }
    std::set<Face> near(unchecked.begin(), unchecked.end());
    CGAL::box_intersection_d(
        near_boxes.begin(), near_boxes.end(), candidate_boxes.begin(), candidate_boxes.end(),
        [&](const Box&, const Box& b) { near.insert(b.info()); }, std::ptrdiff_t(10),
        CGAL::Box_intersection_d::CLOSED);
    const std::vector<Face> range(near.begin(), near.end());
    pairs = SelfIntersections(sm, range);
  }
  for (Face f : sm.faces()) checked[f] = true;
  for (const auto& [a, b] : pairs) checked[a] = checked[b] = false;
  return pairs;
}

void MarkChanged(SurfaceMesh& sm, Vertex v) {
  auto checked = sm.add_property_map<Face, bool>("f:crossings_checked", false).first;
  for (Face f : CGAL::faces_around_target(sm.halfedge(v), sm)) {
    if (f != SurfaceMesh::null_face()) checked[f] = false;
  }
}

void MarkAllChanged(SurfaceMesh& sm) {
  auto [checked, created] = sm.property_map<Face, bool>("f:crossings_checked");
  if (created) sm.remove_property_map(checked);
}

namespace {

// Moves each of `copies` (vertices that share a point with another) kPinchStepMm into its own
// umbrella of faces.
void MoveCopiesApart(SurfaceMesh& sm, const std::vector<Vertex>& copies) {
  for (Vertex v : copies) {
    if (sm.halfedge(v) == SurfaceMesh::null_halfedge()) continue;  // on no face
    const Point p = sm.point(v);
    Kernel::Vector_3 sum(0, 0, 0);
    double shortest = std::numeric_limits<double>::max();
    int n = 0;
    for (Halfedge h : CGAL::halfedges_around_target(sm.halfedge(v), sm)) {
      const Point& q = sm.point(sm.source(h));
      sum = sum + (q - p);
      shortest = std::min(shortest, std::sqrt(CGAL::squared_distance(p, q)));
      ++n;
    }
    const double length = std::sqrt(sum.squared_length());
    if (n == 0 || !(length > 0)) continue;
    const double step = std::min(kPinchStepMm, shortest / 20);
    sm.point(v) = p + sum * (step / length);
    MarkChanged(sm, v);
  }
}

}  // namespace

std::size_t SplitPinches(SurfaceMesh& sm) {
  const std::size_t split = PMP::duplicate_non_manifold_vertices(sm);
  // the vertices sorted by their point: copies end up side by side (a sort, not a map: a
  // million vertices take a tenth of a second)
  std::vector<Vertex> order(sm.vertices().begin(), sm.vertices().end());
  const auto key = [&](Vertex v) {
    const Point& p = sm.point(v);
    return std::array<double, 3>{p.x(), p.y(), p.z()};
  };
  std::sort(order.begin(), order.end(), [&](Vertex a, Vertex b) { return key(a) < key(b); });
  std::vector<Vertex> copies;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (i > 0 && key(order[i]) == key(order[i - 1])) {
      if (copies.empty() || copies.back() != order[i - 1]) copies.push_back(order[i - 1]);
      copies.push_back(order[i]);
    }
  }
  MoveCopiesApart(sm, copies);
  return split;
}

std::size_t SplitNewPinches(SurfaceMesh& sm) {
  std::vector<std::vector<Vertex>> groups;  // each: the pinched vertex, then its new copies
  const std::size_t split = PMP::duplicate_non_manifold_vertices(
      sm, CGAL::parameters::output_iterator(std::back_inserter(groups)));
  std::vector<Vertex> copies;
  for (const auto& group : groups) copies.insert(copies.end(), group.begin(), group.end());
  MoveCopiesApart(sm, copies);
  return split;
}

Flooded FloodPiece(const SurfaceMesh& sm, Face start, SurfaceMesh::Property_map<Face, uint8_t> seen,
                   const std::function<bool(Face)>& too_large) {
  Flooded piece;
  piece.faces = {start};
  seen[start] = 1;
  piece.large = too_large(start);
  std::vector<Face> stack = {start};
  while (!stack.empty() && !piece.large) {
    const Face f = stack.back();
    stack.pop_back();
    for (Halfedge h : CGAL::halfedges_around_face(sm.halfedge(f), sm)) {
      const Face g = sm.face(sm.opposite(h));
      if (g == SurfaceMesh::null_face() || seen[g] == 1) continue;
      if (seen[g] == 2 || too_large(g)) {
        piece.large = true;
        if (seen[g] == 2) break;
      }
      seen[g] = 1;
      piece.faces.push_back(g);
      stack.push_back(g);
      if (piece.large) break;
    }
  }
  if (piece.large) {
    for (Face f : piece.faces) seen[f] = 2;
  }
  return piece;
}

namespace {

// A closed, manifold surface without degenerate faces.
bool SoundSurface(const SurfaceMesh& sm) {
  if (sm.is_empty() || !CGAL::is_closed(sm)) return false;
  // non_manifold_vertices is linear; is_non_manifold_vertex per vertex walks the whole mesh
  // each time (4 s on diplodocus.off)
  std::vector<Halfedge> pinched;
  PMP::non_manifold_vertices(sm, std::back_inserter(pinched));
  if (!pinched.empty()) return false;
  for (Face f : sm.faces()) {
    if (PMP::is_degenerate_triangle_face(f, sm)) return false;
  }
  return true;
}

// ... and without crossings.
bool CleanSolid(SurfaceMesh& sm) { return SoundSurface(sm) && CrossingPairs(sm).empty(); }

double TotalArea(const SurfaceMesh& sm) {
  double area = 0;
  for (Face f : sm.faces()) area += FaceArea(sm, f);
  return area;
}

}  // namespace

namespace {

// How far the border of a hole strays from its mean plane (Newell's normal through its
// centroid), as a share of its width: near 0 for the open bottom of a statue, large for a hole
// in a curved surface.
double BorderBend(const SurfaceMesh& sm, Halfedge h) {
  Kernel::Vector_3 normal(0, 0, 0), sum(0, 0, 0);
  std::vector<Point> border;
  for (Halfedge e : CGAL::halfedges_around_face(h, sm)) {
    const Point& a = sm.point(sm.source(e));
    const Point& b = sm.point(sm.target(e));
    normal = normal + CGAL::cross_product(a - CGAL::ORIGIN, b - CGAL::ORIGIN);
    sum = sum + (a - CGAL::ORIGIN);
    border.push_back(a);
  }
  const double length = std::sqrt(normal.squared_length());
  if (border.size() < 3 || length <= 0) return 0;
  normal = normal / length;
  const Point centre = CGAL::ORIGIN + sum / static_cast<double>(border.size());
  double off_plane = 0, width = 0;
  for (const Point& p : border) {
    off_plane = std::max(off_plane, std::abs(CGAL::scalar_product(p - centre, normal)));
    width = std::max(width, std::sqrt(CGAL::squared_distance(p, centre)));
  }
  return width > 0 ? off_plane / (2 * width) : 0;
}

}  // namespace

bool FillHole(SurfaceMesh& sm, Halfedge h, int edges, std::vector<Face>& patch, bool fair,
              int continuity) {
  const std::size_t before = patch.size();
  // a flat hole (the open bottom of a statue) takes a flat fill: fairing would dome it (23 mm
  // out of mannequin-devil's base)
  if (fair && BorderBend(sm, h) < 0.05) fair = false;
  // the fairing solves a sparse system over the new vertices: bounded to holes of a size that
  // a repair makes, not a missing half of a model
  if (edges <= 1000 && fair) {
    std::vector<Vertex> added;
    const auto faired = PMP::triangulate_refine_and_fair_hole(
        sm, h, std::back_inserter(patch), std::back_inserter(added),
        CGAL::parameters::use_delaunay_triangulation(true)
            .do_not_use_cubic_algorithm(edges > 100)
            .fairing_continuity(static_cast<unsigned int>(continuity)));
    if (patch.size() > before) return true;
    (void)faired;
  }
  PMP::triangulate_hole(
      sm, h, std::back_inserter(patch),
      CGAL::parameters::use_delaunay_triangulation(true).do_not_use_cubic_algorithm(edges > 100));
  return patch.size() > before;
}

namespace {

using PartMap = SurfaceMesh::Property_map<Face, std::size_t>;

// Each part's box, faces, area and its holes' border edges and area.
std::vector<PartShape> MeasureParts(const SurfaceMesh& sm, PartMap part, std::size_t count) {
  std::vector<PartShape> shapes(count);
  for (Face f : sm.faces()) {
    PartShape& s = shapes[part[f]];
    for (auto v : CGAL::vertices_around_face(sm.halfedge(f), sm)) s.box += sm.point(v).bbox();
    ++s.faces;
    s.area += FaceArea(sm, f);
  }
  std::vector<Halfedge> loops;
  PMP::extract_boundary_cycles(sm, std::back_inserter(loops));
  for (Halfedge h : loops) {
    PartShape& s = shapes[part[sm.face(sm.opposite(h))]];
    s.hole_area += LoopArea(sm, h);
    for (Halfedge e : CGAL::halfedges_around_face(h, sm)) {
      (void)e;
      ++s.border_edges;
    }
  }
  return shapes;
}

// A sheet goes only when it crosses a closed part larger than itself: a flap through a
// figure's surface. Where nothing is closed (a model of open patches, CGAL's pig.stl), the
// patches are the model, and they are left to the hole filling or the rebuild.
void RemoveCrossingSheets(SurfaceMesh& sm, PartMap part, const std::vector<PartShape>& shapes,
                          const std::vector<std::size_t>& sheets, std::vector<std::string>& fate) {
  const std::vector<std::pair<Face, Face>> pairs = CrossingPairs(sm);
  std::set<std::size_t> doomed;
  for (const auto& [a, b] : pairs) {
    for (const auto& [sheet, other] : {std::pair(part[a], part[b]), std::pair(part[b], part[a])}) {
      if (sheet != other && shapes[other].border_edges == 0 &&
          shapes[other].area > shapes[sheet].area &&
          std::find(sheets.begin(), sheets.end(), sheet) != sheets.end()) {
        doomed.insert(sheet);
      }
    }
  }
  for (std::size_t c : doomed) fate[c] = "removed_sheet";
}

// A small part far from the rest of the figure (what stays, specks aside) is a speck.
void RemoveFarSpecks(const SurfaceMesh& sm, PartMap part, const std::vector<PartShape>& shapes,
                     const std::vector<std::size_t>& specks, std::vector<std::string>& fate) {
  using Primitive = CGAL::AABB_face_graph_triangle_primitive<SurfaceMesh>;
  using Tree = CGAL::AABB_tree<CGAL::AABB_traits<Kernel, Primitive>>;
  std::set<std::size_t> small(specks.begin(), specks.end());
  std::vector<Face> body;
  for (Face f : sm.faces()) {
    if (small.count(part[f]) == 0 && fate[part[f]] == "kept") body.push_back(f);
  }
  if (body.empty()) return;
  Tree tree(body.begin(), body.end(), sm);
  tree.accelerate_distance_queries();
  for (std::size_t c : specks) {
    const CGAL::Bbox_3& b = shapes[c].box;
    const Point centre((b.xmin() + b.xmax()) / 2, (b.ymin() + b.ymax()) / 2,
                       (b.zmin() + b.zmax()) / 2);
    const double gap = std::sqrt(CGAL::to_double(tree.squared_distance(centre)));
    if (gap > 2 * Diagonal(b) + 0.5) fate[c] = "removed_speck";
  }
}

// Every part into the report with its fate, and the parts that go removed (never all of them:
// the largest stays).
void ReportAndRemoveParts(SurfaceMesh& sm, PartMap part, const std::vector<PartShape>& shapes,
                          const std::vector<std::string>& fate, RepairReport& report) {
  const std::size_t count = shapes.size();
  std::vector<std::size_t> remove;
  for (std::size_t c = 0; c < count; ++c) {
    const CGAL::Bbox_3& b = shapes[c].box;
    RepairPart p;
    p.triangles = shapes[c].faces;
    p.size_mm = Diagonal(b);
    p.centre_mm = {(b.xmin() + b.xmax()) / 2, (b.ymin() + b.ymax()) / 2, (b.zmin() + b.zmax()) / 2};
    p.closed = shapes[c].border_edges == 0;
    p.fate = fate[c];
    report.parts.push_back(p);
    if (fate[c] == "kept") continue;
    remove.push_back(c);
    ++report.fragments_removed;
    if (fate[c] == "removed_speck") ++report.specks_removed;
    if (fate[c] == "removed_sheet") ++report.sheets_removed;
  }
  report.parts_in = static_cast<int64_t>(count);
  if (remove.size() == count) {
    std::size_t keep = 0;
    for (std::size_t c = 1; c < count; ++c) {
      if (Diagonal(shapes[c].box) > Diagonal(shapes[keep].box)) keep = c;
    }
    remove.erase(std::find(remove.begin(), remove.end(), keep));
    report.parts[keep].fate = "kept";
    --report.fragments_removed;
  }
  if (!remove.empty()) {
    PMP::remove_connected_components(sm, remove, part);
    sm.collect_garbage();
  }
}

}  // namespace

void SortOutParts(SurfaceMesh& sm, const RepairOptions& options, RepairReport& report,
                  const StepDone& step) {
  auto part = sm.add_property_map<Face, std::size_t>("f:part", kNoPart).first;
  const std::size_t count = PMP::connected_components(sm, part);
  const std::vector<PartShape> shapes = MeasureParts(sm, part, count);
  double largest = 0;
  for (const PartShape& s : shapes) largest = std::max(largest, Diagonal(s.box));

  std::vector<std::string> fate(count, "kept");
  // open parts that are sheets rather than solids with a hole: filling their border would add
  // a good share of their own area (a flat patch: all of it; a figure with a hole: little)
  std::vector<std::size_t> sheets, specks;
  for (std::size_t c = 0; c < count; ++c) {
    const double size = Diagonal(shapes[c].box);
    if (size < options.min_part_mm && size < largest) {
      fate[c] = "removed_fragment";
    } else if (shapes[c].border_edges > 0 && shapes[c].hole_area > 0.25 * shapes[c].area) {
      sheets.push_back(c);
    } else if (size < options.speck_share * largest) {
      specks.push_back(c);
    }
  }
  if (!sheets.empty()) {
    RemoveCrossingSheets(sm, part, shapes, sheets, fate);
    step("crossing sheets");
  }
  if (!specks.empty()) {
    RemoveFarSpecks(sm, part, shapes, specks, fate);
    step("specks");
  }
  ReportAndRemoveParts(sm, part, shapes, fate, report);
  // "f:part" stays: ResolveCrossings names the parts that it unites
}

namespace {

// Every shell's faces, by shell id, and each face's shell.
struct Shells {
  std::size_t count = 0;
  std::vector<std::vector<Face>> faces;
};

Shells FindShells(SurfaceMesh& sm, SurfaceMesh::Property_map<Face, std::size_t>& shell) {
  Shells out;
  out.count = PMP::connected_components(sm, shell);
  out.faces.resize(out.count);
  for (Face f : sm.faces()) out.faces[shell[f]].push_back(f);
  return out;
}

double SignedVolume(const SurfaceMesh& sm, const std::vector<Face>& faces) {
  double volume = 0;
  for (Face f : faces) {
    const std::array<Point, 3> p = FacePoints(sm, f);
    volume += CGAL::scalar_product(p[0] - CGAL::ORIGIN,
                                   CGAL::cross_product(p[1] - CGAL::ORIGIN, p[2] - CGAL::ORIGIN)) /
              6.0;
  }
  return volume;
}

// Fills every hole of `sm` it can; returns how many it could not (they stay open). `added`
// grows by the faces the fills add.
int FillAllHoles(SurfaceMesh& sm, int64_t& added) {
  std::vector<Halfedge> borders;
  PMP::extract_boundary_cycles(sm, std::back_inserter(borders));
  int left = 0;
  for (Halfedge h : borders) {
    if (!sm.is_border(h)) continue;
    int edges = 0;
    for (Halfedge e : CGAL::halfedges_around_face(h, sm)) {
      (void)e;
      ++edges;
    }
    std::vector<Face> patch;
    // a cut's fill refined to the density around it and faired as a membrane (continuity 0):
    // on a coarse mesh the faces cut out are large, and a plain triangulation of their border
    // lies off the surface they were (cow.off: 97.6 % of the surface kept within 0.1 mm plain,
    // 98.2 % as a membrane; man.off 98.97 % -> 99.05 %); tangent continuity (1, 2) bulges
    // some fills through the surface nearby (man.off lower)
    if (!FillHole(sm, h, edges, patch, /*fair=*/true, /*continuity=*/0)) ++left;
    added += static_cast<int64_t>(patch.size());
  }
  return left;
}

// A cut can leave a sliver of surface on its own (a few faces between two cut regions): filled,
// it would become a bead beside the figure. A piece that holds less than a tenth of the faces
// of the input part it came from ("f:part") is such a remnant and goes. Only pieces along the
// cut's borders can be remnants: each is flooded from there, and a flood that grows past a
// tenth of its part (or reaches a piece known to) stops, so a cut in a million faces costs
// what lies near it, not a pass over every face.
void RemoveCutRemnants(SurfaceMesh& sm, const std::vector<RepairPart>& parts) {
  // not a structured binding: the lambda below captures it (clang 14, the fuzzers' compiler,
  // cannot capture one)
  const auto found = sm.property_map<Face, std::size_t>("f:part");
  if (!found.second) return;
  const auto part = found.first;
  auto seen = sm.add_property_map<Face, uint8_t>("f:remnant_seen", 0).first;
  std::vector<Face> remnants;
  for (Halfedge border : sm.halfedges()) {
    if (!sm.is_border(border)) continue;
    const Face start = sm.face(sm.opposite(border));
    if (seen[start] != 0) continue;
    std::size_t origin = kNoPart;
    int64_t taken = 0;
    const Flooded piece = FloodPiece(sm, start, seen, [&](Face f) {
      if (part[f] != kNoPart) origin = part[f];
      ++taken;
      return origin < parts.size() && taken * 10 >= parts[origin].triangles;
    });
    // a piece of fills alone (no part of its own) is never a remnant
    if (piece.large) continue;
    if (origin >= parts.size()) {
      for (Face f : piece.faces) seen[f] = 2;
    } else {
      remnants.insert(remnants.end(), piece.faces.begin(), piece.faces.end());
    }
  }
  sm.remove_property_map(seen);
  if (remnants.size() < sm.number_of_faces()) {  // never every face
    for (Face f : remnants) CGAL::Euler::remove_face(sm.halfedge(f), sm);
  }
}

// MeshFix's way with folds (Attene 2010, section 4): cut out the crossing faces with `ring`
// rings of neighbours around them, fill the holes, look again; each round cuts one ring wider.
// Only crossings within one shell are treated. Returns the pairs left (0: clean). `replaced`
// grows by the area of the file's own faces that were cut out (faces a fill added cost
// nothing: they were never the customer's); past `max_area` it gives up.
std::size_t CutAndRefillFolds(SurfaceMesh& sm, const RepairOptions& options, double max_area,
                              const std::vector<RepairPart>& parts, double& replaced,
                              int64_t& added) {
  auto from_file = sm.property_map<Face, bool>("f:from_file").first;
  std::size_t last_count = std::numeric_limits<std::size_t>::max();
  int file_from_round = -1;  // the round from which cuts grow into the file's surface
  for (int round = 0; round < options.max_refill_rounds; ++round) {
    auto shell = sm.add_property_map<Face, std::size_t>("f:fold_shell", 0).first;
    PMP::connected_components(sm, shell);
    // a crossing between a fill and the file's surface is the fill's fault: only the fill is
    // cut (and grown within fills); crossings of the file's own faces cut both sides
    std::set<Face> cut, fill_only;
    for (const auto& [a, b] : CrossingPairs(sm)) {
      if (shell[a] != shell[b]) continue;
      if (from_file[a] && from_file[b]) {
        cut.insert({a, b});
      } else {
        for (Face f : {a, b}) {
          if (!from_file[f]) fill_only.insert(f);
        }
      }
    }
    sm.remove_property_map(shell);
    // a hole the last round could not fill: the faces along it are cut, so it grows
    bool open = false;
    for (Halfedge h : sm.halfedges()) {
      if (!sm.is_border(h)) continue;
      open = true;
      cut.insert(sm.face(sm.opposite(h)));
    }
    if (open && file_from_round < 0) file_from_round = round;
    const std::size_t count = cut.size() + fill_only.size();
    if (count >= last_count && file_from_round < 0) file_from_round = round;
    last_count = count;
    if (cut.empty() && fill_only.empty()) {  // closed (no border) and clean
      sm.collect_garbage();
      return 0;
    }
    // The first rounds cut the crossing faces themselves and grow only into fills (a fill is
    // ours: cutting it costs the customer nothing); once a round leaves as many crossing faces
    // as the one before, the cut also grows into the file's surface around the crossings, one
    // ring more every second round.
    const bool into_file = file_from_round >= 0;
    const int rings = into_file ? 1 + (round - file_from_round) / 2 : 1 + round / 2;
    for (int ring = 0; ring < rings; ++ring) {
      for (std::set<Face>* set : {&cut, &fill_only}) {
        std::vector<Face> grown;
        for (Face f : *set) {
          for (auto v : CGAL::vertices_around_face(sm.halfedge(f), sm)) {
            for (Face g : CGAL::faces_around_target(sm.halfedge(v), sm)) {
              if (g != SurfaceMesh::null_face() && (into_file || !from_file[g])) {
                grown.push_back(g);
              }
            }
          }
        }
        set->insert(grown.begin(), grown.end());
      }
    }
    cut.insert(fill_only.begin(), fill_only.end());
    for (Face f : cut) {
      if (from_file[f]) replaced += FaceArea(sm, f);
    }
    if (replaced > max_area) {
      sm.collect_garbage();
      return std::numeric_limits<std::size_t>::max();
    }
    // removed faces stay as garbage until the rounds end (the fills reuse their places):
    // collecting it is a pass over every element
    for (Face f : cut) CGAL::Euler::remove_face(sm.halfedge(f), sm);
    SplitNewPinches(sm);
    RemoveCutRemnants(sm, parts);
    FillAllHoles(sm, added);
  }
  sm.collect_garbage();
  if (!CGAL::is_closed(sm)) return std::numeric_limits<std::size_t>::max();
  auto shell = sm.add_property_map<Face, std::size_t>("f:fold_shell", 0).first;
  PMP::connected_components(sm, shell);
  std::size_t left = 0;
  for (const auto& [a, b] : CrossingPairs(sm)) left += shell[a] == shell[b] ? 1 : 0;
  sm.remove_property_map(shell);
  return left;
}

// Unites the shells that cross each other (each one closed and clean by now), one group of
// crossing shells at a time, with CGAL's corefinement (its documented preconditions hold:
// closed, bounding a volume, no crossings of their own). The shells that cross nothing stay as
// they are. Returns false when a union fails; `sm` is then unchanged.
bool UniteCrossingShells(SurfaceMesh& sm, const std::vector<std::pair<Face, Face>>& pairs) {
  auto shell = sm.add_property_map<Face, std::size_t>("f:unite_shell", 0).first;
  const Shells shells = FindShells(sm, shell);
  // groups of shells joined by crossings (union-find over shell ids)
  std::vector<std::size_t> group(shells.count);
  std::iota(group.begin(), group.end(), 0);
  const std::function<std::size_t(std::size_t)> root = [&](std::size_t x) {
    return group[x] == x ? x : group[x] = root(group[x]);
  };
  for (const auto& [a, b] : pairs) group[root(shell[a])] = root(shell[b]);
  std::map<std::size_t, std::vector<std::size_t>> members;
  for (std::size_t c = 0; c < shells.count; ++c) members[root(c)].push_back(c);
  SurfaceMesh out;
  for (const auto& [g, ids] : members) {
    SurfaceMesh united;
    for (std::size_t id : ids) {
      // each shell on its own, facing outward
      SurfaceMesh piece;
      std::vector<Face> faces = shells.faces[id];
      CGAL::Face_filtered_graph<SurfaceMesh> filtered(sm, faces);
      CGAL::copy_face_graph(filtered, piece);
      if (SignedVolume(piece, std::vector<Face>(piece.faces().begin(), piece.faces().end())) < 0) {
        PMP::reverse_face_orientations(piece);
      }
      if (united.is_empty()) {
        united = std::move(piece);
        continue;
      }
      SurfaceMesh joined;
      try {
        if (!PMP::corefine_and_compute_union(united, piece, joined,
                                             CGAL::parameters::throw_on_self_intersection(true))) {
          sm.remove_property_map(shell);
          return false;
        }
      } catch (const std::exception&) {
        sm.remove_property_map(shell);
        return false;
      }
      united = std::move(joined);
    }
    CGAL::copy_face_graph(united, out);
  }
  sm.remove_property_map(shell);
  sm = std::move(out);
  return true;
}

}  // namespace

namespace {

// Crossings that our own hole fills made (a fill folding through the surface): cut out where
// they are, nothing of the file is touched. True when that cleaned the surface.
bool RemoveFillCrossings(SurfaceMesh& sm, const std::vector<std::pair<Face, Face>>& pairs,
                         const StepDone& step) {
  std::set<Face> crossing;
  for (const auto& [a, b] : pairs) crossing.insert({a, b});
  SurfaceMesh before = sm;
  const bool removed = PMP::experimental::remove_self_intersections(crossing, sm);
  MarkAllChanged(sm);  // it may move what it keeps
  step("local self-intersection removal");
  if (removed && CleanSolid(sm)) return true;
  sm = std::move(before);
  return false;
}

// How many crossing pairs lie between two shells, and which parts of the input they join (to
// name the united ones).
int64_t CrossingsBetweenShells(SurfaceMesh& sm, const std::vector<std::pair<Face, Face>>& pairs,
                               std::set<std::size_t>& united_parts) {
  int64_t between_shells = 0;
  const auto [part, has_parts] = sm.property_map<Face, std::size_t>("f:part");
  auto shell = sm.add_property_map<Face, std::size_t>("f:which_shell", 0).first;
  PMP::connected_components(sm, shell);
  for (const auto& [a, b] : pairs) {
    if (shell[a] == shell[b]) continue;
    ++between_shells;
    if (has_parts && part[a] != kNoPart && part[b] != kNoPart) {
      united_parts.insert({part[a], part[b]});
    }
  }
  sm.remove_property_map(shell);
  return between_shells;
}

// Crossings shallower than this are rounding errors (a float-rounded copy of a surface folded
// through its neighbour by a few nanometres: 26 pairs in a subdivided Hunyuan3D-2 figure): cut
// out and refilled, they cost nothing that shows, while a union leaves slivers along its curves
// that the rounding to single precision folds again, round after round (25 s instead of 9 on
// that figure).
constexpr double kShallowCrossingMm = 1e-3;

// How far two crossing faces reach through each other: for each face, the lesser of how far
// its corners lie on the two sides of the other's plane; the larger of the two.
double CrossingDepth(const SurfaceMesh& sm, Face a, Face b) {
  const auto reach = [&](Face f, Face g) {
    const std::array<Point, 3> p = FacePoints(sm, f), q = FacePoints(sm, g);
    const Kernel::Vector_3 n = CGAL::cross_product(q[1] - q[0], q[2] - q[0]);
    const double length = std::sqrt(n.squared_length());
    if (!(length > 0)) return 0.0;
    double above = 0, below = 0;
    for (const Point& x : p) {
      const double d = CGAL::scalar_product(x - q[0], n) / length;
      above = std::max(above, d);
      below = std::max(below, -d);
    }
    return std::min(above, below);
  };
  return std::max(reach(a, b), reach(b, a));
}

// The pairs of the clusters of crossings (faces joined by crossing each other or by an edge)
// that reach deeper than kShallowCrossingMm somewhere. A cluster goes whole: a crossing curve
// runs on from a deep pair into its neighbours, and a union that cut one side of an edge and
// not the other could not be stitched back.
std::vector<std::pair<Face, Face>> DeepCrossings(const SurfaceMesh& sm,
                                                 const std::vector<std::pair<Face, Face>>& pairs) {
  std::map<Face, std::size_t> index;
  for (const auto& [a, b] : pairs) {
    index.emplace(a, index.size());
    index.emplace(b, index.size());
  }
  std::vector<std::size_t> cluster(index.size());
  std::iota(cluster.begin(), cluster.end(), 0);
  const std::function<std::size_t(std::size_t)> root = [&](std::size_t x) {
    return cluster[x] == x ? x : cluster[x] = root(cluster[x]);
  };
  for (const auto& [a, b] : pairs) cluster[root(index[a])] = root(index[b]);
  for (const auto& [f, i] : index) {
    for (Halfedge h : CGAL::halfedges_around_face(sm.halfedge(f), sm)) {
      const auto across = index.find(sm.face(sm.opposite(h)));
      if (across != index.end()) cluster[root(i)] = root(across->second);
    }
  }
  std::set<std::size_t> deep_clusters;
  for (const auto& [a, b] : pairs) {
    if (CrossingDepth(sm, a, b) > kShallowCrossingMm) deep_clusters.insert(root(index[a]));
  }
  std::vector<std::pair<Face, Face>> deep;
  for (const auto& pair : pairs) {
    if (deep_clusters.count(root(index[pair.first])) > 0) deep.push_back(pair);
  }
  return deep;
}

// Why the folds could not be cut out and refilled, in words.
std::string FoldsLeftReason(std::size_t pairs, double replaced, double area,
                            const RepairOptions& options) {
  char reason[200];
  if (replaced > options.max_replaced_share * area) {
    std::snprintf(reason, sizeof reason,
                  "%zu crossing face pairs: cutting them out would replace more than %.1f %% "
                  "of the surface",
                  pairs, 100 * options.max_replaced_share);
  } else {
    std::snprintf(reason, sizeof reason,
                  "%zu crossing face pairs that %d rounds of cutting out and refilling did not "
                  "remove",
                  pairs, options.max_refill_rounds);
  }
  return reason;
}

}  // namespace

std::string ResolveCrossings(SurfaceMesh& sm, const std::vector<Face>& fill_faces,
                             const RepairOptions& options, RepairReport& report,
                             const StepDone& step, CrossingRepair how) {
  std::vector<std::pair<Face, Face>> pairs = CrossingPairs(sm);
  step("self-intersection test");
  report.self_intersections = static_cast<int64_t>(pairs.size());
  if (pairs.empty()) return {};
  std::set<Face> fills(fill_faces.begin(), fill_faces.end());
  report.self_intersections_from_fills =
      std::count_if(pairs.begin(), pairs.end(), [&](const std::pair<Face, Face>& p) {
        return fills.count(p.first) > 0 || fills.count(p.second) > 0;
      });
  if (report.self_intersections_from_fills == report.self_intersections &&
      pairs.size() <= static_cast<std::size_t>(options.max_local_crossings) &&
      RemoveFillCrossings(sm, pairs, step)) {
    report.self_intersections_removed = report.self_intersections;
    return {};
  }

  // The file's own crossings: first as the union of what the surface bounds (nothing that
  // shows moves), those deeper than a rounding error.
  std::set<std::size_t> united_parts;
  if (how == CrossingRepair::kUnion) {
    const std::vector<std::pair<Face, Face>> deep = DeepCrossings(sm, pairs);
    if (!deep.empty()) {
      CrossingsBetweenShells(sm, deep, united_parts);
      SurfaceMesh kept = sm;
      const auto faces_before = static_cast<int64_t>(sm.number_of_faces());
      UnionOutcome outcome;
      const bool united =
          UniteByWinding(sm, deep, options.min_part_mm, outcome) && SoundSurface(sm);
      step("crossings united by winding");
      if (united) {
        report.crossings_united = static_cast<int64_t>(deep.size());
        report.area_buried_mm2 = outcome.buried_area_mm2;
        report.non_manifold_vertices += outcome.pinches_split;
        report.beads_removed = outcome.beads_removed;
        report.triangles_added_by_unions =
            std::max<int64_t>(0, static_cast<int64_t>(sm.number_of_faces()) - faces_before);
        for (std::size_t p : united_parts) {
          if (p < report.parts.size()) report.parts[p].fate = "united";
        }
        // what is left (the shallow ones) is cut out and refilled below; the fill faces'
        // handles did not survive the union, so every face counts as the file's
        pairs = CrossingPairs(sm);
        step("check of the union");
        fills.clear();
        if (pairs.empty()) {
          report.self_intersections_removed = report.self_intersections;
          return {};
        }
      } else {
        sm = std::move(kept);
        united_parts.clear();
      }
    }
  }

  // Else, and for what the union left, cut out and refilled.
  const int64_t between_shells = CrossingsBetweenShells(sm, pairs, united_parts);
  const double area = TotalArea(sm);
  auto from_file = sm.add_property_map<Face, bool>("f:from_file", false).first;
  for (Face f : sm.faces()) from_file[f] = fills.count(f) == 0;
  SurfaceMesh before = sm;

  // Folds within a shell first: a shell must be clean before it can be united with another.
  double replaced = 0;
  const std::size_t folds_left =
      CutAndRefillFolds(sm, options, options.max_replaced_share * area, report.parts, replaced,
                        report.triangles_added_by_fills);
  step("folds cut out and refilled");
  if (folds_left != 0) {
    sm = std::move(before);
    return FoldsLeftReason(pairs.size(), replaced, area, options);
  }
  report.area_replaced_mm2 = replaced;
  report.crossings_refilled = static_cast<int64_t>(pairs.size()) - between_shells;
  sm.remove_property_map(from_file);

  // Then parts through parts: their union.
  const std::vector<std::pair<Face, Face>> across = CrossingPairs(sm);
  step("crossings between parts");
  if (!across.empty()) {
    const auto faces_before_union = static_cast<int64_t>(sm.number_of_faces());
    if (!UniteCrossingShells(sm, across)) {
      sm = std::move(before);
      return std::to_string(across.size()) + " crossings between parts that CGAL could not unite";
    }
    step("crossing parts united");
    report.triangles_added_by_unions +=
        std::max<int64_t>(0, static_cast<int64_t>(sm.number_of_faces()) - faces_before_union);
    report.crossings_united += between_shells;
    for (std::size_t p : united_parts) {
      if (p < report.parts.size()) report.parts[p].fate = "united";
    }
  }
  const bool clean = CleanSolid(sm);
  step("final check of the crossings' repair");
  if (!clean) {
    sm = std::move(before);
    return std::to_string(pairs.size()) + " crossing face pairs: the repaired surface is not clean";
  }
  report.self_intersections_removed = report.self_intersections;
  return {};
}

}  // namespace keepsake::mesh::cgal
