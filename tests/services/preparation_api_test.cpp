// Item preparation through the HTTP API: a customer's mesh or picture goes to the sandboxed
// worker and comes back as a reviewed or refused item, with the engineer's rework on the way.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "api_fixture.hpp"
#include "test_support.hpp"

namespace keepsake::testing {
namespace {

using nlohmann::json;

class PreparationApiTest : public ApiTest {};

TEST_F(PreparationApiTest, RealMeshIsPreparedInTheSandboxAndReachesReview) {
  json order = CreateOrder(OrderBody("api-mesh", "figure-white", MeshAsset(), {{"height_mm", 60}}),
                           "key-mesh");
  const std::string item = std::to_string(order["items"][0]["id"].get<int64_t>());
  ASSERT_TRUE(
      WaitFor([&] { return ItemState(*server_, item, "modeler") == "needs_review"; }, 30000));
  json jobs = ItemJobs(*server_, item, "modeler");
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["state"], "succeeded");
  EXPECT_EQ(jobs[0]["progress"], 100);
  EXPECT_EQ(jobs[0]["kind"], "prepare_mesh");
  EXPECT_TRUE(jobs[0]["result"]["printable"].get<bool>());
  EXPECT_NEAR(jobs[0]["result"]["output"]["size_mm"][2].get<double>(), 60.0, 0.3);
  // the print file is an asset of its own, downloadable by the engineer and the print room
  const std::string stl = jobs[0]["result"]["files"]["model.stl"]["asset"];
  auto file = Get("/api/v1/assets/" + stl + "/file", "production");
  ASSERT_TRUE(file);
  ASSERT_EQ(file->status, 200);
  EXPECT_EQ(file->body.size(), jobs[0]["result"]["files"]["model.stl"]["bytes"].get<size_t>());
  EXPECT_EQ(file->body.substr(0, 8), "Keepsake");
  EXPECT_EQ(Get("/api/v1/assets/" + stl + "/file", "logistics")->status, 403);
  // in the queue (other tests' items may wait there too)
  json queue = json::parse(Get("/api/v1/review/queue", "modeler")->body)["items"];
  auto mine = std::find_if(queue.begin(), queue.end(),
                           [&](const json& entry) { return entry["order"] == order["number"]; });
  ASSERT_NE(mine, queue.end());
  // how much of the customer's surface stayed where it was, from the preparation's fidelity
  EXPECT_EQ((*mine)["kept_share"], jobs[0]["result"]["fidelity"]["share_within"]);
  EXPECT_GT((*mine)["kept_share"].get<double>(), 0.9);
  // what is wrong, said in the queue (code and values; the regions stay with the item), and
  // the preview picture
  const json& findings = jobs[0]["result"]["findings"];
  ASSERT_EQ((*mine)["notices"].size(), findings.size());
  for (std::size_t k = 0; k < findings.size(); ++k) {
    EXPECT_EQ((*mine)["notices"][k]["code"], findings[k]["code"]);
    EXPECT_FALSE((*mine)["notices"][k].contains("regions"));
  }
  EXPECT_EQ((*mine)["preview"], jobs[0]["result"]["files"]["preview.png"]["asset"]);
  auto approve = Post("/api/v1/items/" + item + "/transitions", "modeler", {{"event", "approve"}});
  EXPECT_EQ(json::parse(approve->body)["state"], "approved");
  EXPECT_EQ(json::parse(approve->body)["print_file"], stl);  // frozen by its sha256
  auto not_yours =
      Post("/api/v1/items/" + item + "/transitions", "channel", {{"event", "start_production"}});
  EXPECT_EQ(not_yours->status, 403);
  EXPECT_EQ(json::parse(not_yours->body)["code"], "forbidden_transition");
}

// A full-colour figure gets its colour files and a preview; the engineer reworks it with a base
// and a new height, and the next preparation follows the tuning, which the timeline records.
TEST_F(PreparationApiTest, ReworkWithTuningReprepapresAsTheEngineerAsked) {
  json order = CreateOrder(OrderBody("api-tune", "figure-colour", MeshAsset(), {{"height_mm", 80}}),
                           "key-tune");
  const std::string item = std::to_string(order["items"][0]["id"].get<int64_t>());
  auto state = [&] { return json::parse(Get("/api/v1/items/" + item, "modeler")->body)["state"]; };
  ASSERT_TRUE(WaitFor([&] { return state() == "needs_review"; }, 30000));
  json jobs = json::parse(Get("/api/v1/items/" + item + "/jobs", "modeler")->body)["jobs"];
  ASSERT_EQ(jobs.size(), 1u);
  const json& first = jobs[0]["result"];
  EXPECT_DOUBLE_EQ(first["walls"]["min_wall_mm"].get<double>(), 2.0);  // full colour's minimum
  // the figure's texture travels: the VRML maps it, the OBJ zip carries it, each an asset
  for (const char* name : {"model.stl", "model.3mf", "model.ply", "model.wrl", "texture.png",
                           "model_obj.zip", "uvs.bin", "colour_de.bin", "preview.png"}) {
    EXPECT_TRUE(first["files"].contains(name)) << name;
    EXPECT_TRUE(first["files"][name].contains("asset")) << name;
  }
  EXPECT_TRUE(first["colour_fidelity"]["textured"].get<bool>());
  // the viewer's coordinates: two floats for each corner of each triangle of the STL
  EXPECT_EQ(first["files"]["uvs.bin"]["bytes"].get<int64_t>(),
            24 * first["repair"]["output_triangles"].get<int64_t>());
  EXPECT_LT(first["colour_fidelity"]["p95_de00"].get<double>(),
            first["colour_fidelity"]["vertex_colours_alone"]["p95_de00"].get<double>());
  auto preview =
      Get("/api/v1/assets/" + first["files"]["preview.png"]["asset"].get<std::string>() + "/file",
          "modeler");
  ASSERT_EQ(preview->status, 200);
  EXPECT_EQ(preview->get_header_value("Content-Type"), "image/png");
  EXPECT_EQ(preview->body.substr(1, 3), "PNG");

  const std::string transitions = "/api/v1/items/" + item + "/transitions";
  EXPECT_EQ(Post(transitions, "modeler", {{"event", "request_rework"}, {"reason", "base"}})->status,
            200);
  // refused tuning says what is wrong and changes nothing
  auto bad = Post(transitions, "modeler",
                  {{"event", "reprepare"}, {"tuning", {{"base_mm", 50}}}, {"reason", "x"}});
  EXPECT_EQ(bad->status, 422);
  EXPECT_NE(bad->body.find("base_mm"), std::string::npos) << bad->body;
  auto unknown =
      Post(transitions, "modeler", {{"event", "reprepare"}, {"tuning", {{"hollow", 1}}}});
  EXPECT_EQ(unknown->status, 422);
  EXPECT_EQ(state(), "rework");
  auto tuned = Post(transitions, "modeler",
                    {{"event", "reprepare"},
                     {"reason", "it tips over"},
                     {"tuning", {{"base_mm", 3}, {"height_mm", 90}, {"rotate_deg", {0, 0, 15}}}}});
  ASSERT_EQ(tuned->status, 200) << tuned->body;
  EXPECT_EQ(json::parse(tuned->body)["tuning"]["base_mm"], 3);
  ASSERT_TRUE(WaitFor([&] { return state() == "needs_review"; }, 60000));
  jobs = json::parse(Get("/api/v1/items/" + item + "/jobs", "modeler")->body)["jobs"];
  ASSERT_EQ(jobs.size(), 2u);
  const json& second = jobs[0]["id"] > jobs[1]["id"] ? jobs[0]["result"] : jobs[1]["result"];
  EXPECT_TRUE(second["printable"].get<bool>());
  EXPECT_NEAR(second["output"]["size_mm"][2].get<double>(), 90.0, 0.45);
  EXPECT_GT(second["repair"]["base_radius_mm"].get<double>(), 0);
  EXPECT_TRUE(second["output"]["closed"].get<bool>());
  EXPECT_EQ(second["output"]["self_intersections"], 0);
  json events = json::parse(
      Get("/api/v1/orders/" + std::to_string(order["id"].get<int64_t>()) + "/events", "cs")
          ->body)["events"];
  bool recorded = false;
  for (const json& e : events) {
    if (e["to"] == "preparing" && e["detail"].contains("tuning")) {
      recorded = e["detail"]["tuning"]["base_mm"] == 3 && e["actor"] != "";
    }
  }
  EXPECT_TRUE(recorded) << events.dump();

  // rework in one step from the queue: a refused height leaves the item waiting for review (it
  // was left in `rework` when rework took two requests and the second was refused)
  auto too_small = Post(transitions, "modeler",
                        {{"event", "reprepare"}, {"reason", "x"}, {"tuning", {{"height_mm", 5}}}});
  EXPECT_EQ(too_small->status, 422);
  EXPECT_NE(too_small->body.find("height_mm must be a number from 20 to 300"), std::string::npos)
      << too_small->body;
  EXPECT_EQ(state(), "needs_review");
  auto lower =
      Post(transitions, "modeler",
           {{"event", "reprepare"}, {"reason", "smaller"}, {"tuning", {{"height_mm", 80}}}});
  ASSERT_EQ(lower->status, 200) << lower->body;
  EXPECT_EQ(json::parse(lower->body)["state"], "preparing");
  ASSERT_TRUE(WaitFor([&] { return state() == "needs_review"; }, 60000));
  EXPECT_EQ(json::parse(Get("/api/v1/items/" + item + "/jobs", "modeler")->body)["jobs"].size(),
            3u);
}

// A picture sharp enough for its product passes its checks: the PDF is rendered in the sandbox
// and frozen as the print file without a reviewer (1024 px on an 80 x 53 mm magnet: 310 dpi).
// A too-small one for a postcard goes back to the customer with the numbers.
TEST_F(PreparationApiTest, PrintIsRenderedAndApprovedByItsChecks) {
  const std::string sharp =
      UploadAsset(*server_, server_->Token("channel"),
                  ReadFile(TestData("images/portrait_anime_fennec_girl_1024.png")));
  json order = CreateOrder(OrderBody("api-magnet", "magnet-rect", sharp), "key-magnet");
  const std::string item = std::to_string(order["items"][0]["id"].get<int64_t>());
  auto state = [&](const std::string& id) {
    return json::parse(Get("/api/v1/items/" + id, "cs")->body)["state"];
  };
  ASSERT_TRUE(WaitFor([&] { return state(item) == "approved"; }, 30000));
  json jobs = json::parse(Get("/api/v1/items/" + item + "/jobs", "cs")->body)["jobs"];
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["kind"], "render_print");
  const json& result = jobs[0]["result"];
  EXPECT_TRUE(result["warnings"].empty());
  const std::string pdf = result["files"]["print.pdf"]["asset"];
  EXPECT_EQ(json::parse(Get("/api/v1/items/" + item, "cs")->body)["print_file"], pdf);
  auto file = Get("/api/v1/assets/" + pdf + "/file", "production");
  ASSERT_EQ(file->status, 200);
  EXPECT_EQ(file->body.substr(0, 5), "%PDF-");

