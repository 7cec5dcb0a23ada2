#include "keepsake/services/mesh_command.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "jobs/command_output.hpp"
#include "keepsake/mesh/analysis.hpp"
#include "keepsake/mesh/export.hpp"
#include "keepsake/mesh/format.hpp"
#include "keepsake/mesh/import.hpp"
#include "keepsake/mesh/preview.hpp"
#include "keepsake/mesh/repair.hpp"
#include "keepsake/services/asset_files.hpp"

namespace keepsake::services {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Every part of the input and its fate, the largest first (at most 50: the rest are counted).
json PartsJson(std::vector<mesh::RepairPart> parts) {
  std::sort(parts.begin(), parts.end(), [](const mesh::RepairPart& a, const mesh::RepairPart& b) {
    return a.size_mm > b.size_mm;
  });
  json out = json::array();
  for (size_t i = 0; i < parts.size() && i < 50; ++i) {
    const mesh::RepairPart& p = parts[i];
    out.push_back({{"fate", p.fate},
                   {"size_mm", p.size_mm},
                   {"centre_mm", p.centre_mm},
                   {"triangles", p.triangles},
                   {"closed", p.closed}});
  }
  return out;
}

json FidelityJson(const mesh::Fidelity& f) {
  json regions = json::array();
  for (const mesh::MovedRegion& r : f.regions) {
    regions.push_back({{"area_mm2", r.area_mm2},
                       {"max_mm", r.max_mm},
                       {"centre_mm", r.centre_mm},
                       {"box_min_mm", r.min_mm},
                       {"box_max_mm", r.max_mm_corner}});
  }
  return {{"within_mm", f.within_mm},
          {"samples", f.samples},
          {"share_within", f.share_within},
          {"p50_mm", f.p50_mm},
          {"p95_mm", f.p95_mm},
          {"p99_mm", f.p99_mm},
          {"max_mm", f.max_mm},
          {"buried_share", f.buried_share},
          {"back_share_within", f.back_share_within},
          {"back_p99_mm", f.back_p99_mm},
          {"back_max_mm", f.back_max_mm},
          {"moved_regions", regions}};
}

json ReportJson(const mesh::RepairReport& r) {
  return {{"input_vertices", r.input_vertices},
          {"input_triangles", r.input_triangles},
          {"welded_vertices", r.welded_vertices},
          {"degenerate_triangles_removed", r.degenerate_triangles},
          {"soup_fixes", r.soup_fixes},
          {"stitched_edges", r.stitched_edges},
          {"non_manifold_vertices_split", r.non_manifold_vertices},
          {"holes_filled", r.holes_filled},
          {"triangles_added_by_fills", r.triangles_added_by_fills},
          {"triangles_added_by_unions", r.triangles_added_by_unions},
          {"holes_left_to_rebuild", r.holes_left},
          {"parts_in", r.parts_in},
          {"fragments_removed", r.fragments_removed},
          {"specks_removed", r.specks_removed},
          {"sheets_removed", r.sheets_removed},
          {"parts", PartsJson(r.parts)},
          {"self_intersections_found", r.self_intersections},
          {"self_intersections_from_hole_fills", r.self_intersections_from_fills},
          {"self_intersections_removed_locally", r.self_intersections_removed},
          {"crossings_united", r.crossings_united},
          {"crossings_refilled", r.crossings_refilled},
          {"area_replaced_mm2", r.area_replaced_mm2},
          {"area_buried_mm2", r.area_buried_mm2},
          {"beads_removed", r.beads_removed},
          {"wrap_alpha_mm", r.wrap_alpha_mm},
          {"cavities_removed", r.cavities_removed},
          {"rebuilt_volumetrically", r.rebuilt},
          {"rebuild_reason", r.rebuild_reason},
          {"output_vertices", r.output_vertices},
          {"output_triangles", r.output_triangles},
          {"shells", r.shells},
          {"thickened_mm", r.thickened_mm},
          {"base_radius_mm", r.base_radius_mm},
          {"seconds", r.seconds},
          {"step_seconds", r.step_seconds}};
}

json TuningJson(const MeshTuning& t) {
  json out = json::object();
  if (t.height_mm) out["height_mm"] = *t.height_mm;
  if (t.rotate_deg != std::array<double, 3>{}) out["rotate_deg"] = t.rotate_deg;
  if (t.base_mm > 0) out["base_mm"] = t.base_mm;
  if (t.thicken_mm > 0) out["thicken_mm"] = t.thicken_mm;
  if (t.remove_parts_under_mm) out["remove_parts_under_mm"] = *t.remove_parts_under_mm;
  return out;
}

// Where a thin region is, in words an engineer finds on the preview: how high up, and which
// side of the figure (it faces -Y).
std::string DescribePlace(const mesh::ThinRegion& region, const mesh::Bounds& bounds) {
  const double height = std::max(bounds.Size(2), 1e-9);
  const int percent =
      static_cast<int>(std::lround(100 * (region.centre[2] - bounds.min[2]) / height));
  const double cx = (bounds.min[0] + bounds.max[0]) / 2;
  const double side = region.centre[0] - cx;
  const char* across =
      std::abs(side) < 0.15 * std::max(bounds.Size(0), 1e-9)
          ? "centre"
          : (side < 0 ? "figure's right (viewer's left)" : "figure's left (viewer's right)");
  return "at " + std::to_string(percent) + " % of the height, " + across;
}

}  // namespace

