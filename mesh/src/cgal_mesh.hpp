// Private to the mesh module: the CGAL types and small helpers shared by its CGAL translation
// units (repair.cpp, crossings.cpp, self_union.cpp, fidelity.cpp, texture.cpp). Each costs
// about 50 s and 1.4 GB to compile: include this only where CGAL is needed anyway.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <thread>
#include <unordered_set>
#include <vector>

#include <CGAL/AABB_traits.h>
#include <CGAL/AABB_tree.h>
#include <CGAL/AABB_triangle_primitive.h>
#include <CGAL/Exact_predicates_inexact_constructions_kernel.h>
#include <CGAL/Surface_mesh.h>

#include "keepsake/mesh/mesh_data.hpp"
#include "parallel_grid.hpp"

namespace keepsake::mesh::cgal {

using Kernel = CGAL::Exact_predicates_inexact_constructions_kernel;
using Point = Kernel::Point_3;
using SurfaceMesh = CGAL::Surface_mesh<Point>;
using Face = SurfaceMesh::Face_index;
using Halfedge = SurfaceMesh::Halfedge_index;
using Vertex = SurfaceMesh::Vertex_index;

// A MeshData's triangles as CGAL triangles, and the AABB tree over them for closest-point
// queries (a primitive's position in the vector is the triangle's index).
using Triangle = Kernel::Triangle_3;
using TriangleTree = CGAL::AABB_tree<CGAL::AABB_traits<
    Kernel, CGAL::AABB_triangle_primitive<Kernel, std::vector<Triangle>::const_iterator>>>;

inline Triangle TriangleOf(const MeshData& mesh, const std::array<uint32_t, 3>& t) {
  const auto point = [&](uint32_t v) {
    const auto& p = mesh.positions[v];
    return Point(p[0], p[1], p[2]);
  };
  return Triangle(point(t[0]), point(t[1]), point(t[2]));
}

inline std::vector<Triangle> TrianglesOf(const MeshData& mesh) {
  std::vector<Triangle> out;
  out.reserve(mesh.triangles.size());
  for (const auto& t : mesh.triangles) out.push_back(TriangleOf(mesh, t));
  return out;
}

using mesh::ParallelFor;  // parallel_grid.hpp

// The three corners of a triangle face.
inline std::array<Point, 3> FacePoints(const SurfaceMesh& sm, Face f) {
  std::array<Point, 3> p;
  std::size_t k = 0;
  for (auto v : CGAL::vertices_around_face(sm.halfedge(f), sm)) {
    if (k < 3) p[k] = sm.point(v);
    ++k;
  }
  return p;
}

inline double FaceArea(const SurfaceMesh& sm, Face f) {
  const std::array<Point, 3> p = FacePoints(sm, f);
  return std::sqrt(CGAL::cross_product(p[1] - p[0], p[2] - p[0]).squared_length()) / 2;
}

// Builds `sm` face by face; false (and `sm` cleared) when a face cannot be added: an edge with
// more than two faces, inconsistent orientation, or a vertex whose faces do not form one fan.
// On a valid million-triangle mesh this is several times faster than checking the soup with
// is_polygon_soup_a_polygon_mesh and converting it. Face i of `sm` is faces[i].
template <typename Corners>
bool BuildFaceByFace(const std::vector<Point>& points, const std::vector<Corners>& faces,
                     SurfaceMesh& sm) {
  sm.clear();
  sm.reserve(static_cast<SurfaceMesh::size_type>(points.size()),
             static_cast<SurfaceMesh::size_type>(3 * faces.size() / 2),
             static_cast<SurfaceMesh::size_type>(faces.size()));
  for (const Point& p : points) sm.add_vertex(p);
  for (const auto& f : faces) {
    if (f.size() != 3 || f[0] == f[1] || f[1] == f[2] || f[0] == f[2] ||
        sm.add_face(Vertex(static_cast<SurfaceMesh::size_type>(f[0])),
                    Vertex(static_cast<SurfaceMesh::size_type>(f[1])),
                    Vertex(static_cast<SurfaceMesh::size_type>(f[2]))) ==
            SurfaceMesh::null_face()) {
      sm.clear();
      return false;
    }
  }
  // vertices no face uses (the soup repair would drop them)
  for (auto v : sm.vertices()) {
    if (sm.is_isolated(v)) sm.remove_vertex(v);
  }
  sm.collect_garbage();
  return true;
}

// Builds `sm` from a MeshData; false when the triangles do not form a polygon mesh.
inline bool ToSurfaceMesh(const MeshData& mesh, SurfaceMesh& sm) {
  std::vector<Point> points;
  points.reserve(mesh.positions.size());
  for (const auto& p : mesh.positions) points.emplace_back(p[0], p[1], p[2]);
  return BuildFaceByFace(points, mesh.triangles, sm);
}

inline MeshData ToMeshData(const SurfaceMesh& sm) {
  MeshData out;
  std::vector<uint32_t> index(sm.number_of_vertices() + sm.number_of_removed_vertices());
  for (auto v : sm.vertices()) {
    index[v.idx()] = static_cast<uint32_t>(out.positions.size());
    const Point& p = sm.point(v);
    out.positions.push_back({p.x(), p.y(), p.z()});
  }
  for (Face f : sm.faces()) {
    std::array<uint32_t, 3> t{};
    int k = 0;
    for (auto v : CGAL::vertices_around_face(sm.halfedge(f), sm)) {
      if (k < 3) t[static_cast<size_t>(k)] = index[v.idx()];
      ++k;
    }
    if (k == 3) out.triangles.push_back(t);
  }
  return out;
}

}  // namespace keepsake::mesh::cgal
