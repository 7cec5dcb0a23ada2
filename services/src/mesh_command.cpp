#include "keepsake/services/mesh_command.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "keepsake/mesh/analysis.hpp"
#include "keepsake/mesh/export.hpp"
#include "keepsake/mesh/format.hpp"
#include "keepsake/mesh/import.hpp"
#include "keepsake/mesh/repair.hpp"
#include "keepsake/services/asset_files.hpp"

namespace keepsake::services {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json ReportJson(const mesh::RepairReport& r) {
  return {{"input_vertices", r.input_vertices},
          {"input_triangles", r.input_triangles},
          {"welded_vertices", r.welded_vertices},
          {"degenerate_triangles_removed", r.degenerate_triangles},
          {"soup_fixes", r.soup_fixes},
          {"stitched_edges", r.stitched_edges},
          {"non_manifold_vertices_split", r.non_manifold_vertices},
          {"holes_filled", r.holes_filled},
          {"holes_left_to_rebuild", r.holes_left},
          {"parts_in", r.parts_in},
          {"fragments_removed", r.fragments_removed},
          {"self_intersections_found", r.self_intersections},
          {"cavities_removed", r.cavities_removed},
          {"rebuilt_volumetrically", r.rebuilt},
          {"rebuild_reason", r.rebuild_reason},
          {"output_vertices", r.output_vertices},
          {"output_triangles", r.output_triangles},
          {"shells", r.shells},
          {"seconds", r.seconds}};
}

bool WriteJson(const fs::path& path, const json& body) {
  return WriteFileAtomically(path, body.dump(2) + "\n");
}

void Progress(const MeshPrepareArgs& args, int percent, const char* phase) {
  if (!args.progress_lines) return;
  std::printf("progress %d %s\n", percent, phase);
  std::fflush(stdout);
}

int Refuse(const MeshPrepareArgs& args, const fs::path& out_dir, json report,
           const std::string& reason) {
  report["printable"] = false;
  report["reason"] = reason;
  WriteJson(out_dir / "report.json", report);
  // inside the worker the line becomes the job's reason, shown to staff as it is
  std::cerr << (args.progress_lines ? "" : "keepsake mesh prepare: ") << reason << std::endl;
  return 2;
}

}  // namespace