  const std::string small =
      UploadAsset(*server_, server_->Token("channel"),
                  ReadFile(TestData("images/lowres_portrait_exif_prompt_512x768.jpg")));
  json refused = CreateOrder(OrderBody("api-postcard-small", "postcard-cn", small), "key-small");
  const std::string small_item = std::to_string(refused["items"][0]["id"].get<int64_t>());
  ASSERT_TRUE(WaitFor([&] { return state(small_item) == "awaiting_customer"; }, 30000));
  jobs = json::parse(Get("/api/v1/items/" + small_item + "/jobs", "cs")->body)["jobs"];
  EXPECT_NE(jobs[0]["error"].get<std::string>().find("dpi"), std::string::npos) << jobs[0];
  EXPECT_EQ(jobs[0]["error_code"], "image.unprintable") << jobs[0];
  // a reviewer decides to print it anyway: it is rendered, with the low-resolution warning, and
  // waits in the review queue; a figure's tuning is refused for a print
  const std::string transitions = "/api/v1/items/" + small_item + "/transitions";
  auto wrong = Post(transitions, "modeler",
                    {{"event", "reprepare"}, {"tuning", {{"base_mm", 3}}}, {"reason", "x"}});
  EXPECT_EQ(wrong->status, 422) << wrong->body;
  auto accepted = Post(transitions, "modeler",
                       {{"event", "reprepare"},
                        {"reason", "customer accepts a softer print"},
                        {"tuning", {{"allow_low_dpi", true}}}});
  ASSERT_EQ(accepted->status, 200) << accepted->body;
  ASSERT_TRUE(WaitFor([&] { return state(small_item) == "needs_review"; }, 30000));
  jobs = json::parse(Get("/api/v1/items/" + small_item + "/jobs", "cs")->body)["jobs"];
  const json rendered = jobs[0]["id"] > jobs[1]["id"] ? jobs[0] : jobs[1];
  EXPECT_LT(rendered["result"]["effective_dpi"].get<double>(), 150);
  EXPECT_FALSE(rendered["result"]["warnings"].empty());
  // and crops it closer: zoom 1.5 at the top; out of range is refused
  ASSERT_EQ(Post(transitions, "modeler", {{"event", "request_rework"}, {"reason", "crop closer"}})
                ->status,
            200);
  auto too_far = Post(transitions, "modeler",
                      {{"event", "reprepare"}, {"reason", "x"}, {"tuning", {{"zoom", 9}}}});
  EXPECT_EQ(too_far->status, 422) << too_far->body;
  EXPECT_NE(too_far->body.find("zoom is 1 to 4"), std::string::npos) << too_far->body;
  auto cropped =
      Post(transitions, "modeler",
           {{"event", "reprepare"},
            {"reason", "crop closer"},
            {"tuning", {{"allow_low_dpi", true}, {"zoom", 1.5}, {"crop_offset", {0, -1}}}}});
  ASSERT_EQ(cropped->status, 200) << cropped->body;
  ASSERT_TRUE(WaitFor([&] { return state(small_item) == "needs_review"; }, 30000));
  jobs = json::parse(Get("/api/v1/items/" + small_item + "/jobs", "cs")->body)["jobs"];
  ASSERT_EQ(jobs.size(), 3u);
  json newest = jobs[0];
  for (const json& j : jobs) newest = j["id"] > newest["id"] ? j : newest;
  const json& crop = newest["result"]["crop_px"];
  EXPECT_NEAR(crop[2].get<double>(), rendered["result"]["crop_px"][2].get<double>() / 1.5, 2);
  EXPECT_EQ(crop[1], 0);  // at the top
}

