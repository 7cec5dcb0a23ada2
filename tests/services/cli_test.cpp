// The command line: every subcommand has --help, errors are one clear line and a non-zero exit.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_support.hpp"

namespace keepsake::testing {
namespace {

namespace fs = std::filesystem;

TEST(Cli, EverySubcommandHasHelp) {
  for (std::vector<std::string> args : {std::vector<std::string>{"--help"},
                                        {"serve", "--help"},
                                        {"token", "create", "--help"},
                                        {"token", "list", "--help"},
                                        {"token", "revoke", "--help"},
                                        {"migrate", "--help"},
                                        {"backup", "--help"},
                                        {"mesh", "prepare", "--help"},
                                        {"print", "render", "--help"},
                                        {"label", "render", "--help"},
                                        {"report", "monthly", "--help"},
                                        {"purge", "--help"},
                                        {"products", "--help"},
                                        {"keys", "rotate", "--help"}}) {
    args.insert(args.begin(), KeepsakeBinary());
    int code = -1;
    const std::string out = RunCommand(args, &code);
    EXPECT_EQ(code, 0) << args[1];
    EXPECT_NE(out.find("--"), std::string::npos) << args[1];
  }
}

TEST(Cli, MigrateCreatesTheSchema) {
  TempDir dir;
  int code = -1;
  const std::string out =
      RunCommand({KeepsakeBinary(), "migrate", "--data", (dir.path() / "d").string()}, &code);
  EXPECT_EQ(code, 0);
  EXPECT_NE(out.find("schema version 26"), std::string::npos) << out;
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "d" / "keepsake.db"));
  // the data key was made beside the folder, not in it, readable by its owner alone
  const auto key = dir.path() / "d.key";
  ASSERT_TRUE(std::filesystem::exists(key));
  EXPECT_EQ(std::filesystem::status(key).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(ReadFile(key).size(), 65u);  // 64 hex digits and a newline
  // without its key the data is not opened, and no new key is made over it
  std::filesystem::rename(key, dir.path() / "elsewhere.key");
  const std::string refused = RunCommand(
      {KeepsakeBinary(), "token", "list", "--data", (dir.path() / "d").string()}, &code, true);
  EXPECT_NE(code, 0);
  EXPECT_NE(refused.find("is missing"), std::string::npos) << refused;
  EXPECT_FALSE(std::filesystem::exists(key));
  const std::string given =
      RunCommand({KeepsakeBinary(), "token", "list", "--data", (dir.path() / "d").string(),
                  "--data-key", (dir.path() / "elsewhere.key").string()},
                 &code, true);
  EXPECT_EQ(code, 0) << given;
}

TEST(Cli, TokenCreatePrintsTheTokenAlone) {
  TempDir dir;
  int code = -1;
  const std::string out = RunCommand({KeepsakeBinary(), "token", "create", "--data",
                                      (dir.path() / "d").string(), "--role", "cs", "--name", "ann"},
                                     &code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(out.size(), 3u + 64u + 1u) << out;
  EXPECT_EQ(out.rfind("ks_", 0), 0u);
  RunCommand({KeepsakeBinary(), "token", "create", "--data", (dir.path() / "d").string(), "--role",
              "system", "--name", "x"},
             &code);
  EXPECT_NE(code, 0);  // no token may act as Keepsake itself
}

// Regression: with a relative --data, workers (which chdir into their job folder) could not
// open their log and every job failed with exit code 126.
TEST(Cli, RelativeDataDirectoryWorksForJobs) {
  TempDir dir;
  ServerProcess server(dir.path() / "var");
  server.SetWorkingDir(dir.path());
  server.Start();
  const std::string item = PlaceOrderWithFile(
      server, "images/lowres_portrait_exif_prompt_512x768.jpg", "magnet-rect", "relative");
  EXPECT_TRUE(WaitFor([&] { return ItemState(server, item) == "needs_review"; }, 30000));
}

// `keepsake products` shows what staff are asked: sizes, materials, print numbers.
TEST(Cli, ProductsListsTheCatalogueWithItsNumbers) {
  int code = -1;
  const std::string out = RunCommand({KeepsakeBinary(), "products"}, &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("figure-colour"), std::string::npos);
  EXPECT_NE(out.find("minimum wall 2.0 mm, full colour"), std::string::npos) << out;
  EXPECT_NE(out.find("print 148 x 100 mm, bleed 3.0 mm"), std::string::npos) << out;
  EXPECT_NE(out.find("press fogra39"), std::string::npos) << out;
  EXPECT_NE(out.find("print 60 x 60 mm die-cut"), std::string::npos) << out;
}

// The README's first command seeds a demo: every scripted step must succeed on today's rules
// (a picture too small for its product would stop its order half-way).
TEST(Cli, DemoSeedRunsEveryStep) {
  TempDir dir;
  ServerProcess server(dir.path() / "var", {"--demo"});
  server.Start();
  const std::string log = ReadFile(server.log_path());
  EXPECT_NE(log.find("event=demo_seed orders=8"), std::string::npos) << log;
  EXPECT_EQ(log.find("demo_step_skipped"), std::string::npos) << log;
  EXPECT_EQ(log.find("demo_seed_incomplete"), std::string::npos) << log;
  // the keychain waits on the packing queue with its parcel, its label next
  auto queue = server.Client()->Get("/api/v1/packing/queue", Bearer(server.Token("logistics")));
  ASSERT_EQ(queue->status, 200);
  const nlohmann::json orders = nlohmann::json::parse(queue->body)["orders"];
  ASSERT_EQ(orders.size(), 1u) << queue->body;
  EXPECT_EQ(orders[0]["items"][0]["product"], "keychain-acrylic");
  EXPECT_EQ(orders[0]["next"], "print labels");
  EXPECT_EQ(orders[0]["parcels"][0]["weight_g"], 60);
}

// Runs a preparation command (keepsake ARGS... --out OUT) and reads the report it left.
struct Prepared {
  int code = -1;
  std::string output;  // stdout and stderr
  nlohmann::json report;
};
Prepared RunPreparation(std::vector<std::string> args, const std::filesystem::path& out) {
  args.insert(args.begin(), KeepsakeBinary());
  args.insert(args.end(), {"--out", out.string()});
  Prepared p;
  p.output = RunCommand(args, &p.code, /*with_stderr=*/true);
  p.report = nlohmann::json::parse(ReadFile(out / "report.json"), nullptr, false);
  return p;
}

TEST(Cli, MeshPrepareWritesAPrintableStlAndItsReport) {
  TempDir dir;
  const auto out = dir.path() / "out";
  const Prepared p = RunPreparation({"mesh", "prepare", TestData("meshes/triposr_chair/mesh.obj"),
                                     "--height-mm", "60", "--colour"},
                                    out);
  ASSERT_EQ(p.code, 0) << p.output;
  const auto& report = p.report;
  EXPECT_TRUE(report["printable"].get<bool>());
  EXPECT_NEAR(report["output"]["size_mm"][2].get<double>(), 60.0, 0.3);
  EXPECT_TRUE(report["output"]["closed"].get<bool>());
  EXPECT_GT(report["repair"]["welded_vertices"].get<int>(), 0);  // the hairline cracks
  EXPECT_LT(report["walls"]["share_below_min"].get<double>(), 0.5);
  // TripoSR's vertex colours go to the full-colour PLY and VRML
  EXPECT_GT(std::filesystem::file_size(out / "model.ply"), 0u);
  EXPECT_GT(std::filesystem::file_size(out / "model.wrl"), 0u);
  EXPECT_GT(std::filesystem::file_size(out / "preview.png"), 0u);
  const auto stl_bytes = std::filesystem::file_size(out / "model.stl");
  EXPECT_EQ(stl_bytes, 84 + 50 * report["repair"]["output_triangles"].get<uint64_t>());
}

// A full-colour figure whose MTL names a texture that did not come with the upload: it is
// still prepared, and the report says which texture is missing, for the engineer.
TEST(Cli, MeshPrepareNamesAMissingTexture) {
  TempDir dir;
  FixtureMesh homer = ReadOff(CgalData("meshes/homer.off"));
  ProjectFrontUvs(homer);
  const auto obj = WriteTexturedObj(homer, dir.path() / "upload",
                                    TestData("images/lowres_portrait_exif_prompt_512x768.jpg"),
                                    "material_0.jpeg", 0.4);
  std::filesystem::remove(dir.path() / "upload" / "material_0.jpeg");
  const Prepared p =
      RunPreparation({"mesh", "prepare", obj.string(), "--material", "full-colour", "--colour"},
                     dir.path() / "out");
  ASSERT_EQ(p.code, 0) << p.output;
  int named = 0;  // once, with the file's name
  for (const auto& finding : p.report["findings"]) {
    named += finding["code"] == "texture_unreadable" &&
             finding["params"]["names"] == "material_0.jpeg" &&
             finding["detail"].get<std::string>().find("material_0.jpeg") != std::string::npos;
  }
  EXPECT_EQ(named, 1) << p.report["findings"].dump();
}

// Thickening (an engineer's tuning) rebuilds every wall thicker: a relief about 0.7 mm deep
// (in white resin most of its surface is under the 1 mm minimum; in full colour it is refused
// as a sheet) thickened by 2 mm mostly reaches full colour's 2 mm minimum, and the rebuilt
// surface's colours are baked into a new atlas that the print files carry.
TEST(Cli, MeshPrepareThickensTheWalls) {
  TempDir dir;
  const std::string relief = WriteBytes(dir.path() / "relief.glb", ThinReliefGlb());
  const Prepared as_is = RunPreparation({"mesh", "prepare", relief}, dir.path() / "as_is");
  const Prepared thick = RunPreparation(
      {"mesh", "prepare", relief, "--thicken-mm", "2", "--material", "full-colour", "--colour"},
      dir.path() / "thick");
  ASSERT_EQ(as_is.code, 0) << as_is.output;
  ASSERT_EQ(thick.code, 0) << thick.output;
  EXPECT_TRUE(thick.report["repair"]["rebuilt_volumetrically"].get<bool>());
  EXPECT_DOUBLE_EQ(thick.report["repair"]["thickened_mm"].get<double>(), 2.0);
  EXPECT_LT(thick.report["walls"]["share_below_min"].get<double>(),
            as_is.report["walls"]["share_below_min"].get<double>() / 10);
  EXPECT_TRUE(thick.report["output"]["closed"].get<bool>());
  EXPECT_EQ(thick.report["output"]["self_intersections"], 0);
  const nlohmann::json& colour = thick.report["colour_fidelity"];
  EXPECT_TRUE(colour["textured"].get<bool>()) << colour.dump();
  EXPECT_EQ(colour["faces_baked_into_a_new_atlas"].get<int64_t>(),
            thick.report["repair"]["output_triangles"].get<int64_t>());
  EXPECT_LE(colour["baked_texel_mm"].get<double>(), 0.1);
  // the PNG's own header (IHDR: width and height, big-endian, from byte 16)
  const std::string png = ReadFile(dir.path() / "thick" / "texture.png");
  ASSERT_GT(png.size(), 24u);
  const auto be32 = [&](size_t at) {
    return static_cast<int>(
        (static_cast<uint8_t>(png[at]) << 24) | (static_cast<uint8_t>(png[at + 1]) << 16) |
        (static_cast<uint8_t>(png[at + 2]) << 8) | static_cast<uint8_t>(png[at + 3]));
  };
  EXPECT_EQ(be32(16), colour["baked_atlas"][0].get<int>());
  EXPECT_EQ(be32(20), colour["baked_atlas"][1].get<int>());
  EXPECT_NE(png.find("sRGB"), std::string::npos);
}

TEST(Cli, MeshPrepareRefusesWhatCannotBePrintedInOneLine) {
  TempDir dir;
  // all three points on one line: nothing here has a height or a volume
  std::ofstream(dir.path() / "flat.off") << "OFF\n3 1 0\n0 0 0\n1 0 0\n2 0 0\n3 0 1 2\n";
  const Prepared p =
      RunPreparation({"mesh", "prepare", (dir.path() / "flat.off").string()}, dir.path() / "out");
  EXPECT_EQ(p.code, 2);
  EXPECT_FALSE(p.report["printable"].get<bool>());
  EXPECT_NE(p.report["reason"].get<std::string>().find("no height"), std::string::npos);
  EXPECT_NE(p.output.find("keepsake mesh prepare: the model is flat"), std::string::npos)
      << p.output;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "out" / "model.stl"));
}

