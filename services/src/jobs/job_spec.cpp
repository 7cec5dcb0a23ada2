#include "keepsake/services/job_spec.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

namespace keepsake::services {

namespace {

using nlohmann::json;

json MeshTuningJson(const MeshTuning& t) {
  json out = json::object();
  if (t.height_mm) out["height_mm"] = *t.height_mm;
  if (t.rotate_deg != std::array<double, 3>{}) out["rotate_deg"] = t.rotate_deg;
  if (t.base_mm != 0) out["base_mm"] = t.base_mm;
  if (t.thicken_mm != 0) out["thicken_mm"] = t.thicken_mm;
  if (t.remove_parts_under_mm) out["remove_parts_under_mm"] = *t.remove_parts_under_mm;
  return out;
}

json PrintTuningJson(const PrintTuning& t) {
  json out = json::object();
  if (t.allow_low_dpi) out["allow_low_dpi"] = true;
  if (t.zoom != 1) out["zoom"] = t.zoom;
  if (t.crop_offset) out["crop_offset"] = *t.crop_offset;
  if (t.ring_offset_mm != 0) out["ring_offset_mm"] = t.ring_offset_mm;
  return out;
}

// A number of `params` when it is one, else `fallback`.
double Number(const json& params, const char* name, double fallback) {
  return params.contains(name) && params[name].is_number() ? params[name].get<double>() : fallback;
}

}  // namespace

tl::expected<JobSpec, std::string> SpecForJob(const orders::Job& job, const orders::Asset& asset,
                                              const orders::ProductCatalog& catalog,
                                              const ServerConfig& config) {
  auto kind = orders::ParseJobKind(job.kind);
  if (!kind) return tl::unexpected("unknown job kind " + job.kind);
  JobSpec spec;
  spec.kind = *kind;
  spec.input = "input." + asset.format;
  spec.format = asset.format;
  spec.max_image_pixels = config.worker.max_image_pixels;
  json params = json::parse(job.params, nullptr, false);
  if (!params.is_object()) params = json::object();
  spec.product = params.value("product", "");
  const orders::Product* product = catalog.Find(spec.product);
  if (product == nullptr && (*kind == orders::JobKind::kRenderPrint)) {
    return tl::unexpected("product " + spec.product + " is not in the catalogue");
  }
  const orders::Material* material =
      product != nullptr ? catalog.FindMaterial(product->material) : nullptr;
  if (material != nullptr) {
    spec.min_wall_mm = material->min_wall_mm;
    spec.colour = material->colour;
  }
  spec.height_mm = Number(params, "height_mm", spec.height_mm);
  const std::string tuning =
      params.contains("tuning") && params["tuning"].is_object() ? params["tuning"].dump() : "{}";
  if (*kind == orders::JobKind::kPrepareMesh) {
    auto parsed = ParseMeshTuning(tuning);
    if (!parsed) return tl::unexpected(parsed.error());
    spec.mesh_tuning = *parsed;
  }
  if (*kind == orders::JobKind::kRenderPrint) {
    auto parsed = ParsePrintTuning(tuning);
    if (!parsed) return tl::unexpected(parsed.error());
    spec.print_tuning = *parsed;
    spec.assets_dir = config.assets_dir;
    spec.size_mm = Number(params, "size_mm", 0);
    if (params.contains("sides") && params["sides"].is_number_integer()) {
      spec.sides = params["sides"].get<int>();
    }
    if (params.contains("text") && params["text"].is_string()) spec.text = params["text"];
  }
  return spec;
}

std::string JobSpecJson(const JobSpec& s) {
  return json{{"kind", orders::JobKindName(s.kind)},
              {"input", s.input},
              {"format", s.format},
              {"max_image_pixels", s.max_image_pixels},
              {"product", s.product},
              {"figure",
               {{"height_mm", s.height_mm},
                {"min_wall_mm", s.min_wall_mm},
                {"colour", s.colour},
                {"tuning", MeshTuningJson(s.mesh_tuning)}}},
              {"print",
               {{"assets_dir", s.assets_dir},
                {"size_mm", s.size_mm},
                {"sides", s.sides},
                {"text", s.text},
                {"tuning", PrintTuningJson(s.print_tuning)}}}}
      .dump(2);
}

tl::expected<JobSpec, std::string> ParseJobSpec(const std::string& json_text) {
  const json doc = json::parse(json_text, nullptr, false);
  if (!doc.is_object()) return tl::unexpected(std::string("job.json is not a JSON object"));
  try {
    JobSpec s;
    auto kind = orders::ParseJobKind(doc.at("kind").get<std::string>());
    if (!kind) return tl::unexpected("unknown job kind " + doc.at("kind").get<std::string>());
    s.kind = *kind;
    s.input = doc.at("input").get<std::string>();
    s.format = doc.at("format").get<std::string>();
    s.max_image_pixels = doc.at("max_image_pixels").get<int64_t>();
    s.product = doc.at("product").get<std::string>();
    const json& figure = doc.at("figure");
    s.height_mm = figure.at("height_mm").get<double>();
    s.min_wall_mm = figure.at("min_wall_mm").get<double>();
    s.colour = figure.at("colour").get<bool>();
    auto mesh_tuning = ParseMeshTuning(figure.at("tuning").dump());
    if (!mesh_tuning) return tl::unexpected(mesh_tuning.error());
    s.mesh_tuning = *mesh_tuning;
    const json& print = doc.at("print");
    s.assets_dir = print.at("assets_dir").get<std::string>();
    s.size_mm = print.at("size_mm").get<double>();
    s.sides = print.at("sides").get<int>();
    s.text = print.at("text").get<std::string>();
    auto print_tuning = ParsePrintTuning(print.at("tuning").dump());
    if (!print_tuning) return tl::unexpected(print_tuning.error());
    s.print_tuning = *print_tuning;
    if (s.input.empty() || s.input.find('/') != std::string::npos) {
      return tl::unexpected(std::string("job.json: the input is a file name of the job folder"));
    }
    return s;
  } catch (const json::exception& e) {
    return tl::unexpected(std::string("job.json is missing a field or has a wrong type: ") +
                          e.what());
  }
}

}  // namespace keepsake::services