// A postcard with the customer's greeting: the text goes with the order, is checked against the
// product (a magnet takes none; 140 characters at most), reaches the render job and comes out
// on the card's back (page 2). Staff see that there is a text, the channel sees the text.
TEST_F(PreparationApiTest, PostcardGreetingTravelsFromTheOrderToTheCardsBack) {
  const std::string picture =
      UploadAsset(*server_, server_->Token("channel"),
                  ReadFile(TestData("images/portrait_anime_fennec_girl_1024.png")));
  json magnet = OrderBody("api-magnet-text", "magnet-rect", picture);
  magnet["items"][0]["text"] = "生日快乐";
  auto refused = Post("/api/v1/orders", "channel", magnet, {{"Idempotency-Key", "key-mt"}});
  ASSERT_EQ(refused->status, 422) << refused->body;
  EXPECT_EQ(json::parse(refused->body)["field"], "items[0].text");
  json long_card = OrderBody("api-card-long", "postcard-cn", picture);
  std::string long_text;
  for (int i = 0; i < 15; ++i) long_text += "新年快乐，万事如意！";  // 150 characters
  long_card["items"][0]["text"] = long_text;
  auto too_long = Post("/api/v1/orders", "channel", long_card, {{"Idempotency-Key", "key-cl"}});
  ASSERT_EQ(too_long->status, 422) << too_long->body;
  EXPECT_NE(too_long->body.find("150 characters"), std::string::npos) << too_long->body;

  json card = OrderBody("api-card", "postcard-cn", picture);
  card["items"][0]["text"] = "亲爱的妈妈：\n生日快乐！Happy birthday!";
  json order = CreateOrder(card, "key-card");
  const std::string item = std::to_string(order["items"][0]["id"].get<int64_t>());
  ASSERT_TRUE(WaitFor(
      [&] {
        const json state = json::parse(Get("/api/v1/items/" + item, "cs")->body)["state"];
        return state == "approved" || state == "needs_review";
      },
      30000));
  const json seen_by_cs = json::parse(Get("/api/v1/items/" + item, "cs")->body);
  EXPECT_TRUE(seen_by_cs["has_text"].get<bool>());
  EXPECT_TRUE(seen_by_cs["text"].is_null());
  const json jobs = json::parse(Get("/api/v1/items/" + item + "/jobs", "cs")->body)["jobs"];
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["result"]["pages"], 2);
  EXPECT_EQ(jobs[0]["result"]["back"]["greeting_lines"], 2);
}