// A flat square has no volume: the rebuild would make it a 0.06 mm plate. The wall check
// refuses it instead of calling it printable.
TEST(Cli, MeshPrepareRefusesAThinSheet) {
  TempDir dir;
  std::ofstream(dir.path() / "sheet.off") << "OFF\n4 2 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n"
                                             "3 0 1 2\n3 0 2 3\n";
  const Prepared p =
      RunPreparation({"mesh", "prepare", (dir.path() / "sheet.off").string()}, dir.path() / "out");
  EXPECT_EQ(p.code, 2);
  EXPECT_FALSE(p.report["printable"].get<bool>());
  EXPECT_NE(p.report["reason"].get<std::string>().find("thin sheet"), std::string::npos)
      << p.report.dump(2);
}

TEST(Cli, PrintRenderWritesThePrintFilesOrRefusesInOneLine) {
  TempDir dir;
  const Prepared keychain =
      RunPreparation({"print", "render", "--product", "keychain-acrylic", "--size-mm", "50",
                      "--image", TestData("images/cutout_corgi_pixelart_rgba_1024.png")},
                     dir.path() / "keychain");
  ASSERT_EQ(keychain.code, 0) << keychain.output;
  EXPECT_TRUE(keychain.report["printable"].get<bool>());
  EXPECT_EQ(keychain.report["trim_mm"], (nlohmann::json{50.0, 50.0}));  // the size option
  EXPECT_EQ(keychain.report["cut"]["spot_colour"], "CutContour");
  for (const char* name : {"print.pdf", "print.png", "preview.png"}) {
    EXPECT_GT(std::filesystem::file_size(dir.path() / "keychain" / name), 0u) << name;
  }
  const Prepared small =
      RunPreparation({"print", "render", "--product", "postcard-cn", "--image",
                      TestData("images/lowres_portrait_exif_prompt_512x768.jpg")},
                     dir.path() / "small");
  EXPECT_EQ(small.code, 2);
  EXPECT_FALSE(small.report["printable"].get<bool>());
  EXPECT_NE(small.output.find("keepsake print render: the image has 512 x 768 pixels"),
            std::string::npos)
      << small.output;
}