tl::expected<MeshTuning, std::string> ParseMeshTuning(const std::string& json_text) {
  const json doc = json::parse(json_text, nullptr, false);
  if (!doc.is_object()) return tl::unexpected(std::string("tuning must be a JSON object"));
  MeshTuning t;
  auto number = [&](const char* name, double low,
                    double high) -> tl::expected<double, std::string> {
    const json& v = doc[name];
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < low ||
        v.get<double>() > high) {
      char why[160];
      std::snprintf(why, sizeof why, "tuning.%s must be a number from %g to %g", name, low, high);
      return tl::unexpected(std::string(why));
    }
    return v.get<double>();
  };
  for (const auto& [name, value] : doc.items()) {
    tl::expected<double, std::string> got;
    if (name == "height_mm") {
      if (!(got = number("height_mm", 20, 300))) return tl::unexpected(got.error());
      t.height_mm = *got;
    } else if (name == "base_mm") {
      if (!(got = number("base_mm", 0, 10))) return tl::unexpected(got.error());
      t.base_mm = *got;
    } else if (name == "thicken_mm") {
      if (!(got = number("thicken_mm", 0, 4))) return tl::unexpected(got.error());
      t.thicken_mm = *got;
    } else if (name == "remove_parts_under_mm") {
      if (!(got = number("remove_parts_under_mm", 0, 50))) return tl::unexpected(got.error());
      t.remove_parts_under_mm = *got;
    } else if (name == "rotate_deg") {
      if (!value.is_array() || value.size() != 3) {
        return tl::unexpected(
            std::string("tuning.rotate_deg must be three angles in degrees [x, y, z]"));
      }
      for (size_t k = 0; k < 3; ++k) {
        if (!value[k].is_number() || std::abs(value[k].get<double>()) > 360) {
          return tl::unexpected(
              std::string("tuning.rotate_deg must be three angles from -360 to 360"));
        }
        t.rotate_deg[k] = value[k].get<double>();
      }
    } else {
      return tl::unexpected("tuning." + name +
                            " is not a fine-tuning Keepsake knows; use height_mm, rotate_deg, "
                            "base_mm, thicken_mm or remove_parts_under_mm");
    }
  }
  return t;
}

