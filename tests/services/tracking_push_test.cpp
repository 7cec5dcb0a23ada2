// Tracking pushes through the real server: signed by the aggregator, normalised, de-duplicated,
// replayed in time order whatever order they arrive in, and the order follows its parcel to
// delivered. A bad signature, an unknown waybill, an unknown code: clear refusals, no change.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>

#include "test_support.hpp"

namespace keepsake::testing {
namespace {

using nlohmann::json;

constexpr const char* kSecret = "aggregator-secret-0123456789";

std::string Sign(const std::string& body) { return HmacSha256Hex(kSecret, body); }

TEST(TrackingPush, ShuffledDuplicatedScansDeliverTheParcelAndTheOrder) {
  TempDir dir;
  const std::string secret_file = (dir.path() / "tracking.secret").string();
  std::ofstream(secret_file) << kSecret << "\n";
  ServerProcess server(dir.path() / "data", {"--tracking-secret-file", secret_file});
  server.Start();
  auto post = [&](const std::string& path, const std::string& role, const json& body) {
    return server.Client()->Post(path, Bearer(server.Token(role)), body.dump(), "application/json");
  };
  auto get = [&](const std::string& path) {
    return json::parse(server.Client()->Get(path, Bearer(server.Token("cs")))->body);
  };
  auto push = [&](const json& body, const std::string& signature = "") {
    const std::string text = body.dump();
    return server.Client()->Post(
        "/api/v1/tracking/push",
        {{"X-Keepsake-Tracking-Signature", signature.empty() ? Sign(text) : signature}}, text,
        "application/json");
  };
  const ProducedOrder produced = ProduceMagnetOrder(server, "track-1");
  const std::string& number = produced.number;
  ASSERT_EQ(post("/api/v1/orders/" + number + "/shipments", "logistics",
                 {{"carrier", "manual"}, {"tracking_number", "YT9988776655"}})
                ->status,
            201);
  ASSERT_EQ(
      post("/api/v1/orders/" + number + "/transitions", "logistics", {{"event", "pack"}})->status,
      200);

  const json scans =
      json::array({{{"id", "k1"}, {"time", "2026-11-20T08:00:00Z"}, {"kuaidi100_state", 1}},
                   {{"id", "k2"}, {"time", "2026-11-20T20:00:00Z"}, {"kuaidi100_state", 0}},
                   {{"id", "k3"}, {"time", "2026-11-21T07:30:00Z"}, {"kuaidi100_state", 5}},
                   {{"id", "k4"}, {"time", "2026-11-21T11:00:00Z"}, {"tag", "AttemptFail"}},
                   {{"id", "k5"}, {"time", "2026-11-22T08:00:00Z"}, {"kuaidi100_state", 5}},
                   {{"id", "k6"},
                    {"time", "2026-11-22T10:15:00Z"},
                    {"kuaidi100_state", 3},
                    {"description", "已签收"}},
                   {{"id", "k7"}, {"time", "2026-11-22T09:00:00Z"}, {"tag", "InfoReceived"}}});
  auto envelope = [&](const json& events) {
    return json{{"carrier", "manual"}, {"tracking_number", "YT9988776655"}, {"events", events}};
  };
  // refusals first: nothing changes
  auto forged = push(envelope(scans), std::string(64, '0'));
  EXPECT_EQ(forged->status, 401);
  auto unknown =
      push(json{{"carrier", "manual"}, {"tracking_number", "NOPE00000000"}, {"events", scans}});
  EXPECT_EQ(unknown->status, 404);
  auto strange = push(envelope(
      json::array({{{"id", "z"}, {"time", "2026-11-20T08:00:00Z"}, {"kuaidi100_state", 42}}})));
  EXPECT_EQ(strange->status, 422);
  EXPECT_EQ(get("/api/v1/orders/" + number)["state"], "packed");

  // the scans in shuffled pushes of one to three, every scan twice, the delivery early on
  std::vector<json> all(scans.begin(), scans.end());
  all.insert(all.end(), scans.begin(), scans.end());
  std::mt19937 rng(20261123);
  std::shuffle(all.begin(), all.end(), rng);
  std::rotate(all.begin(), std::find(all.begin(), all.end(), scans[5]), all.end());
  int recorded = 0, duplicates = 0;
  for (size_t at = 0; at < all.size();) {
    const size_t n = std::min<size_t>(1 + rng() % 3, all.size() - at);
    auto res = push(envelope(json(std::vector<json>(all.begin() + at, all.begin() + at + n))));
    ASSERT_EQ(res->status, 200) << res->body;
    recorded += json::parse(res->body)["recorded"].get<int>();
    duplicates += json::parse(res->body)["duplicates"].get<int>();
    at += n;
  }
  EXPECT_EQ(recorded, 6);    // six scans with a status (InfoReceived changes nothing)
  EXPECT_EQ(duplicates, 6);  // each seen twice
  const json parcel = get("/api/v1/orders/" + number + "/shipments")["shipments"][0];
  EXPECT_EQ(parcel["state"], "delivered");
  EXPECT_EQ(get("/api/v1/orders/" + number)["state"], "delivered");  // shipped, then delivered
  // a late in_transit never undoes the delivery
  auto late = push(envelope(
      json::array({{{"id", "k9"}, {"time", "2026-11-23T09:00:00Z"}, {"kuaidi100_state", 0}}})));
  ASSERT_EQ(late->status, 200);
  EXPECT_EQ(json::parse(late->body)["shipment_state"], "delivered");
  // the timeline shows the parcel's and the order's steps, without the carrier's words
  const std::string events =
      server.Client()
          ->Get("/api/v1/orders/" + number + "/events", Bearer(server.Token("cs")))
          ->body;
  EXPECT_NE(events.find("shipment.transition"), std::string::npos);
  // and the channel is told of the parcel's steps (the outbox; no webhook URL here, so they wait)
  const std::string outbox =
      server.Client()->Get("/api/v1/webhooks?limit=200", Bearer(server.Token("admin")))->body;
  EXPECT_NE(outbox.find("\"shipment.transition\""), std::string::npos);
  EXPECT_FALSE(json::parse(outbox)["webhook_url_configured"].get<bool>());
  EXPECT_EQ(events.find("已签收"), std::string::npos);
}

// The logistics lead's own steps on a parcel (label, hand-over) follow the shipment table; the
// simulated carrier plays a parcel's journey, here one that ends in an exception, which puts
// the order in delivery_exception and opens a ticket for customer service.
TEST(TrackingPush, HandOverFollowsTheTableAndASimulatedExceptionOpensATicket) {
  TempDir dir;
  ServerProcess server(dir.path() / "data");
  server.Start();
  auto post = [&](const std::string& path, const std::string& role, const json& body) {
    return server.Client()->Post(path, Bearer(server.Token(role)), body.dump(), "application/json");
  };
  auto get = [&](const std::string& path) {
    return json::parse(server.Client()->Get(path, Bearer(server.Token("cs")))->body);
  };
  const ProducedOrder produced = ProduceMagnetOrder(server, "sim-1");
  const std::string& number = produced.number;
  auto parcel =
      post("/api/v1/orders/" + number + "/shipments", "logistics", {{"carrier", "simulated"}});
  ASSERT_EQ(parcel->status, 201);
  const std::string shipment =
      "/api/v1/shipments/" + std::to_string(json::parse(parcel->body)["id"].get<int64_t>());
  auto early = post(shipment + "/transitions", "logistics", {{"event", "hand_over"}});
  EXPECT_EQ(early->status, 409);  // the label first
  EXPECT_NE(early->body.find("print_label"), std::string::npos) << early->body;
  ASSERT_EQ(post(shipment + "/transitions", "logistics", {{"event", "print_label"}})->status, 200);
  ASSERT_EQ(post(shipment + "/transitions", "logistics", {{"event", "hand_over"}})->status, 200);
  ASSERT_EQ(
      post("/api/v1/orders/" + number + "/transitions", "logistics", {{"event", "pack"}})->status,
      200);
  auto journey = post(shipment + "/simulate", "logistics", {{"ending", "exception"}});
  ASSERT_EQ(journey->status, 200) << journey->body;
  EXPECT_EQ(json::parse(journey->body)["shipment_state"], "exception");
  EXPECT_EQ(get("/api/v1/orders/" + number)["state"], "delivery_exception");
  const json tickets = get("/api/v1/tickets?order=" + number)["tickets"];
  ASSERT_FALSE(tickets.empty());
  EXPECT_NE(tickets[0]["subject"].get<std::string>().find("courier exception"), std::string::npos);
}

// The logistics lead prints a batch: one PDF with a label per parcel, the recipient's name and
// phone masked as waybills require (pdftotext sees 139******78, never the number) and the
// address in full (a courier delivers to it), each parcel marked
// label_printed with the batch, and a second print recorded as a reprint.
TEST(Labels, ABatchIsOnePdfWithMaskedRecipientsAndMarksEachParcel) {
  TempDir dir;
  ServerProcess server(dir.path() / "data");
  server.Start();
  auto post = [&](const std::string& path, const json& body) {
    return server.Client()->Post(path, Bearer(server.Token("logistics")), body.dump(),
                                 "application/json");
  };
  const ProducedOrder produced = ProduceMagnetOrder(server, "label-1");
  std::vector<int64_t> parcels;
  for (int k = 0; k < 2; ++k) {
    auto parcel =
        post("/api/v1/orders/" + produced.number + "/shipments", {{"carrier", "simulated"}});
    ASSERT_EQ(parcel->status, 201) << parcel->body;
    parcels.push_back(json::parse(parcel->body)["id"]);
  }
  auto printed = post("/api/v1/labels", {{"shipments", parcels}, {"size", "100x150"}});
  ASSERT_EQ(printed->status, 200) << printed->body;
  EXPECT_EQ(printed->get_header_value("Content-Type"), "application/pdf");
  const std::string batch = printed->get_header_value("X-Keepsake-Batch");
  EXPECT_FALSE(batch.empty());
  const std::string pdf = (dir.path() / "labels.pdf").string();
  std::ofstream(pdf, std::ios::binary) << printed->body;
  int code = -1;
  EXPECT_NE(RunCommand({"/usr/bin/pdfinfo", pdf}, &code).find("Pages:           2"),
            std::string::npos);
  const std::string text = RunCommand({"/usr/bin/pdftotext", "-enc", "UTF-8", pdf, "-"}, &code);
  EXPECT_NE(text.find("139******78"), std::string::npos) << text;
  EXPECT_EQ(text.find("13912345678"), std::string::npos);
  // the address in full, down to the room: the courier delivers to it
  EXPECT_NE(text.find("浙江省 杭州市 西湖区 文三路 90 号 3 幢 502 室"), std::string::npos) << text;
  EXPECT_NE(text.find("测*"), std::string::npos) << text;  // the family name only
  EXPECT_EQ(text.find("测试顾客"), std::string::npos);
  EXPECT_NE(text.find("杭州 西湖"), std::string::npos);  // the route
  EXPECT_NE(text.find(produced.number), std::string::npos);
  const json shipments = json::parse(
      server.Client()
          ->Get("/api/v1/orders/" + produced.number + "/shipments", Bearer(server.Token("cs")))
          ->body)["shipments"];
  for (const json& s : shipments) EXPECT_EQ(s["state"], "label_printed");
  ASSERT_EQ(post("/api/v1/labels", {{"shipments", {parcels[0]}}})->status, 200);
  const std::string events =
      server.Client()
          ->Get("/api/v1/orders/" + produced.number + "/events", Bearer(server.Token("cs")))
          ->body;
  EXPECT_NE(events.find("label printed in batch " + batch), std::string::npos);
  EXPECT_NE(events.find("label reprinted in batch"), std::string::npos);
  EXPECT_EQ(post("/api/v1/labels", {{"shipments", {parcels[0]}}, {"size", "A4"}})->status, 422);
  // the same batch for a Zebra printer: one ^XA ... ^XZ per label, the waybill in ^BC
  auto zpl = post("/api/v1/labels", {{"shipments", parcels}, {"format", "zpl"}});
  ASSERT_EQ(zpl->status, 200) << zpl->body;
  size_t formats = 0;
  for (size_t at = 0; (at = zpl->body.find("^XA", at)) != std::string::npos; ++at) ++formats;
  EXPECT_EQ(formats, 2u);
  EXPECT_EQ(zpl->body.rfind("^XZ\n"), zpl->body.size() - 4);
  for (const json& s : shipments) {
    EXPECT_NE(zpl->body.find("^BCN,160,Y,N,N^FD" + s["tracking_number"].get<std::string>() + "^FS"),
              std::string::npos)
        << zpl->body;
  }
  EXPECT_NE(zpl->body.find("139******78"), std::string::npos);
  EXPECT_NE(zpl->body.find("文三路 90 号"), std::string::npos);
  EXPECT_EQ(zpl->body.find("13912345678"), std::string::npos);
  // the same from the command line, beside the running server
  const std::string cli = (dir.path() / "cli.pdf").string();
  const std::string said =
      RunCommand({KEEPSAKE_BINARY, "label", "render", "--data", server.data_dir().string(),
                  "--shipment", std::to_string(parcels[1]), "--size", "76x130", "--out", cli},
                 &code, true);
  ASSERT_EQ(code, 0) << said;
  EXPECT_NE(RunCommand({"/usr/bin/pdfinfo", cli}, &code).find("215.433 x 368.504 pts"),
            std::string::npos);
  EXPECT_NE(RunCommand({KEEPSAKE_BINARY, "label", "render", "--data", server.data_dir().string(),
                        "--shipment", "99999", "--out", cli},
                       &code, true)
                .find("does not exist"),
            std::string::npos);
  EXPECT_EQ(post("/api/v1/labels", {{"shipments", {99999}}})->status, 404);
}

// The lead's afternoon: the ready-to-pack queue says what is next for each order, the packing
// slip goes into the box (masked recipient, the item's picture, QC, the service phone), a
// single label as a PNG for a 300 dpi printer, and a courier exception shows among the stuck
// parcels.
TEST(Packing, QueueSlipPngLabelAndStuckParcels) {
  TempDir dir;
  ServerProcess server(dir.path() / "data");
  server.Start();
  auto post = [&](const std::string& path, const json& body) {
    return server.Client()->Post(path, Bearer(server.Token("logistics")), body.dump(),
                                 "application/json");
  };
  auto get = [&](const std::string& path, const std::string& role = "logistics") {
    return server.Client()->Get(path, Bearer(server.Token(role)));
  };
  auto queue_entry = [&](const std::string& number) {
    const json queue = json::parse(get("/api/v1/packing/queue")->body);
    for (const json& row : queue["orders"]) {
      if (row["order"] == number) return row;
    }
    return json(nullptr);
  };
  const ProducedOrder produced = ProduceMagnetOrder(server, "pack-1");
  json row = queue_entry(produced.number);
  ASSERT_TRUE(row.is_object());
  EXPECT_EQ(row["next"], "create a parcel");
  EXPECT_EQ(row["items"][0]["state"], "produced");
  EXPECT_EQ(get("/api/v1/packing/queue", "cs")->status, 200);
  EXPECT_EQ(get("/api/v1/packing/queue", "channel")->status, 403);

  auto parcel = post("/api/v1/orders/" + produced.number + "/shipments",
                     {{"carrier", "simulated"}, {"weight_g", 320}, {"size_mm", "200x150x80"}});
  ASSERT_EQ(parcel->status, 201) << parcel->body;
  const json created = json::parse(parcel->body);
  const int64_t id = created["id"];
  EXPECT_EQ(queue_entry(produced.number)["next"], "print labels");

  // the packing slip
  auto slip = post("/api/v1/packing-slips", {{"orders", {produced.number}}});
  ASSERT_EQ(slip->status, 200) << slip->body;
  EXPECT_EQ(slip->get_header_value("Content-Type"), "application/pdf");
  const std::string pdf = (dir.path() / "slip.pdf").string();
  std::ofstream(pdf, std::ios::binary) << slip->body;
  int code = -1;
  const std::string text = RunCommand({"/usr/bin/pdftotext", "-enc", "UTF-8", pdf, "-"}, &code);
  for (const std::string& expected :
       {produced.number, std::string("139******78"), std::string("QC passed"),
        std::string("冰箱贴，长方形"), std::string("400-800-1234"), std::string("320 g"),
        created["tracking_number"].get<std::string>()}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
  EXPECT_EQ(text.find("13912345678"), std::string::npos);
  const std::string images = RunCommand({"/usr/bin/pdfimages", "-list", pdf}, &code);
  EXPECT_NE(images.find(" jpeg "), std::string::npos) << images;  // the magnet's preview
  EXPECT_EQ(post("/api/v1/packing-slips", {{"orders", {"KS99999999"}}})->status, 404);
  EXPECT_EQ(post("/api/v1/packing-slips", {{"orders", json::array()}})->status, 422);
  const std::string cli = (dir.path() / "cli-slip.pdf").string();
  const std::string said =
      RunCommand({KEEPSAKE_BINARY, "packing-slip", "render", "--data", server.data_dir().string(),
                  "--order", produced.number, "--out", cli},
                 &code, true);
  ASSERT_EQ(code, 0) << said;
  EXPECT_NE(RunCommand({"/usr/bin/pdfinfo", cli}, &code).find("419.528 x 595.276 pts"),
            std::string::npos);

  // one label as a PNG at 300 dpi: 100 x 150 mm is 1181 x 1772 dots
  auto png = post("/api/v1/labels", {{"shipments", {id}}, {"format", "png"}, {"dpi", 300}});
  ASSERT_EQ(png->status, 200) << png->body;
  EXPECT_EQ(png->get_header_value("Content-Type"), "image/png");
  ASSERT_GT(png->body.size(), 24u);
  auto be32 = [&](size_t at) {
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) v = v << 8 | static_cast<unsigned char>(png->body[at + k]);
    return v;
  };
  EXPECT_EQ(png->body.substr(1, 3), "PNG");
  EXPECT_EQ(be32(16), 1181u);
  EXPECT_EQ(be32(20), 1772u);
  EXPECT_NE(png->body.find("pHYs"), std::string::npos);
  EXPECT_EQ(post("/api/v1/labels", {{"shipments", {id, id}}, {"format", "png"}})->status, 422);
  EXPECT_EQ(post("/api/v1/labels", {{"shipments", {id}}, {"format", "png"}, {"dpi", 150}})->status,
            422);

  // a fresh parcel is not stuck; a courier exception is, with its reason
  auto stuck = [&] { return json::parse(get("/api/v1/shipments/stuck")->body); };
  for (const json& s : stuck()["shipments"]) EXPECT_NE(s["id"], id);
  ASSERT_EQ(
      post("/api/v1/shipments/" + std::to_string(id) + "/transitions", {{"event", "hand_over"}})
          ->status,
      200);
  ASSERT_EQ(post("/api/v1/shipments/" + std::to_string(id) + "/simulate", {{"ending", "exception"}})
                ->status,
            200);
  const json after = stuck();
  bool listed = false;
  for (const json& s : after["shipments"]) {
    if (s["id"] == id) {
      listed = true;
      EXPECT_EQ(s["stuck"], "needs a person: exception");
      EXPECT_FALSE(s["last_scan_at"].is_null());
    }
  }
  EXPECT_TRUE(listed) << after.dump();
  EXPECT_EQ(after["by_state"]["exception"], 1);
}

}  // namespace
// The logistics lead's calls, and the packing list's next step for an order (null when the
// order is not on the list).
class Lead {
 public:
  explicit Lead(ServerProcess& server) : server_(server) {}
  httplib::Result Post(const std::string& path, const json& body) {
    return server_.PostAs(path, "logistics", body.dump());
  }
  json Get(const std::string& path) { return json::parse(server_.GetAs(path, "logistics")->body); }
  json Next(const std::string& number) {
    const json queue = Get("/api/v1/packing/queue");
    for (const json& row : queue["orders"]) {
      if (row["order"] == number) return row["next"];
    }
    return nullptr;
  }