TEST(Cli, BadListenAddressIsRefused) {
  TempDir dir;
  int code = -1;
  RunCommand({KeepsakeBinary(), "serve", "--data", (dir.path() / "d").string(), "--listen",
              "localhost", "--assets", SourceDir() + "/assets"},
             &code);
  EXPECT_EQ(code, 1);
}

// `keepsake keys rotate` with a server's real data folder: refused beside the running server;
// cut short before the database moved, the next start undoes it (the old key still opens the
// database); cut short after, the next start finishes it (the new key in place, the old one
// retired); done whole, it says where the old key is kept. After each, the order is still found
// by the customer's phone.
TEST(Cli, KeysRotateSurvivesBeingCutShortAtEitherStep) {
  TempDir dir;
  const fs::path data = dir.path() / "var";
  const fs::path key = dir.path() / "var.key";
  const auto rotate = [&](const std::string& fault, int* code) {
    std::vector<std::string> argv = {"/usr/bin/env",   "KEEPSAKE_ROTATE_FAULT=" + fault,
                                     KeepsakeBinary(), "keys",
                                     "rotate",         "--data",
                                     data.string()};
    return RunCommand(argv, code, /*with_stderr=*/true);
  };
  const auto found_by_phone = [&] {
    ServerProcess server(data);
    server.Start();
    auto res = server.Client()->Get("/api/v1/orders?phone=13912345678", Bearer(server.Token("cs")));
    server.Stop();
    return res && res->status == 200 && nlohmann::json::parse(res->body)["orders"].size() == 1;
  };
  {
    ServerProcess server(data);
    server.Start();
    PlaceOrderWithFile(server, "images/lowres_portrait_exif_prompt_512x768.jpg", "magnet-rect",
                       "rotate-1");
    int code = 0;
    const std::string out = rotate("", &code);
    EXPECT_EQ(code, 1);
    EXPECT_NE(out.find("a keepsake serve is using"), std::string::npos) << out;
    server.Stop();
  }
  const std::string first_key = ReadFile(key);

  int code = 0;
  rotate("before-commit", &code);
  EXPECT_EQ(code, 70);
  EXPECT_TRUE(fs::exists(key.string() + ".next"));
  EXPECT_TRUE(found_by_phone());
  EXPECT_FALSE(fs::exists(key.string() + ".next"));
  EXPECT_EQ(ReadFile(key), first_key);

  rotate("after-commit", &code);
  EXPECT_EQ(code, 70);
  const std::string next_key = ReadFile(key.string() + ".next");
  EXPECT_TRUE(found_by_phone());
  EXPECT_FALSE(fs::exists(key.string() + ".next"));
  EXPECT_EQ(ReadFile(key), next_key);
  int retired = 0;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    if (entry.path().filename().string().rfind("var.key.retired-", 0) == 0) {
      ++retired;
      EXPECT_EQ(ReadFile(entry.path()), first_key);
    }
  }
  EXPECT_EQ(retired, 1);

  const std::string out = rotate("", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("re-encrypted 1 customers"), std::string::npos) << out;
  EXPECT_NE(out.find("the old key is kept as"), std::string::npos) << out;
  EXPECT_NE(ReadFile(key), next_key);
  EXPECT_TRUE(found_by_phone());
}

}  // namespace
}  // namespace keepsake::testing