namespace {

json ImportJson(const mesh::ImportStats& s) {
  json out = {{"file_vertices", s.file_vertices},
              {"positions", s.positions},
              {"triangles", s.triangles},
              {"converted_y_up", s.converted_y_up},
              {"up_axis_rule", s.up_axis_rule},
              {"vertex_colors", s.has_vertex_colors},
              {"texture_colors", s.has_texture_colors},
              {"texture_kept", s.texture_kept}};
  if (!s.texture_note.empty()) out["texture_note"] = s.texture_note;
  return out;
}

json OutputJson(const mesh::MeshData& m, const mesh::SolidCheck& check,
                const mesh::Bounds& bounds) {
  return {{"size_mm", {bounds.Size(0), bounds.Size(1), bounds.Size(2)}},
          {"volume_mm3", mesh::SignedVolume(m)},
          {"closed", check.closed},
          {"manifold", check.polygon_mesh},
          {"outward", check.outward},
          {"self_intersections", check.self_intersections},
          {"degenerate_faces", check.degenerate_faces},
          {"shells", check.shells}};
}

json StabilityJson(const mesh::Stability& s) {
  const auto finite = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  return {{"centre_of_mass_mm", s.centre_of_mass},
          {"footprint_area_mm2", s.footprint_area_mm2},
          {"margin_mm", finite(s.margin_mm)},
          {"stands", s.stands},
          {"stands_after_settling", s.stands_after_settling},
          {"settled_margin_mm", finite(s.settled_margin_mm)}};
}

// `value` to `digits` decimals, as the sentence shows it (the console words the same number).
double Rounded(double value, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(value * scale) / scale;
}

// What the engineer should look at, each with a code and the values it names (the console
// words them in the reader's language) and an English sentence: thin walls (with where), a moved
// surface, a texture that could not be read, a full-colour order without colour, a figure that tips
// over or rocks.
json Findings(const MeshPrepareArgs& args, const mesh::ImportedMesh& imported,
              const mesh::RepairResult& repaired, const mesh::WallThickness& walls,
              const std::vector<mesh::ThinRegion>& thin_regions, const mesh::Bounds& bounds,
              const mesh::Stability& stability) {
  json findings = json::array();
  if (walls.area_below_mm2 > 0) {
    char share[96];
    std::snprintf(share, sizeof share, "%.1f %% of the surface is thinner than %.1f mm",
                  walls.ShareBelow() * 100, args.min_wall_mm);
    json regions = json::array();
    for (const mesh::ThinRegion& r : thin_regions) {
      regions.push_back({{"where", DescribePlace(r, bounds)},
                         {"centre_mm", r.centre},
                         {"box_min_mm", r.min},
                         {"box_max_mm", r.max},
                         {"area_mm2", r.area_mm2},
                         {"thinnest_mm", r.thinnest_mm}});
    }
    findings.push_back({{"code", "thin_walls"},
                        {"params",
                         {{"share_percent", Rounded(walls.ShareBelow() * 100, 1)},
                          {"min_wall_mm", args.min_wall_mm}}},
                        {"detail", std::string(share) + " (red in the preview)"},
                        {"regions", regions}});
  }
  const mesh::Fidelity& fidelity = repaired.fidelity;
  if (fidelity.samples > 0 && fidelity.share_within < 0.99 && args.tuning.thicken_mm <= 0 &&
      args.tuning.base_mm <= 0) {
    char detail[200];
    std::snprintf(detail, sizeof detail,
                  "the repair moved the surface: %.1f %% of it is within %.1f mm of the "
                  "original (under 99 %%), the farthest %.2f mm; look at the deviation map",
                  fidelity.share_within * 100, fidelity.within_mm, fidelity.max_mm);
    findings.push_back({{"code", "changed_shape"},
                        {"params",
                         {{"share_percent", Rounded(fidelity.share_within * 100, 1)},
                          {"within_mm", fidelity.within_mm},
                          {"max_mm", Rounded(fidelity.max_mm, 2)}}},
                        {"detail", detail}});
  }
  if (args.colour && !imported.stats.unreadable_textures.empty()) {
    std::string names;
    for (const std::string& name : imported.stats.unreadable_textures) {
      names += (names.empty() ? "" : ", ") + name;
    }
    findings.push_back({{"code", "texture_unreadable"},
                        {"params", {{"names", names}}},
                        {"detail", "the file names a texture that could not be read (" + names +
                                       "): missing from the upload or not an image; those parts "
                                       "print without it"}});
  }
  if (args.colour && imported.mesh.colors.empty()) {
    findings.push_back({{"code", "no_colour"},
                        {"params", json::object()},
                        {"detail",
                         "the file carries no colour (no texture, no vertex colours): a "
                         "full-colour print would come out in one colour"}});
  }
  if (!stability.stands_after_settling) {
    findings.push_back(
        {{"code", "unstable"},
         {"params", json::object()},
         {"detail",
          "the centre of mass is outside what touches the plate, even after the figure settles "
          "onto its lowest points: it tips over; consider a base (tuning base_mm)"}});
  } else if (stability.Rocks()) {
    char detail[160];
    std::snprintf(detail, sizeof detail,
                  "the feet are not level: the figure rocks before it settles on points within "
                  "%.1f mm of the lowest; consider a base (tuning base_mm)",
                  stability.settle_mm);
    findings.push_back({{"code", "rocks"},
                        {"params", {{"settle_mm", Rounded(stability.settle_mm, 1)}}},
                        {"detail", detail}});
  }
  return findings;
}

// float32 values as little-endian bytes (this machine's order), for the console's viewer
std::string FloatBytes(const std::vector<float>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
}

// The deviation map of the review: the distance of each corner of each triangle of model.stl
// (in its order) to the input surface, 12 bytes a triangle.
std::string DeviationBytes(const mesh::RepairResult& repaired) {
  const std::vector<float>& d = repaired.fidelity.vertex_deviation_mm;
  std::vector<float> corners;
  corners.reserve(repaired.mesh.triangles.size() * 3);
  for (const auto& t : repaired.mesh.triangles) {
    for (uint32_t v : t) corners.push_back(v < d.size() ? d[v] : 0.0f);
  }
  return FloatBytes(corners);
}

// The texture coordinates of each corner of each triangle of model.stl (in its order), u then
// v, 24 bytes a triangle.
std::string UvBytes(const mesh::MeshData& m) {
  std::vector<float> uvs;
  uvs.reserve(m.uvs.size() * 6);
  for (const mesh::CornerUvs& t : m.uvs) {
    for (const auto& uv : t) uvs.insert(uvs.end(), {uv[0], uv[1]});
  }
  return FloatBytes(uvs);
}

// CIEDE2000 between the customer's colour and what the print carries at the same point, and
// the same for vertex colours alone (the colour path without the texture).
json ColourFidelityJson(const mesh::RepairResult& repaired) {
  const auto colour_json = [](const mesh::ColourFidelity& c) {
    return json{{"samples", c.samples},
                {"median_de00", c.median_de},
                {"p95_de00", c.p95_de},
                {"share_under_3", c.share_under_3},
                {"within_mm", c.within_mm}};
  };
  json out = colour_json(repaired.colour);
  out["textured"] = !repaired.mesh.texture.Empty();
  out["vertex_colours_alone"] = colour_json(repaired.vertex_colour);
  out["faces_with_their_own_texture_coordinates"] = repaired.texture.faces_kept;
  out["faces_with_projected_texture_coordinates"] = repaired.texture.faces_projected;
  if (repaired.texture.faces_baked > 0) {  // a rebuilt surface: its colours in a new atlas
    out["faces_baked_into_a_new_atlas"] = repaired.texture.faces_baked;
    out["baked_texel_mm"] = repaired.texture.baked_texel_mm;
    out["baked_atlas"] = {repaired.mesh.texture.width, repaired.mesh.texture.height};
  }
  return out;
}

// A file the preparation writes: its size, or why it could not be written (the mesh writers'
// own errors, and mesh.write_failed for the viewer's binary files).
using Written = tl::expected<size_t, mesh::Error>;

Written WriteBytes(const fs::path& path, const std::string& bytes) {
  if (WriteFileAtomically(path, bytes)) return bytes.size();
  return tl::unexpected(
      mesh::Error{mesh::Errc::kWriteFailed, "cannot write " + path.filename().string()});
}

// model.stl, deviation.bin, model.3mf, and for full colour model.ply, model.wrl and, with a
// texture, texture.png, model_obj.zip and uvs.bin; colour_de.bin when colour was measured.
// Each file's size goes into `files`; the first that cannot be written ends the preparation.
tl::expected<void, mesh::Error> WriteModelFiles(const fs::path& out_dir,
                                                const mesh::RepairResult& repaired, bool colour,
                                                json& files) {
  const mesh::MeshData& m = repaired.mesh;
  const bool textured = colour && !m.texture.Empty() && !m.uvs.empty();
  // the texture encoded once for the three files that carry it (a baked atlas is millions of
  // texels)
  const std::string png = textured ? mesh::EncodeTexturePng(m.texture) : std::string();
  std::vector<std::pair<const char*, std::function<Written()>>> steps = {
      {"model.stl", [&] { return mesh::WriteBinaryStl(m, out_dir / "model.stl"); }},
      {"deviation.bin",
       [&] { return WriteBytes(out_dir / "deviation.bin", DeviationBytes(repaired)); }},
      {"model.3mf", [&] { return mesh::WriteThreeMf(m, out_dir / "model.3mf", png); }}};
  if (colour) {
    // full colour: the colours of the original surface, carried over to the repaired one
    steps.push_back({"model.ply", [&] { return mesh::WriteColorPly(m, out_dir / "model.ply"); }});
    // with the customer's texture: the VRML maps it (texture.png beside it), and the textured
    // OBJ travels as one zip
    steps.push_back(
        {"model.wrl",
         [&] { return mesh::WriteVrml(m, out_dir / "model.wrl", textured ? "texture.png" : ""); }});
  }
  if (textured) {
    steps.push_back(
        {"texture.png", [&] { return mesh::WriteTexturePng(m, out_dir / "texture.png", png); }});
    steps.push_back({"model_obj.zip",
                     [&] { return mesh::WriteTexturedObjZip(m, out_dir / "model_obj.zip", png); }});
    steps.push_back({"uvs.bin", [&] { return WriteBytes(out_dir / "uvs.bin", UvBytes(m)); }});
  }
  if (colour && !repaired.corner_colour_de.empty()) {
    steps.push_back({"colour_de.bin", [&] {
                       return WriteBytes(out_dir / "colour_de.bin",
                                         FloatBytes(repaired.corner_colour_de));
                     }});
  }
  // each file written on its own thread: they only read the result (a million-triangle
  // figure's STL and deviation map are written while lib3mf writes its 3MF)
  std::vector<std::future<Written>> writing;
  for (const auto& step : steps) writing.push_back(std::async(std::launch::async, step.second));
  std::optional<mesh::Error> failed;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    Written written = writing[i].get();
    if (!written && !failed) failed = written.error();
    if (written) files[steps[i].first] = *written;
  }
  if (failed) return tl::unexpected(*failed);
  return {};
}