 private:
  ServerProcess& server_;
};

// A parcel made without a weight or size takes the products' presets (a magnet: 45 g in a
// 120 x 90 x 15 mm box); the carriers come with their cut-off; the packing list's steps run
// to the end: pack, hand over (which ships the order: it leaves the list), and for an order
// whose parcels were handed over before it was packed, an explicit ship step.
TEST(Packing, PresetsCutOffAndTheStepsToShipped) {
  TempDir dir;
  ServerProcess server(dir.path() / "data");
  server.Start();
  Lead lead(server);
  const json carriers = lead.Get("/api/v1/carriers")["carriers"];
  ASSERT_FALSE(carriers.empty());
  for (const json& c : carriers) EXPECT_EQ(c["cut_off"], "18:00") << c.dump();  // the default
  const json products = lead.Get("/api/v1/products")["products"];
  EXPECT_EQ(products[0]["parcel"]["weight_g"], 260);

  // packed, then handed over: shipped, out of the list
  const ProducedOrder first = ProduceMagnetOrder(server, "preset-1");
  auto parcel =
      lead.Post("/api/v1/orders/" + first.number + "/shipments", {{"carrier", "simulated"}});
  ASSERT_EQ(parcel->status, 201) << parcel->body;
  const json made = json::parse(parcel->body);
  EXPECT_EQ(made["weight_g"], 45);
  EXPECT_EQ(made["size_mm"], "120x90x15");
  const std::string id = std::to_string(made["id"].get<int64_t>());
  ASSERT_EQ(lead.Post("/api/v1/labels", {{"shipments", {made["id"]}}})->status, 200);
  EXPECT_EQ(lead.Next(first.number), "pack");
  ASSERT_EQ(
      lead.Post("/api/v1/orders/" + first.number + "/transitions", {{"event", "pack"}})->status,
      200);
  EXPECT_EQ(lead.Next(first.number), "hand over");
  ASSERT_EQ(lead.Post("/api/v1/shipments/" + id + "/transitions", {{"event", "hand_over"}})->status,
            200);
  EXPECT_EQ(lead.Get("/api/v1/orders/" + first.number)["state"], "shipped");
  EXPECT_TRUE(lead.Next(first.number).is_null());

  // handed over first, packed after: the list asks to ship it
  const ProducedOrder second = ProduceMagnetOrder(server, "preset-2");
  parcel = lead.Post("/api/v1/orders/" + second.number + "/shipments",
                     {{"carrier", "simulated"}, {"weight_g", 300}});
  ASSERT_EQ(parcel->status, 201) << parcel->body;
  EXPECT_EQ(json::parse(parcel->body)["weight_g"], 300);  // what the lead typed wins
  const json other = json::parse(parcel->body);
  ASSERT_EQ(lead.Post("/api/v1/labels", {{"shipments", {other["id"]}}})->status, 200);
  ASSERT_EQ(
      lead.Post("/api/v1/shipments/" + std::to_string(other["id"].get<int64_t>()) + "/transitions",
                {{"event", "hand_over"}})
          ->status,
      200);
  EXPECT_EQ(lead.Get("/api/v1/orders/" + second.number)["state"], "ready_to_pack");
  ASSERT_EQ(
      lead.Post("/api/v1/orders/" + second.number + "/transitions", {{"event", "pack"}})->status,
      200);
  EXPECT_EQ(lead.Next(second.number), "ship");
  ASSERT_EQ(
      lead.Post("/api/v1/orders/" + second.number + "/transitions", {{"event", "ship"}})->status,
      200);
  EXPECT_TRUE(lead.Next(second.number).is_null());
}

// A parcel the courier gave up on is sent again: a new parcel that names the one it replaces
// (with the reason), which goes through the packing list (print, hand over); its hand-over
// takes the order back to shipped, the failed parcel leaves the stuck list, and the order is
// delivered when the new one is. A parcel is sent again once, and only a failed one.
TEST(Packing, AFailedParcelIsSentAgainAndTheOrderFollowsTheNewOne) {
  TempDir dir;
  ServerProcess server(dir.path() / "data");
  server.Start();
  Lead lead(server);
  const ProducedOrder produced = ProduceMagnetOrder(server, "reship-1");
  const std::string& number = produced.number;
  const std::string shipments = "/api/v1/orders/" + number + "/shipments";
  auto first = lead.Post(shipments, {{"carrier", "simulated"}});
  ASSERT_EQ(first->status, 201) << first->body;
  const int64_t lost = json::parse(first->body)["id"];
  ASSERT_EQ(lead.Post("/api/v1/labels", {{"shipments", {lost}}})->status, 200);
  ASSERT_EQ(lead.Post("/api/v1/orders/" + number + "/transitions", {{"event", "pack"}})->status,
            200);
  const std::string lost_path = "/api/v1/shipments/" + std::to_string(lost);
  ASSERT_EQ(lead.Post(lost_path + "/transitions", {{"event", "hand_over"}})->status, 200);
  // a parcel still travelling is not sent again
  auto early =
      lead.Post(shipments, {{"carrier", "simulated"}, {"replaces", lost}, {"reason", "x"}});
  EXPECT_EQ(early->status, 422) << early->body;
  ASSERT_EQ(lead.Post(lost_path + "/simulate", {{"ending", "exception"}})->status, 200);
  EXPECT_EQ(lead.Get("/api/v1/orders/" + number)["state"], "delivery_exception");

  auto no_reason = lead.Post(shipments, {{"carrier", "simulated"}, {"replaces", lost}});
  EXPECT_EQ(no_reason->status, 422);
  EXPECT_EQ(json::parse(no_reason->body)["field"], "reason");
  auto not_ours =
      lead.Post(shipments, {{"carrier", "simulated"}, {"replaces", 99999}, {"reason", "lost"}});
  EXPECT_EQ(not_ours->status, 422);
  EXPECT_EQ(json::parse(not_ours->body)["field"], "replaces");
  auto again = lead.Post(shipments, {{"carrier", "simulated"},
                                     {"replaces", lost},
                                     {"reason", "the courier lost it at the depot"}});
  ASSERT_EQ(again->status, 201) << again->body;
  const json sent = json::parse(again->body);
  EXPECT_EQ(sent["replaces"], lost);
  EXPECT_EQ(
      lead.Post(shipments, {{"carrier", "simulated"}, {"replaces", lost}, {"reason", "twice"}})
          ->status,
      422);

  // on the packing list until it is handed over; then the order is shipped again
  EXPECT_EQ(lead.Next(number), "print labels");
  ASSERT_EQ(lead.Post("/api/v1/labels", {{"shipments", {sent["id"]}}})->status, 200);
  EXPECT_EQ(lead.Next(number), "hand over");
  const std::string sent_path = "/api/v1/shipments/" + std::to_string(sent["id"].get<int64_t>());
  ASSERT_EQ(lead.Post(sent_path + "/transitions", {{"event", "hand_over"}})->status, 200);
  EXPECT_EQ(lead.Get("/api/v1/orders/" + number)["state"], "shipped");
  EXPECT_TRUE(lead.Next(number).is_null());
  for (const json& s : lead.Get("/api/v1/shipments/stuck")["shipments"]) EXPECT_NE(s["id"], lost);
  ASSERT_EQ(lead.Post(sent_path + "/simulate", {{"ending", "delivered"}})->status, 200);
  EXPECT_EQ(lead.Get("/api/v1/orders/" + number)["state"], "delivered");
  // the timeline says why it was sent again
  bool said = false;
  const json events = lead.Get("/api/v1/orders/" + number + "/events")["events"];
  for (const json& e : events) said |= e["reason"] == "the courier lost it at the depot";
  EXPECT_TRUE(said) << events.dump();
}

// An order of two magnets whose round one takes longer: the magnet goes ahead in a
// parcel of its own while the order is still in production (the lead chooses to send what is
// ready), the round one follows in a second parcel, and the order is shipped when the last
// parcel leaves and delivered when both have arrived. A parcel takes only produced items, each
// once; each label lists only its parcel's items.
TEST(Packing, AnOrderShipsAsItsItemsBecomeReady) {
  TempDir dir;
  ServerProcess server(dir.path() / "data");
  server.Start();
  Lead lead(server);
  const std::string photo =
      UploadAsset(server, server.Token("channel"),
                  ReadFile(TestData("images/portrait_anime_fennec_girl_1024.png")));
  json body = OrderBody("split-1", "magnet-rect", photo);
  body["items"].push_back({{"product", "magnet-round-58"}, {"asset", photo}});
  auto created =
      server.PostAs("/api/v1/orders", "channel", body.dump(), {{"Idempotency-Key", "split-1"}});
  ASSERT_EQ(created->status, 201) << created->body;
  const json order = json::parse(created->body);
  const std::string number = order["number"];
  const int64_t magnet = order["items"][0]["id"], round = order["items"][1]["id"];
  const auto item_state = [&](int64_t id) {
    return lead.Get("/api/v1/items/" + std::to_string(id))["state"];
  };
  ASSERT_TRUE(WaitFor(
      [&] { return item_state(magnet) == "approved" && item_state(round) == "approved"; }, 60000));
  // production's step on one item
  const auto step = [&](int64_t id, const char* event) {
    return server
        .PostAs("/api/v1/items/" + std::to_string(id) + "/transitions", "production",
                json{{"event", event}}.dump())
        ->status;
  };
  ASSERT_EQ(step(magnet, "start_production"), 200);
  ASSERT_EQ(step(magnet, "produced"), 200);
  ASSERT_EQ(step(round, "start_production"), 200);
  EXPECT_EQ(lead.Get("/api/v1/orders/" + number)["state"], "in_production");
  // on the list with what is ready; the lead sends the magnet ahead
  EXPECT_EQ(lead.Next(number), "send what is ready");
  const std::string shipments = "/api/v1/orders/" + number + "/shipments";
  auto whole = lead.Post(shipments, {{"carrier", "simulated"}});
  EXPECT_EQ(whole->status, 409) << whole->body;  // not the whole order: it is not made yet
  auto unmade = lead.Post(shipments, {{"carrier", "simulated"}, {"items", {round}}});
  EXPECT_EQ(unmade->status, 422);
  EXPECT_NE(unmade->body.find("only a produced item"), std::string::npos) << unmade->body;
  auto ahead = lead.Post(shipments, {{"carrier", "simulated"}, {"items", {magnet}}});
  ASSERT_EQ(ahead->status, 201) << ahead->body;
  const json first = json::parse(ahead->body);
  EXPECT_EQ(first["items"], json::array({magnet}));
  EXPECT_EQ(first["weight_g"], 45);  // the magnet's preset alone
  auto twice = lead.Post(shipments, {{"carrier", "simulated"}, {"items", {magnet}}});
  EXPECT_EQ(twice->status, 422);
  EXPECT_NE(twice->body.find("in parcel"), std::string::npos) << twice->body;
  EXPECT_EQ(lead.Next(number), "print labels");
  auto label = server.PostAs("/api/v1/labels", "logistics",
                             json{{"shipments", {first["id"]}}, {"format", "zpl"}}.dump());
  ASSERT_EQ(label->status, 200);
  EXPECT_NE(label->body.find("1 x Fridge magnet, rectangle"), std::string::npos) << label->body;
  EXPECT_EQ(label->body.find("round, flat"), std::string::npos);
  EXPECT_EQ(lead.Next(number), "hand over");
  const std::string first_path = "/api/v1/shipments/" + std::to_string(first["id"].get<int64_t>());
  ASSERT_EQ(lead.Post(first_path + "/transitions", {{"event", "hand_over"}})->status, 200);
  ASSERT_EQ(lead.Post(first_path + "/simulate", {{"ending", "delivered"}})->status, 200);
  // the magnet is home; the order waits for the rest
  EXPECT_EQ(lead.Get("/api/v1/orders/" + number)["state"], "in_production");
  EXPECT_TRUE(lead.Next(number).is_null());

  // the round magnet is made: the rest goes in the second parcel
  ASSERT_EQ(step(round, "produced"), 200);
  EXPECT_EQ(lead.Get("/api/v1/orders/" + number)["state"], "ready_to_pack");
  EXPECT_EQ(lead.Next(number), "create a parcel");
  auto rest = lead.Post(shipments, {{"carrier", "simulated"}});
  ASSERT_EQ(rest->status, 201) << rest->body;
  const json second = json::parse(rest->body);
  EXPECT_EQ(second["items"], json::array({round}));
  ASSERT_EQ(lead.Post("/api/v1/labels", {{"shipments", {second["id"]}}})->status, 200);
  EXPECT_EQ(lead.Next(number), "pack");
  ASSERT_EQ(lead.Post("/api/v1/orders/" + number + "/transitions", {{"event", "pack"}})->status,
            200);
  // the first parcel arrived long ago, the second is still on the bench: not shipped yet
  EXPECT_EQ(lead.Get("/api/v1/orders/" + number)["state"], "packed");
  const std::string second_path =
      "/api/v1/shipments/" + std::to_string(second["id"].get<int64_t>());
  ASSERT_EQ(lead.Post(second_path + "/transitions", {{"event", "hand_over"}})->status, 200);
  EXPECT_EQ(lead.Get("/api/v1/orders/" + number)["state"], "shipped");
  ASSERT_EQ(lead.Post(second_path + "/simulate", {{"ending", "delivered"}})->status, 200);
  EXPECT_EQ(lead.Get("/api/v1/orders/" + number)["state"], "delivered");
}

// A warranty claim asks for the broken piece back: a return parcel from the customer to the
// shop (its carrier order id numbered apart, -R1), carrying the claimed item, already in its
// courier's hands (the courier collects it), printed with the shop as the recipient; it
// travels as any parcel and moves neither the delivered order nor the packing list.
TEST(Packing, AClaimAsksForThePieceBackInAReturnParcel) {
  TempDir dir;
  ServerProcess server(dir.path() / "data");
  server.Start();
  Lead lead(server);
  const ProducedOrder produced = ProduceMagnetOrder(server, "return-1");
  const std::string& number = produced.number;
  const int64_t item = std::stoll(produced.item_path.substr(produced.item_path.rfind('/') + 1));
  auto out = lead.Post("/api/v1/orders/" + number + "/shipments", {{"carrier", "simulated"}});
  ASSERT_EQ(out->status, 201) << out->body;
  const json outbound = json::parse(out->body);
  const std::string out_path = "/api/v1/shipments/" + std::to_string(outbound["id"].get<int64_t>());
  ASSERT_EQ(lead.Post("/api/v1/labels", {{"shipments", {outbound["id"]}}})->status, 200);
  ASSERT_EQ(lead.Post("/api/v1/orders/" + number + "/transitions", {{"event", "pack"}})->status,
            200);
  ASSERT_EQ(lead.Post(out_path + "/transitions", {{"event", "hand_over"}})->status, 200);
  ASSERT_EQ(lead.Post(out_path + "/simulate", {{"ending", "delivered"}})->status, 200);
  ASSERT_EQ(lead.Get("/api/v1/orders/" + number)["state"], "delivered");

  auto opened = server.PostAs(
      "/api/v1/claims", "cs",
      json{{"item", item}, {"reason", "print_defect"}, {"description", "it peels at a corner"}}
          .dump());
  ASSERT_EQ(opened->status, 201) << opened->body;
  const int64_t claim = json::parse(opened->body)["id"];
  const std::string claim_path = "/api/v1/claims/" + std::to_string(claim);
  EXPECT_EQ(
      server
          .PostAs(claim_path + "/return-parcel", "channel", json{{"carrier", "simulated"}}.dump())
          ->status,
      403);
  auto back =
      server.PostAs(claim_path + "/return-parcel", "cs", json{{"carrier", "simulated"}}.dump());
  ASSERT_EQ(back->status, 201) << back->body;
  const json parcel = json::parse(back->body);
  EXPECT_EQ(parcel["claim"], claim);
  EXPECT_EQ(parcel["items"], json::array({item}));
  EXPECT_EQ(parcel["state"], "handed_over");
  EXPECT_EQ(parcel["carrier_order_id"], number + "-R1");
  // the order stays delivered and off the packing list
  EXPECT_EQ(lead.Get("/api/v1/orders/" + number)["state"], "delivered");
  EXPECT_TRUE(lead.Next(number).is_null());
  // its label: to the shop, from the customer (masked as on any waybill)
  auto label = server.PostAs("/api/v1/labels", "logistics",
                             json{{"shipments", {parcel["id"]}}, {"format", "zpl"}}.dump());
  ASSERT_EQ(label->status, 200) << label->body;
  EXPECT_NE(label->body.find("(return, claim " + std::to_string(claim) + ")"), std::string::npos)
      << label->body;
  EXPECT_NE(label->body.find("400-800-1234"), std::string::npos);  // the shop receives it
  EXPECT_NE(label->body.find("139******78"), std::string::npos);   // the customer sends it
  EXPECT_EQ(label->body.find("13912345678"), std::string::npos);
  // the courier brings it; the order does not move
  const std::string back_path = "/api/v1/shipments/" + std::to_string(parcel["id"].get<int64_t>());
  auto arrived = lead.Post(back_path + "/simulate", {{"ending", "delivered"}});
  ASSERT_EQ(arrived->status, 200) << arrived->body;
  EXPECT_EQ(json::parse(arrived->body)["shipment_state"], "delivered");
  EXPECT_EQ(lead.Get("/api/v1/orders/" + number)["state"], "delivered");
  // one the customer's courier gave a waybill for; a decided claim asks for nothing more
  auto typed =
      server.PostAs(claim_path + "/return-parcel", "cs",
                    json{{"carrier", "manual"}, {"tracking_number", "SF7788990011"}}.dump());
  ASSERT_EQ(typed->status, 201) << typed->body;
  EXPECT_EQ(json::parse(typed->body)["claim"], claim);
  ASSERT_EQ(
      server.PostAs(claim_path + "/transitions", "cs", json{{"event", "start_review"}}.dump())
          ->status,
      200);
  ASSERT_EQ(server
                .PostAs(claim_path + "/transitions", "cs",
                        json{{"event", "reject"}, {"note", "the piece is as ordered"}}.dump())
                ->status,
            200);
  auto late =
      server.PostAs(claim_path + "/return-parcel", "cs", json{{"carrier", "simulated"}}.dump());
  EXPECT_EQ(late->status, 409) << late->body;
}

}  // namespace keepsake::testing
