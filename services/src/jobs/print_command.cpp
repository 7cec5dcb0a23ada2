#include "keepsake/services/print_command.hpp"

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "jobs/command_output.hpp"
#include "keepsake/imaging/format.hpp"
#include "keepsake/services/asset_files.hpp"

namespace keepsake::services {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::array<double, 2> Pair(const json& value) {
  return {value.at(0).get<double>(), value.at(1).get<double>()};
}

// A postcard's address side ("back" in a profile); throws json::exception when a number lacks.
imaging::PostcardBack ParseBack(const json& entry, const json& defaults) {
  imaging::PostcardBack b;
  b.present = true;
  b.divider_x_mm = entry.value("divider_from_left_mm", 0.0);
  if (entry.contains("postcode_boxes")) {
    const json& boxes = entry.at("postcode_boxes");
    b.postcode_boxes = boxes.at("count").get<int>();
    b.box_mm = Pair(boxes.at("box_mm"));
    b.box_gap_mm = boxes.at("gap_mm").get<double>();
    b.boxes_at_mm = Pair(boxes.at("first_at_mm"));
    b.keep_clear_mm = Pair(boxes.at("keep_clear_mm"));
    if (boxes.contains("cmyk")) {
      for (int k = 0; k < 4; ++k) b.box_cmyk[k] = boxes.at("cmyk").at(k).get<double>();
    }
  }
  if (entry.contains("stamp_box")) {
    b.stamp_mm = Pair(entry.at("stamp_box").at("size_mm"));
    b.stamp_from_top_right_mm = Pair(entry.at("stamp_box").at("from_top_right_mm"));
  }
  if (entry.contains("address_lines")) {
    const json& lines = entry.at("address_lines");
    b.address_lines = lines.at("count").get<int>();
    b.lines_left_mm = lines.at("left_mm").get<double>();
    b.lines_right_mm = lines.at("right_mm").get<double>();
    b.lines_top_mm = lines.at("top_mm").get<double>();
    b.lines_spacing_mm = lines.at("spacing_mm").get<double>();
  }
  if (entry.contains("greeting")) {
    const json& greeting = entry.at("greeting");
    for (int k = 0; k < 4; ++k) b.greeting_box_mm[k] = greeting.at("box_mm").at(k).get<double>();
    b.greeting_pt = greeting.value("size_pt", b.greeting_pt);
    b.font_path = greeting.value("font", defaults.value("font", ""));
  }
  return b;
}

// "presses": {"fogra39": {"icc": ..., "output_condition_identifier": ..., ...}}: the press
// conditions products are separated for.
tl::expected<std::map<std::string, imaging::PressCondition>, std::string> ParsePresses(
    const json& presses, const std::string& path) {
  std::map<std::string, imaging::PressCondition> out;
  if (!presses.is_object() || presses.empty()) {
    return tl::unexpected(path + " must name its press conditions in \"presses\"");
  }
  for (const auto& [id, entry] : presses.items()) {
    imaging::PressCondition press;
    press.id = id;
    press.icc_path = entry.value("icc", "");
    press.identifier = entry.value("output_condition_identifier", "");
    press.registry = entry.value("registry", press.registry);
    press.condition = entry.value("output_condition", "");
    press.total_ink_limit_percent = entry.value("total_ink_limit_percent", 0);
    press.black_generation = entry.value("black_generation", "");
    if (press.icc_path.empty()) return tl::unexpected(path + ": press " + id + " has no \"icc\"");
    out[id] = press;
  }
  return out;
}

// One product's entry of print_profiles.json; the reason when it is refused. Throws
// json::exception for a missing number.
tl::expected<imaging::PrintProfile, std::string> ParseProfile(const json& entry,
                                                              const json& defaults,
                                                              const PrintSettings& settings,
                                                              const std::string& path) {
  const std::string default_press = defaults.value("press", "");
  imaging::PrintProfile p;
  p.id = entry.at("product").get<std::string>();
  p.press = entry.value("press", default_press);
  if (settings.presses.count(p.press) == 0) {
    return tl::unexpected(path + ": profile " + p.id + " names press '" + p.press +
                          "', which \"presses\" does not list");
  }
  if (entry.contains("trim_mm")) {  // a badge's follows from its shell
    p.trim_width_mm = entry.at("trim_mm").at(0).get<double>();
    p.trim_height_mm = entry.at("trim_mm").at(1).get<double>();
  }
  p.bleed_mm = entry.value("bleed_mm", defaults.value("bleed_mm", 3.0));
  p.safe_mm = entry.at("safe_mm").get<double>();
  p.target_dpi = entry.value("target_dpi", defaults.value("target_dpi", 300));
  p.warn_below_dpi = entry.value("warn_below_dpi", defaults.value("warn_below_dpi", 300));
  p.refuse_below_dpi = entry.value("refuse_below_dpi", defaults.value("refuse_below_dpi", 150));
  p.may_rotate = entry.value("may_rotate", true);
  p.photo_lab_jpeg = entry.value("photo_lab_jpeg", false);
  const std::string shape = entry.value("shape", "rectangle");
  if (shape == "diecut") {
    p.shape = imaging::PrintShape::kDieCut;
    p.may_rotate = false;
    p.cut_offset_mm = entry.value("cut_offset_mm", p.cut_offset_mm);
    p.min_corner_radius_mm = entry.value("min_corner_radius_mm", p.min_corner_radius_mm);
    p.ring_hole_mm = entry.value("ring_hole_mm", 0.0);
    p.ring_edge_mm = entry.value("ring_edge_mm", p.ring_edge_mm);
    p.white_underbase = entry.value("white_underbase", false);
    p.underbase_choke_mm = entry.value("underbase_choke_mm", p.underbase_choke_mm);
    p.underbase_alpha = entry.value("underbase_alpha", p.underbase_alpha);
    p.may_be_double_sided = entry.value("may_be_double_sided", false);
  } else if (shape == "badge") {
    // a button badge: the disc wraps round the shell's edge; its size follows from the
    // shell's face and the wrap the press takes (e.g. 58 mm and 6 mm: a 70 mm disc)
    const json& badge = entry.at("badge");
    p.shape = imaging::PrintShape::kRound;
    p.may_rotate = false;
    p.badge_face_mm = badge.at("shell_mm").get<double>();
    p.trim_width_mm = p.trim_height_mm = p.badge_face_mm + 2 * badge.at("wrap_mm").get<double>();
    p.safe_mm += badge.at("wrap_mm").get<double>();  // faces stay on the shell's face
  } else if (shape == "round" || shape == "rectangle") {
    p.shape = shape == "round" ? imaging::PrintShape::kRound : imaging::PrintShape::kRectangle;
  } else {
    return tl::unexpected(path + ": profile " + p.id + " has an unknown shape " + shape);
  }
  if (p.trim_width_mm <= 0 || p.trim_height_mm <= 0 || p.bleed_mm < 0 || p.safe_mm < 0 ||
      p.target_dpi < 72 || p.refuse_below_dpi > p.warn_below_dpi) {
    return tl::unexpected(path + ": profile " + p.id + " has impossible numbers");
  }
  if (entry.contains("back")) p.back = ParseBack(entry.at("back"), defaults);
  return p;
}

}  // namespace