// Seconds per phase, for the report and the benchmark, and the progress line at each step.
class PhaseClock {
 public:
  explicit PhaseClock(const CommandOutput& output) : output_(output) {}
  // Ends the phase under way and starts `next` (no progress line for a negative percent).
  void Enter(int percent, const char* next) {
    const auto now = std::chrono::steady_clock::now();
    if (!phase_.empty()) timings_[phase_] = std::chrono::duration<double>(now - started_).count();
    phase_ = next;
    started_ = now;
    if (percent >= 0) output_.Progress(percent, next);
  }
  const json& Timings() const { return timings_; }

 private:
  const CommandOutput& output_;
  json timings_ = json::object();
  std::string phase_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

mesh::RepairOptions RepairOptionsFor(const MeshPrepareArgs& args, double height_mm) {
  mesh::RepairOptions options;
  options.height_mm = height_mm;
  options.colour = args.colour;
  options.base_mm = args.tuning.base_mm;
  options.thicken_mm = args.tuning.thicken_mm;
  if (args.tuning.remove_parts_under_mm) options.min_part_mm = *args.tuning.remove_parts_under_mm;
  return options;
}

// preview.png: before (as imported) and after, with the walls under the minimum in red.
Written WritePreview(const fs::path& out_dir, const MeshPrepareArgs& args,
                     const mesh::MeshData& before, const mesh::MeshData& after,
                     const mesh::WallThickness& walls, double height_mm) {
  std::vector<bool> thin(after.triangles.size(), false);
  for (size_t f = 0; f < thin.size() && f < walls.face_mm.size(); ++f) {
    thin[f] = walls.face_mm[f] < args.min_wall_mm;
  }
  char after_label[64];
  std::snprintf(after_label, sizeof after_label, "after, %.0f mm (red: under %.1f mm)", height_mm,
                args.min_wall_mm);
  auto png =
      mesh::RenderPreviewPng({{&before, "before", {}}, {&after, after_label, std::move(thin)}});
  if (!png) {
    return tl::unexpected(mesh::Error{png.error().code, "the preview: " + png.error().message});
  }
  return WriteBytes(out_dir / "preview.png", *png);
}

// The input's 3D format, from its first bytes.
tl::expected<mesh::MeshFormat, mesh::Error> SniffInput(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return tl::unexpected(mesh::Error{mesh::Errc::kUnreadable, "cannot read " + path});
  std::stringstream content;
  content << in.rdbuf();
  auto format = mesh::SniffMeshFormat(content.str());
  if (!format) {
    return tl::unexpected(
        mesh::Error{mesh::Errc::kUnreadable, "the file is not a 3D format Keepsake reads"});
  }
  return *format;
}

// The original as the repair scaled and placed it (--write-original, for an independent
// comparison), or nothing when no path is given.
Written WriteOriginal(const std::string& path, const mesh::MeshData& imported,
                      const mesh::RepairResult& repaired) {
  if (path.empty()) return 0;
  mesh::MeshData original = imported;
  mesh::Apply(repaired.to_height, original);
  mesh::Apply(repaired.final, original);
  return mesh::WriteBinaryStl(original, path);
}

json WallsJson(const mesh::WallThickness& walls, double min_wall_mm) {
  return {{"min_wall_mm", min_wall_mm},
          {"share_below_min", walls.ShareBelow()},
          {"area_below_min_mm2", walls.area_below_mm2},
          {"p1_mm", walls.p1_mm},
          {"p50_mm", walls.p50_mm}};
}

}  // namespace

