// The job contract between the runner and the sandboxed worker: what the runner derives from
// a queued job, job.json written and read back, refusals in words, and a real worker run from
// a job.json alone.
#include "keepsake/services/job_spec.hpp"
#include "keepsake/services/print_command.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sample_files.hpp"
#include "test_support.hpp"

namespace keepsake::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

orders::ProductCatalog Catalog() {
  return *orders::ProductCatalog::Load(SourceDir() + "/assets/products.json");
}

services::ServerConfig Config() {
  services::ServerConfig config;
  config.assets_dir = SourceDir() + "/assets";
  config.worker.max_image_pixels = 50'000'000;
  return config;
}

orders::Job QueuedJob(orders::JobKind kind, const json& params) {
  orders::Job job;
  job.id = 7;
  job.kind = std::string(orders::JobKindName(kind));
  job.params = params.dump();
  return job;
}

TEST(JobSpec, APostcardsGreetingAndCropTravelThroughJobJson) {
  const auto catalog = Catalog();
  const orders::Asset photo{"ab12", "image", "png", 100, ""};
  auto spec = services::SpecForJob(
      QueuedJob(
          orders::JobKind::kRenderPrint,
          {{"product", "postcard-cn"},
           {"text", "新年快乐 Happy New Year"},
           {"tuning", {{"zoom", 1.5}, {"crop_offset", {0.25, -0.5}}, {"ring_offset_mm", 3.5}}}}),
      photo, catalog, Config());
  ASSERT_TRUE(spec) << spec.error();
  EXPECT_EQ(spec->kind, orders::JobKind::kRenderPrint);
  EXPECT_EQ(spec->input, "input.png");
  EXPECT_EQ(spec->max_image_pixels, 50'000'000);
  EXPECT_EQ(spec->assets_dir, SourceDir() + "/assets");

  auto back = services::ParseJobSpec(services::JobSpecJson(*spec));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->kind, orders::JobKind::kRenderPrint);
  EXPECT_EQ(back->product, "postcard-cn");
  EXPECT_EQ(back->text, "新年快乐 Happy New Year");
  EXPECT_DOUBLE_EQ(back->print_tuning.zoom, 1.5);
  ASSERT_TRUE(back->print_tuning.crop_offset);
  EXPECT_DOUBLE_EQ((*back->print_tuning.crop_offset)[1], -0.5);
  EXPECT_DOUBLE_EQ(back->print_tuning.ring_offset_mm, 3.5);  // a keychain's moved ring
  EXPECT_FALSE(back->print_tuning.allow_low_dpi);
  // out of range is refused with the range
  auto far = services::ParsePrintTuning(R"({"ring_offset_mm": 40})");
  ASSERT_FALSE(far);
  EXPECT_NE(far.error().find("ring_offset_mm -25 to 25"), std::string::npos) << far.error();
}

TEST(JobSpec, AFigureCarriesItsHeightMaterialAndRework) {
  const auto catalog = Catalog();
  const orders::Product* figure = nullptr;
  for (const orders::Product& p : catalog.Products()) {
    const orders::Material* m = catalog.FindMaterial(p.material);
    if (p.kind == orders::ProductKind::kFigure && m != nullptr && m->colour) figure = &p;
  }
  ASSERT_NE(figure, nullptr) << "the catalogue has no full-colour figure";
  auto spec =
      services::SpecForJob(QueuedJob(orders::JobKind::kPrepareMesh,
                                     {{"product", figure->id},
                                      {"height_mm", 80},
                                      {"tuning", {{"rotate_deg", {90, 0, 0}}, {"base_mm", 2}}}}),
                           orders::Asset{"cd34", "mesh", "glb", 100, ""}, catalog, Config());
  ASSERT_TRUE(spec) << spec.error();
  auto back = services::ParseJobSpec(services::JobSpecJson(*spec));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->kind, orders::JobKind::kPrepareMesh);
  EXPECT_DOUBLE_EQ(back->height_mm, 80);
  EXPECT_TRUE(back->colour);
  EXPECT_DOUBLE_EQ(back->min_wall_mm, catalog.FindMaterial(figure->material)->min_wall_mm);
  EXPECT_DOUBLE_EQ(back->mesh_tuning.rotate_deg[0], 90);
  EXPECT_DOUBLE_EQ(back->mesh_tuning.base_mm, 2);
}

TEST(JobSpec, RefusalsSayWhatIsWrong) {
  const auto catalog = Catalog();
  const orders::Asset mesh{"cd34", "mesh", "glb", 100, ""};
  // tuning stored before a rule tightened is refused by the same check as at the edge
  auto bad_tuning = services::SpecForJob(
      QueuedJob(orders::JobKind::kPrepareMesh, {{"tuning", {{"base_mm", 99}}}}), mesh, catalog,
      Config());
  ASSERT_FALSE(bad_tuning);
  EXPECT_NE(bad_tuning.error().find("base_mm"), std::string::npos) << bad_tuning.error();

  orders::Job unknown = QueuedJob(orders::JobKind::kPrepareMesh, json::object());
  unknown.kind = "mine_bitcoin";
  auto refused = services::SpecForJob(unknown, mesh, catalog, Config());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("mine_bitcoin"), std::string::npos);

  auto spec = services::SpecForJob(QueuedJob(orders::JobKind::kPrepareMesh, json::object()), mesh,
                                   catalog, Config());
  ASSERT_TRUE(spec);
  json doc = json::parse(services::JobSpecJson(*spec));
  doc["input"] = "../../keepsake.db";
  EXPECT_FALSE(services::ParseJobSpec(doc.dump()));
  doc = json::parse(services::JobSpecJson(*spec));
  doc["figure"].erase("height_mm");
  auto missing = services::ParseJobSpec(doc.dump());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("missing a field"), std::string::npos) << missing.error();
  EXPECT_FALSE(services::ParseJobSpec("not json"));
}

// The worker needs nothing but its folder: job.json and the input file.
TEST(JobSpec, TheWorkerRunsFromJobJsonAlone) {
  TempDir dir;
  fs::copy_file(TestData("images/cutout_corgi_pixelart_rgba_1024.png"), dir.path() / "input.png");
  services::JobSpec spec;
  spec.kind = orders::JobKind::kInspectImage;
  spec.input = "input.png";
  spec.format = "png";
  std::ofstream(dir.path() / "job.json") << services::JobSpecJson(spec);
  const fs::path before = fs::current_path();
  fs::current_path(dir.path());
  int code = -1;
  RunCommand({KeepsakeBinary(), "worker", "--job", "job.json"}, &code);
  fs::current_path(before);
  ASSERT_EQ(code, 0);
  const json result = json::parse(ReadFile(dir.path() / "result.json"));
  EXPECT_EQ(result["width_px"], 1024);
  EXPECT_EQ(result["format"], "png");

  // a job.json without its fields is refused in words (exit 2), nothing read or written
  std::ofstream(dir.path() / "job.json") << "{\"kind\": \"inspect_image\"}";
  fs::current_path(dir.path());
  const std::string said = RunCommand({KeepsakeBinary(), "worker", "--job", "job.json"}, &code,
                                      /*with_stderr=*/true);
  fs::current_path(before);
  EXPECT_EQ(code, 2);
  EXPECT_NE(said.find("job.json"), std::string::npos) << said;
}

}  // namespace
}  // namespace keepsake::testing