tl::expected<PrintSettings, std::string> LoadPrintSettings(const std::string& assets_dir) {
  const std::string path = assets_dir + "/print_profiles.json";
  std::ifstream in(path, std::ios::binary);
  if (!in) return tl::unexpected("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  const json doc = json::parse(text.str(), nullptr, false);
  if (!doc.is_object() || !doc.contains("profiles") || !doc["profiles"].is_array()) {
    return tl::unexpected(path + " must be an object with a 'profiles' array");
  }
  PrintSettings settings;
  auto presses = ParsePresses(doc.value("presses", json::object()), path);
  if (!presses) return tl::unexpected(presses.error());
  settings.presses = std::move(*presses);
  settings.face_model_path = doc.value("face_model", "");
  const json defaults = doc.value("defaults", json::object());
  for (const json& entry : doc["profiles"]) {
    try {
      auto p = ParseProfile(entry, defaults, settings, path);
      if (!p) return tl::unexpected(p.error());
      settings.profiles[p->id] = *p;
    } catch (const json::exception& e) {
      return tl::unexpected(path + ": a profile lacks a number: " + e.what());
    }
  }
  return settings;
}

tl::expected<PrintTuning, std::string> ParsePrintTuning(const std::string& json_text) {
  const json doc = json::parse(json_text, nullptr, false);
  if (!doc.is_object()) return tl::unexpected(std::string("tuning must be a JSON object"));
  PrintTuning tuning;
  for (const auto& [name, value] : doc.items()) {
    if (name == "allow_low_dpi" && value.is_boolean()) {
      tuning.allow_low_dpi = value.get<bool>();
    } else if (name == "zoom" && value.is_number() && value.get<double>() >= 1 &&
               value.get<double>() <= 4) {
      tuning.zoom = value.get<double>();
    } else if (name == "crop_offset" && value.is_array() && value.size() == 2 &&
               value[0].is_number() && value[1].is_number() &&
               std::abs(value[0].get<double>()) <= 1 && std::abs(value[1].get<double>()) <= 1) {
      tuning.crop_offset = {value[0].get<double>(), value[1].get<double>()};
    } else if (name == "ring_offset_mm" && value.is_number() &&
               std::abs(value.get<double>()) <= 25) {
      tuning.ring_offset_mm = value.get<double>();
    } else if (name == "zoom" || name == "crop_offset" || name == "allow_low_dpi" ||
               name == "ring_offset_mm") {
      return tl::unexpected("tuning." + name +
                            " is out of range: zoom is 1 to 4, crop_offset two numbers from -1 "
                            "to 1, ring_offset_mm -25 to 25, allow_low_dpi true or false");
    } else {
      return tl::unexpected("tuning." + name +
                            " is not a print tuning Keepsake knows; use allow_low_dpi, zoom, "
                            "crop_offset or ring_offset_mm");
    }
  }
  return tuning;
}

namespace {

// What the render made, as the report tells it.
void AddResult(const imaging::PrintResult& r, const imaging::PrintProfile& profile,
               const imaging::PressCondition& press, json& report) {
  json faces = json::array();
  for (const auto& f : r.faces) faces.push_back(f);
  report["trim_mm"] = {r.trim_width_mm, r.trim_height_mm};
  report["artwork_px"] = {r.width_px, r.height_px};
  report["dpi"] = profile.target_dpi;
  report["effective_dpi"] = r.effective_dpi;
  report["crop_px"] = r.crop_px;
  report["faces"] = faces;
  json warnings = json::array();  // as the figure's findings: a code, its values, a sentence
  for (const imaging::Notice& w : r.warnings) {
    warnings.push_back({{"code", w.code}, {"params", w.params}, {"detail", w.text}});
  }
  report["warnings"] = warnings;
  report["output_intent"] = r.output_intent;
  // the press condition the CMYK is for, and what its profile was built to
  report["press"] = {{"id", press.id},
                     {"output_condition_identifier", press.identifier},
                     {"registry", press.registry},
                     {"output_condition", press.condition},
                     {"profile", r.output_intent},
                     {"total_ink_limit_percent", press.total_ink_limit_percent},
                     {"black_generation", press.black_generation}};
  report["step_seconds"] = r.step_seconds;
  report["print_mode"] = r.print_mode;
  // how the picture was scaled: nearest neighbour for pixel art (its block size said)
  report["resampling"] = r.resampling;
  if (r.pixel_art_block > 0) report["pixel_art_block_px"] = r.pixel_art_block;
  report["input_profile"] =
      r.input_profile.empty() ? json("sRGB (assumed)") : json(r.input_profile);
  if (!r.cut_paths_mm.empty() || !r.cut_circles_mm.empty()) {
    json paths = json::array();
    // the outline as the cutter follows it: Bezier segments, and its flattened points
    for (size_t i = 0; i < r.cut_paths_mm.size(); ++i) {
      json path = {{"points", r.cut_paths_mm[i].size()}};
      if (i < r.cut_curves_mm.size()) path["bezier_segments"] = r.cut_curves_mm[i].segments.size();
      paths.push_back(path);
    }
    json circles = json::array();  // true circles: a round piece's disc, a keychain's ring hole
    for (const auto& [x, y, radius] : r.cut_circles_mm) {
      circles.push_back({{"centre_mm", {x, y}}, {"diameter_mm", 2 * radius}});
    }
    report["cut"] = {{"spot_colour", "CutContour"},
                     {"offset_mm", profile.cut_offset_mm},
                     {"paths", paths},
                     {"circles", circles},
                     {"white_underbase", profile.white_underbase},
                     {"layer", "CutContour"},
                     {"min_corner_radius_mm", profile.min_corner_radius_mm},
                     {"corners_at_least_min_radius", r.cut_min_radius_ok},
                     {"crosses_itself", !r.cut_simple}};
    if (profile.white_underbase) {  // on its own layer, under the pixels this opaque, choked
      report["white"] = {{"spot_colour", "White"},
                         {"layer", "White"},
                         {"under_alpha_at_least", profile.underbase_alpha},
                         {"choke_mm", profile.underbase_choke_mm}};
    }
  }
  report["pages"] = r.pages;
  if (r.hang_deg) report["hang_deg"] = *r.hang_deg;
  if (profile.badge_face_mm > 0) {
    report["badge"] = {{"shell_face_mm", profile.badge_face_mm},
                       {"disc_mm", profile.trim_width_mm},
                       {"wrap_mm", (profile.trim_width_mm - profile.badge_face_mm) / 2}};
  }
  if (profile.back.present) {
    report["back"] = {{"greeting_lines", r.greeting_lines},
                      {"postcode_boxes", profile.back.postcode_boxes},
                      {"page_size_as_front", true},
                      {"turned_ccw_deg", r.back_turn_deg}};
  }
  if (r.segmented) report["cut"]["found_by"] = "segmentation (the picture has no transparency)";
}

// The item's options (--option k=v) onto the product's profile: size_mm (a square trim of that
// side: keychains come in sizes) and sides; the message of a refusal otherwise.
tl::expected<void, std::string> ApplyOptions(const std::vector<std::string>& options,
                                             double size_mm, int& sides,
                                             imaging::PrintProfile& profile) {
  for (const std::string& option : options) {
    const size_t eq = option.find('=');
    const std::string name = option.substr(0, eq);
    double value = 0;
    const bool number = eq != std::string::npos &&
                        std::sscanf(option.c_str() + eq + 1, "%lf", &value) == 1 && value > 0;
    if (name == "size_mm" && number) {
      size_mm = value;
    } else if (name == "sides" && number) {
      sides = static_cast<int>(value);
    } else {
      return tl::unexpected("unknown option '" + option +
                            "': print products take size_mm=N and sides=1|2");
    }
  }
  if (size_mm > 0) profile.trim_width_mm = profile.trim_height_mm = size_mm;
  return {};
}

}  // namespace

int RunPrintRender(const PrintRenderArgs& args, const PrintSettings& settings) {
  const auto started = std::chrono::steady_clock::now();
  const CommandOutput output(args.out_dir, "keepsake print render", args.progress_lines);
  if (!output.Create()) return 1;
  const fs::path& out_dir = output.dir();
  json report = {{"product", args.product}, {"input", fs::path(args.image).filename().string()}};
  const auto found = settings.profiles.find(args.product);
  if (found == settings.profiles.end()) {
    return output.Refuse(report, "print.no_profile",
                         "no print profile for product " + args.product);
  }
  imaging::PrintProfile profile = found->second;
  int sides = args.sides;
  if (auto applied = ApplyOptions(args.options, args.size_mm, sides, profile); !applied) {
    return output.Refuse(report, "print.unknown_option", applied.error());
  }
  report["trim_mm"] = {profile.trim_width_mm, profile.trim_height_mm};
  report["bleed_mm"] = profile.bleed_mm;
  report["safe_mm"] = profile.safe_mm;
  std::ifstream in(args.image, std::ios::binary);
  std::string head(64, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  if (!in.good() && head.empty())
    return output.Refuse(report,
                         imaging::Error{imaging::Errc::kUnreadable, "cannot read the image"});
  if (!imaging::SniffImageFormat(head)) {
    return output.Refuse(report, imaging::Error{imaging::Errc::kUnreadable,
                                                "the file is not a PNG, JPEG or WebP image"});
  }
  output.Progress(10, "render");
  imaging::PrintInputs inputs;
  inputs.image_path = args.image;
  inputs.press = settings.PressFor(profile);
  inputs.face_model_path = settings.face_model_path;
  inputs.allow_low_dpi = args.allow_low_dpi;
  inputs.zoom = args.zoom;
  inputs.ring_offset_mm = args.ring_offset_mm;
  inputs.crop_offset = args.crop_offset;
  inputs.preview_px = args.preview_px;
  inputs.max_pixels = args.max_pixels;
  inputs.text = args.text;
  inputs.sides = sides;
  auto rendered = imaging::RenderPrint(inputs, profile);
  if (!rendered) return output.Refuse(report, rendered.error());
  output.Progress(90, "write");
  const imaging::PrintResult& r = *rendered;
  for (const auto& [name, bytes] : {std::pair<const char*, const std::string*>{"print.pdf", &r.pdf},
                                    {"print.png", &r.png},
                                    {"preview.png", &r.preview_png},
                                    {"print.jpg", &r.jpeg},
                                    {"cut.png", &r.cut_png},
                                    {"cut.svg", &r.cut_svg}}) {
    if (bytes->empty()) continue;  // the formats only some products have
    if (!WriteFileAtomically(out_dir / name, *bytes)) {
      return output.Refuse(report, "print.write_failed", std::string("cannot write ") + name);
    }
    report["files"][name] = bytes->size();
  }
  AddResult(r, profile, inputs.press, report);
  if (inputs.sides == 2) report["sides"] = 2;
  report["printable"] = true;
  report["seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return output.Finish(report);
}

}  // namespace keepsake::services