int RunMeshPrepare(const MeshPrepareArgs& args) {
  const auto started = std::chrono::steady_clock::now();
  const CommandOutput output(args.out_dir, "keepsake mesh prepare", args.progress_lines);
  if (!output.Create()) return 1;
  const fs::path& out_dir = output.dir();
  const double height_mm = args.tuning.height_mm.value_or(args.height_mm);
  json report = {{"input", fs::path(args.input).filename().string()},
                 {"height_mm", height_mm},
                 {"colour", args.colour},
                 {"tuning", TuningJson(args.tuning)}};
  auto format = SniffInput(args.input);
  if (!format) return output.Refuse(report, format.error());
  report["format"] = mesh::MeshFormatName(*format);

  // The importer may open only files beside the input (an OBJ's MTL and textures); a ZIP
  // bundle is unpacked into the output folder and confined there.
  const fs::path input = fs::absolute(args.input);
  const std::string folder =
      *format == mesh::MeshFormat::kZip ? out_dir.string() : input.parent_path().string();
  PhaseClock clock(output);
  clock.Enter(5, "import");
  auto imported = mesh::ImportMesh(folder, input.string(), *format, mesh::ImportLimits{});
  if (!imported) return output.Refuse(report, imported.error());
  report["import"] = ImportJson(imported->stats);
  if (args.colour && imported->mesh.colors.empty()) report["input_has_no_colour"] = true;
  if (!args.colour) imported->mesh.colors.clear();  // a white figure has no colours to carry
  mesh::RotateDegrees(imported->mesh, args.tuning.rotate_deg);

  clock.Enter(20, "repair");
  auto repaired = mesh::RepairToSolid(imported->mesh, RepairOptionsFor(args, height_mm));
  if (!repaired) return output.Refuse(report, repaired.error());
  report["repair"] = ReportJson(repaired->report);
  report["fidelity"] = FidelityJson(repaired->fidelity);
  // millimetres per unit of the file: what an independent check scales another tool's output by
  report["mm_per_file_unit"] = repaired->to_height.scale * repaired->final.scale;
  if (auto written = WriteOriginal(args.write_original, imported->mesh, *repaired); !written) {
    return output.Refuse(report, written.error());
  }

  clock.Enter(80, "check");
  const mesh::Bounds bounds = mesh::ComputeBounds(repaired->mesh);
  report["output"] = OutputJson(repaired->mesh, repaired->check, bounds);
  if (!repaired->check.Ok()) {
    return output.Refuse(report, "mesh.failed_final_check",
                         "the repaired model failed its final check");
  }

  clock.Enter(90, "walls");
  const mesh::WallThickness walls = mesh::MeasureWallThickness(repaired->mesh, args.min_wall_mm);
  report["walls"] = WallsJson(walls, args.min_wall_mm);
  const std::vector<mesh::ThinRegion> thin_regions =
      mesh::FindThinRegions(repaired->mesh, walls.face_mm, args.min_wall_mm, 8);
  // Thin regions are the engineer's call (thicken, scale up); a model that is almost all
  // thin wall is a sheet, not a figure, and no setting makes it printable as ordered.
  if (walls.ShareBelow() > 0.9) {
    return output.Refuse(report, "mesh.not_solid",
                         "the model is a thin sheet, not a solid: " +
                             std::to_string(static_cast<int>(walls.ShareBelow() * 100)) +
                             " % of its surface is thinner than " +
                             std::to_string(args.min_wall_mm) + " mm at this height");
  }
  const mesh::Stability stability = mesh::AnalyseStability(repaired->mesh);
  report["stability"] = StabilityJson(stability);
  report["findings"] = Findings(args, *imported, *repaired, walls, thin_regions, bounds, stability);

  clock.Enter(95, "export");
  report["files"] = json::object();
  mesh::MeshData& m = repaired->mesh;
  // a full-colour figure without colours of its own is written (and shown) light grey
  if (args.colour && m.colors.empty()) m.colors.assign(m.positions.size(), {200, 200, 200});
  // the preview is drawn while the files are written (both only read the result; lib3mf's
  // 3MF writer alone takes 2.7 s for a million triangles, on one core)
  auto drawing = std::async(std::launch::async, [&] {
    return WritePreview(out_dir, args, imported->mesh, repaired->mesh, walls, height_mm);
  });
  auto files = WriteModelFiles(out_dir, *repaired, args.colour, report["files"]);
  if (!files) return output.Refuse(report, files.error());
  if (repaired->colour.samples > 0) report["colour_fidelity"] = ColourFidelityJson(*repaired);

  clock.Enter(97, "preview");
  auto preview = drawing.get();
  if (!preview) return output.Refuse(report, preview.error());
  report["files"]["preview.png"] = *preview;
  clock.Enter(-1, "");
  report["timings_s"] = clock.Timings();
  report["printable"] = true;
  report["seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return output.Finish(report);
}

}  // namespace keepsake::services