TEST_F(PreparationApiTest, BrokenFileSendsItsItemToTheCustomerWithAReason) {
  // a GLB magic followed by garbage: accepted at upload (type by magic), refused by the importer
  const std::string broken = "glTF" + std::string(4096, '\x13');
  const std::string asset = UploadAsset(*server_, server_->Token("channel"), broken);
  json order = CreateOrder(OrderBody("api-broken", "figure-white", asset), "key-broken");
  const std::string item = std::to_string(order["items"][0]["id"].get<int64_t>());
  ASSERT_TRUE(
      WaitFor([&] { return ItemState(*server_, item, "cs") == "awaiting_customer"; }, 30000));
  json jobs = ItemJobs(*server_, item, "cs");
  EXPECT_EQ(jobs[0]["state"], "failed");
  EXPECT_EQ(jobs[0]["result"], nullptr);
  // the importer's own words and code reach customer service, and the timeline says why
  EXPECT_FALSE(jobs[0]["error"].get<std::string>().empty());
  EXPECT_EQ(jobs[0]["error_code"], "mesh.unreadable") << jobs[0];
  json events = json::parse(
      Get("/api/v1/orders/" + std::to_string(order["id"].get<int64_t>()) + "/events", "cs")
          ->body)["events"];
  EXPECT_EQ(events.back()["to"], "awaiting_customer");
  EXPECT_EQ(events.back()["reason"], jobs[0]["error"]);
  // the item is on the "needs a person" list, with that reason, for agents and engineers
  for (const char* role : {"cs", "modeler"}) {
    const json waiting = json::parse(Get("/api/v1/items/waiting", role)->body);
    bool listed = false;
    for (const json& w : waiting["items"]) {
      if (std::to_string(w["id"].get<int64_t>()) != item) continue;
      listed = true;
      EXPECT_EQ(w["state"], "awaiting_customer");
      EXPECT_EQ(w["reason"], jobs[0]["error"]);
      EXPECT_EQ(w["order"], order["number"]);
    }
    EXPECT_TRUE(listed) << role << ": " << waiting.dump();
  }
  EXPECT_EQ(Get("/api/v1/items/waiting", "logistics")->status, 403);
  EXPECT_EQ(server_->Client()->Get("/healthz")->status, 200);
}

// Object level: a channel's token reaches only the orders its channel placed, with their items,
// jobs, tickets and claims; another channel's order answers exactly as a missing one. A new
// token of the same channel (same name) reaches them too: tokens rotate, channels stay.
}  // namespace
}  // namespace keepsake::testing
