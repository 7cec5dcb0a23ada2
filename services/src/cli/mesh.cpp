// `keepsake mesh prepare`: repair, scale and check a model the way a job does, from the command
// line; the flags go through the same checks as an engineer's tuning from the API.
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "keepsake/orders/product_catalog.hpp"
#include "keepsake/services/mesh_command.hpp"

namespace keepsake::services::cli {

namespace {

struct MeshOptions {
  MeshPrepareArgs args;
  std::string material = "white-resin";
  bool force_colour = false;
  std::vector<double> rotate;
  double base_mm = 0, thicken_mm = 0, remove_parts_under_mm = -1;
};

int Prepare(MeshOptions o) {
  nlohmann::json tuning = nlohmann::json::object();
  if (!o.rotate.empty()) tuning["rotate_deg"] = o.rotate;
  if (o.base_mm != 0) tuning["base_mm"] = o.base_mm;
  if (o.thicken_mm != 0) tuning["thicken_mm"] = o.thicken_mm;
  if (o.remove_parts_under_mm >= 0) tuning["remove_parts_under_mm"] = o.remove_parts_under_mm;
  auto parsed = ParseMeshTuning(tuning.dump());
  if (!parsed) return Die(parsed.error());
  o.args.tuning = *parsed;
  auto catalog = orders::ProductCatalog::Load(FindAssetsDir("") + "/products.json");
  if (!catalog) return Die(catalog.error().message);
  const orders::Material* found = catalog->FindMaterial(o.material);
  if (found == nullptr) return Die("unknown material '" + o.material + "'");
  o.args.min_wall_mm = found->min_wall_mm;
  o.args.colour = found->colour || o.force_colour;
  return RunMeshPrepare(o.args);
}

}  // namespace

std::vector<Command> AddMesh(CLI::App& app) {
  auto o = std::make_shared<MeshOptions>();
  auto* mesh = app.add_subcommand("mesh", "3D models: prepare a printable file");
  mesh->require_subcommand(1);
  auto* prepare = mesh->add_subcommand(
      "prepare", "Repair, scale and check a model; writes OUT/model.stl and OUT/report.json");
  prepare->add_option("input", o->args.input, "GLB, glTF, OBJ, FBX, PLY, STL, OFF or ZIP")
      ->required();
  prepare->add_option("--height-mm", o->args.height_mm, "Printed height in mm")
      ->check(CLI::Range(10.0, 500.0))
      ->capture_default_str();
  prepare->add_option("--out", o->args.out_dir, "Output folder")->required();
  prepare
      ->add_option("--material", o->material,
                   "white-resin or full-colour (products.json): minimum wall and colour")
      ->capture_default_str();
  prepare->add_flag("--colour", o->force_colour, "Write the colour files (PLY, WRL)");
  prepare->add_option("--rotate", o->rotate, "Degrees about X Y Z before standing it up")
      ->expected(3)
      ->delimiter(',');
  prepare->add_option("--base-mm", o->base_mm, "Join a round base this thick (0: none)");
  prepare->add_option("--thicken-mm", o->thicken_mm, "Make every wall this much thicker");
  prepare->add_option("--write-original", o->args.write_original,
                      "Also write the input as printed (STL), for an independent comparison");
  prepare->add_option("--remove-parts-under-mm", o->remove_parts_under_mm,
                      "Remove separate parts smaller than this (default 0.8; 0 keeps all)");
  return {{prepare, [o] { return Prepare(*o); }, false}};
}

}  // namespace keepsake::services::cli