int RunMeshPrepare(const MeshPrepareArgs& args) {
  const auto started = std::chrono::steady_clock::now();
  const fs::path out_dir = fs::absolute(args.out_dir);
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) {
    std::cerr << "keepsake mesh prepare: cannot create " << out_dir << ": " << ec.message() << "\n";
    return 1;
  }
  json report = {{"input", fs::path(args.input).filename().string()},
                 {"height_mm", args.height_mm}};
  std::ifstream in(args.input, std::ios::binary);
  if (!in) return Refuse(args, out_dir, report, "cannot read " + args.input);
  std::stringstream content;
  content << in.rdbuf();
  auto format = mesh::SniffMeshFormat(content.str());
  if (!format) return Refuse(args, out_dir, report, "the file is not a 3D format Keepsake reads");
  report["format"] = mesh::MeshFormatName(*format);

  // The importer may open only files beside the input (an OBJ's MTL and textures); a ZIP
  // bundle is unpacked into the output folder and confined there.
  const fs::path input = fs::absolute(args.input);
  const std::string folder =
      *format == mesh::MeshFormat::kZip ? out_dir.string() : input.parent_path().string();
  Progress(args, 5, "import");
  auto imported = mesh::ImportMesh(folder, input.string(), *format, mesh::ImportLimits{});
  if (!imported) return Refuse(args, out_dir, report, imported.error().message);
  report["import"] = {{"file_vertices", imported->stats.file_vertices},
                      {"positions", imported->stats.positions},
                      {"triangles", imported->stats.triangles},
                      {"converted_y_up", imported->stats.converted_y_up},
                      {"up_axis_rule", imported->stats.up_axis_rule},
                      {"vertex_colors", imported->stats.has_vertex_colors},
                      {"texture_colors", imported->stats.has_texture_colors}};

  mesh::RepairOptions options;
  options.height_mm = args.height_mm;
  Progress(args, 20, "repair");
  auto repaired = mesh::RepairToSolid(imported->mesh, options);
  if (!repaired) return Refuse(args, out_dir, report, repaired.error().message);
  report["repair"] = ReportJson(repaired->report);

  Progress(args, 80, "check");
  const mesh::SolidCheck check = mesh::CheckSolid(repaired->mesh);
  const mesh::Bounds bounds = mesh::ComputeBounds(repaired->mesh);
  report["output"] = {{"size_mm", {bounds.Size(0), bounds.Size(1), bounds.Size(2)}},
                      {"volume_mm3", mesh::SignedVolume(repaired->mesh)},
                      {"closed", check.closed},
                      {"manifold", check.polygon_mesh},
                      {"outward", check.outward},
                      {"self_intersections", check.self_intersections},
                      {"degenerate_faces", check.degenerate_faces},
                      {"shells", check.shells}};
  if (!check.Ok()) {
    return Refuse(args, out_dir, report, "the repaired model failed its final check");
  }

  Progress(args, 90, "walls");
  const mesh::WallThickness walls = mesh::MeasureWallThickness(repaired->mesh, args.min_wall_mm);
  report["walls"] = {{"min_wall_mm", args.min_wall_mm},
                     {"share_below_min", walls.ShareBelow()},
                     {"area_below_min_mm2", walls.area_below_mm2},
                     {"p1_mm", walls.p1_mm},
                     {"p50_mm", walls.p50_mm}};
  // Thin regions are the engineer's call (thicken, scale up); a model that is almost all
  // thin wall is a sheet, not a figure, and no setting makes it printable as ordered.
  if (walls.ShareBelow() > 0.9) {
    return Refuse(args, out_dir, report,
                  "the model is a thin sheet, not a solid: " +
                      std::to_string(static_cast<int>(walls.ShareBelow() * 100)) +
                      " % of its surface is thinner than " + std::to_string(args.min_wall_mm) +
                      " mm at this height");
  }

  const mesh::Stability stability = mesh::AnalyseStability(repaired->mesh);
  report["stability"] = {
      {"centre_of_mass_mm", stability.centre_of_mass},
      {"footprint_area_mm2", stability.footprint_area_mm2},
      {"margin_mm", std::isfinite(stability.margin_mm) ? json(stability.margin_mm) : json(nullptr)},
      {"stands", stability.stands}};
  json findings = json::array();
  if (walls.area_below_mm2 > 0) {
    char share[64];
    std::snprintf(share, sizeof share, "%.1f %% of the surface is thinner than %.1f mm",
                  walls.ShareBelow() * 100, args.min_wall_mm);
    findings.push_back({{"kind", "thin_walls"}, {"detail", share}});
  }
  if (!stability.stands) {
    findings.push_back(
        {{"kind", "unstable"},
         {"detail",
          "the centre of mass is outside what touches the plate (the points within 0.5 mm "
          "of the lowest): it may tip over; consider a base"}});
  }
  report["findings"] = findings;

  Progress(args, 95, "export");
  auto written = mesh::WriteBinaryStl(repaired->mesh, (out_dir / "model.stl").string());
  if (!written) return Refuse(args, out_dir, report, written.error());
  report["files"] = {{"model.stl", *written}};
  auto three_mf = mesh::WriteThreeMf(repaired->mesh, (out_dir / "model.3mf").string());
  if (!three_mf) return Refuse(args, out_dir, report, three_mf.error());
  report["files"]["model.3mf"] = *three_mf;
  if (!repaired->mesh.colors.empty()) {
    // full colour: the colours of the original surface, carried over to the repaired one
    auto ply = mesh::WriteColorPly(repaired->mesh, (out_dir / "model.ply").string());
    if (!ply) return Refuse(args, out_dir, report, ply.error());
    report["files"]["model.ply"] = *ply;
  }
  report["printable"] = true;
  report["seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!WriteJson(out_dir / "report.json", report)) {
    std::cerr << "keepsake mesh prepare: cannot write report.json\n";
    return 1;
  }
  return 0;
}

}  // namespace keepsake::services
