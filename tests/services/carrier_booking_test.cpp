// Parcels booked with real carriers' protocols through the real server, against SF Express and
// Kuaidi100 on loopback: the lead books a parcel (the carrier's waybill and routing code come
// back and go on the label, read back with pdftotext and ZXing), the carriers' pushes in their
// own forms move the parcel and the order, a forged push changes nothing, a refusal and a lost
// answer leave a clear attempt and never a second booking, and a parcel is cancelled with
// its carrier. A production server offers no simulated carrier.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <ZXing/ReadBarcode.h>
#include <ZXing/TextUtfEncoding.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <regex>
#include <thread>

#include "loopback_carriers.hpp"
#include "test_support.hpp"

namespace keepsake::testing {
namespace {

using nlohmann::json;

struct CarrierServer {
  TempDir dir;
  LoopbackCarriers carriers;
  std::unique_ptr<ServerProcess> server;

  explicit CarrierServer(const std::string& check_word = LoopbackCarriers::kSfCheckWord,
                         std::vector<std::string> extra = {}, bool sf_cloud_print = false) {
    const std::string file = (dir.path() / "carriers.json").string();
    std::ofstream(file)
        << carriers.CarriersFile(check_word, "https://shop.example/k100", sf_cloud_print).dump(2);
    ::chmod(file.c_str(), 0600);
    extra.insert(extra.begin(), {"--carriers", file});
    server = std::make_unique<ServerProcess>(dir.path() / "data", extra);
    server->WithoutSimulatedCarrier();
    server->Start();
  }
  httplib::Result Post(const std::string& path, const json& body) {
    return server->Client()->Post(path, Bearer(server->Token("logistics")), body.dump(),
                                  "application/json");
  }
  json Get(const std::string& path) {
    return json::parse(server->Client()->Get(path, Bearer(server->Token("cs")))->body);
  }
  httplib::Result Push(const std::string& path, const std::string& form) {
    return server->Client()->Post(path, form, "application/x-www-form-urlencoded");
  }
};

// With KEEPSAKE_DOC_PICTURES=DIR (scripts/make-doc-pictures.sh), the parcel's label at 203 dpi
// is kept there as `name`: docs/logistics.md shows what a real booking prints.
void KeepLabelForDocs(CarrierServer& s, const json& parcel, const std::string& name) {
  const char* dir = std::getenv("KEEPSAKE_DOC_PICTURES");
  if (dir == nullptr) return;
  auto png =
      s.Post("/api/v1/labels", {{"shipments", {parcel["id"]}}, {"format", "png"}, {"dpi", 203}});
  ASSERT_EQ(png->status, 200) << png->body;
  std::ofstream(std::string(dir) + "/" + name, std::ios::binary) << png->body;
}

std::string SfPush(const std::string& waybill, const std::string& time, const std::string& op,
                   const std::string& check_word = LoopbackCarriers::kSfCheckWord) {
  const std::string data = json{{"Body",
                                 {{"WaybillRoute", json::array({{{"mailno", waybill},
                                                                 {"acceptTime", time},
                                                                 {"acceptAddress", "杭州市"},
                                                                 {"remark", "route " + op},
                                                                 {"opCode", op}}})}}}}
                               .dump();
  return FormBody({{"msgData", data},
                   {"timestamp", "1764660000000"},
                   {"msgDigest", SfDigest(data, "1764660000000", check_word)}});
}

TEST(CarrierBooking, SfParcelIsBookedLabelledAndDeliveredByItsPushes) {
  CarrierServer s;
  const json carriers = s.Get("/api/v1/carriers")["carriers"];
  std::vector<std::string> names;
  for (const json& c : carriers) names.push_back(c["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"manual", "sf", "yto", "zto"}));  // no simulated
  const ProducedOrder produced = ProduceMagnetOrder(*s.server, "sf-1");
  auto simulated =
      s.Post("/api/v1/orders/" + produced.number + "/shipments", {{"carrier", "simulated"}});
  EXPECT_EQ(simulated->status, 422);
  EXPECT_NE(simulated->body.find("demo and trial servers only"), std::string::npos);

  auto booked = s.Post("/api/v1/orders/" + produced.number + "/shipments",
                       {{"carrier", "sf"}, {"weight_g", 320}});
  ASSERT_EQ(booked->status, 201) << booked->body;
  const json parcel = json::parse(booked->body);
  const std::string waybill = parcel["tracking_number"];
  EXPECT_EQ(waybill.substr(0, 2), "SF");
  EXPECT_EQ(parcel["routing_code"], "571WT-571AB");
  EXPECT_EQ(parcel["carrier_order_id"], produced.number + "-P1");
  ASSERT_EQ(s.carriers.Orders().size(), 1u);
  EXPECT_EQ(s.carriers.Orders()[0].request["contactInfoList"][1]["mobile"], "13912345678");

  // the label: SF's routing code large, the waybill scannable, the address whole, the phone masked
  auto label =
      s.Post("/api/v1/labels", {{"shipments", {parcel["id"]}}, {"format", "png"}, {"dpi", 300}});
  ASSERT_EQ(label->status, 200) << label->body;
  const std::vector<uchar> png(label->body.begin(), label->body.end());
  cv::Mat grey = cv::imdecode(png, cv::IMREAD_GRAYSCALE);
  ASSERT_FALSE(grey.empty());
  const ZXing::ImageView view(grey.data, grey.cols, grey.rows, ZXing::ImageFormat::Lum);
  ZXing::DecodeHints hints;
  hints.setFormats(ZXing::BarcodeFormat::Code128);
  const ZXing::Result code = ZXing::ReadBarcode(view, hints);
  ASSERT_TRUE(code.isValid());
  EXPECT_EQ(ZXing::TextUtfEncoding::ToUtf8(code.text()), waybill);
  KeepLabelForDocs(s, parcel, "label-sf-100x150.png");
  auto pdf = s.Post("/api/v1/labels", {{"shipments", {parcel["id"]}}});
  ASSERT_EQ(pdf->status, 200);
  const std::string pdf_path = (s.dir.path() / "sf.pdf").string();
  std::ofstream(pdf_path, std::ios::binary) << pdf->body;
  int exit = -1;
  const std::string text =
      RunCommand({"/usr/bin/pdftotext", "-enc", "UTF-8", pdf_path, "-"}, &exit);
  EXPECT_NE(text.find("571WT-571AB"), std::string::npos) << text;
  EXPECT_NE(text.find("SF Express"), std::string::npos) << text;
  EXPECT_NE(text.find("文三路 90 号 3 幢 502 室"), std::string::npos) << text;
  EXPECT_NE(text.find("139******78"), std::string::npos) << text;
  EXPECT_EQ(text.find("13912345678"), std::string::npos);
  EXPECT_NE(text.find("1/1"), std::string::npos) << text;
  EXPECT_NE(text.find("0.32 kg"), std::string::npos) << text;

  ASSERT_EQ(
      s.Post("/api/v1/orders/" + produced.number + "/transitions", {{"event", "pack"}})->status,
      200);
  // a forged push (a guessed check word) changes nothing
  auto forged =
      s.Push("/api/v1/tracking/sf", SfPush(waybill, "2026-12-01 18:00:00", "50", "guess"));
  EXPECT_EQ(forged->status, 401);
  EXPECT_EQ(json::parse(forged->body)["return_code"], "1000");
  EXPECT_EQ(s.Get("/api/v1/orders/" + produced.number)["state"], "packed");
  // SF's pushes: picked up, then signed for; the order follows
  for (const auto& [time, op] : {std::pair<std::string, std::string>{"2026-12-01 18:00:00", "50"},
                                 {"2026-12-02 15:20:00", "80"}}) {
    auto pushed = s.Push("/api/v1/tracking/sf", SfPush(waybill, time, op));
    ASSERT_EQ(pushed->status, 200) << pushed->body;
    EXPECT_EQ(json::parse(pushed->body)["return_code"], "0000");
  }
  EXPECT_EQ(s.Get("/api/v1/orders/" + produced.number)["state"], "delivered");
  // the pushes are kept as they came, for a dispute; the log has no customer in it
  std::ifstream log(s.server->log_path());
  const std::string logged((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_EQ(logged.find("13912345678"), std::string::npos);
  EXPECT_EQ(logged.find("文三路"), std::string::npos);

  // a claim asks for the piece back: SF books the return from the customer to the shop
  const int64_t item = std::stoll(produced.item_path.substr(produced.item_path.rfind('/') + 1));
  auto claim = s.server->PostAs("/api/v1/claims", "cs",
                                json{{"item", item}, {"reason", "damaged_in_transit"}}.dump());
  ASSERT_EQ(claim->status, 201) << claim->body;
  auto back = s.server->PostAs("/api/v1/claims/" +
                                   std::to_string(json::parse(claim->body)["id"].get<int64_t>()) +
                                   "/return-parcel",
                               "logistics", json{{"carrier", "sf"}}.dump());
  ASSERT_EQ(back->status, 201) << back->body;
  EXPECT_EQ(json::parse(back->body)["carrier_order_id"], produced.number + "-R1");
  const auto booked_return = s.carriers.Orders().back();
  EXPECT_EQ(booked_return.order_id, produced.number + "-R1");
  EXPECT_EQ(booked_return.request["contactInfoList"][0]["mobile"], "13912345678");  // sends
  EXPECT_EQ(booked_return.request["contactInfoList"][1]["mobile"], "4008001234");   // receives
}

// The text of a PDF's pages (pdftotext; `page` 0 for all).
std::string PdfText(const std::filesystem::path& dir, const std::string& pdf, int page = 0) {
  const std::string path = (dir / "text-of.pdf").string();
  std::ofstream(path, std::ios::binary) << pdf;
  std::vector<std::string> args = {"/usr/bin/pdftotext", "-enc", "UTF-8"};
  if (page > 0) args.insert(args.end(), {"-f", std::to_string(page), "-l", std::to_string(page)});
  args.insert(args.end(), {path, "-"});
  int exit = -1;
  return RunCommand(args, &exit);
}

std::string FileText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(CarrierBooking, SfsOwnLabelIsKeptEncryptedAndPrintedInItsPlace) {
  CarrierServer s(LoopbackCarriers::kSfCheckWord, {}, /*sf_cloud_print=*/true);
  const ProducedOrder first = ProduceMagnetOrder(*s.server, "sf-own-1");
  const ProducedOrder second = ProduceMagnetOrder(*s.server, "sf-own-2");
  auto booked = s.Post("/api/v1/orders/" + first.number + "/shipments", {{"carrier", "sf"}});
  ASSERT_EQ(booked->status, 201) << booked->body;
  const json own = json::parse(booked->body);
  EXPECT_EQ(own["carrier_label_size"], "100x150");
  EXPECT_FALSE(own.contains("note")) << own.dump();
  EXPECT_EQ(s.carriers.Calls("COM_RECE_CLOUD_PRINT_WAYBILLS"), 1);
  EXPECT_EQ(s.carriers.Calls("cloud print file"), 1);
  // SF's file refuses its token: the parcel is booked all the same, and says ours prints
  s.carriers.RefuseNextLabelToken();
  auto drawn_here = s.Post("/api/v1/orders/" + second.number + "/shipments", {{"carrier", "sf"}});
  ASSERT_EQ(drawn_here->status, 201) << drawn_here->body;
  const json ours = json::parse(drawn_here->body);
  EXPECT_TRUE(ours["carrier_label_size"].is_null());
  EXPECT_NE(ours.value("note", "").find("own label did not come"), std::string::npos) << ours;
  EXPECT_NE(ours.value("note", "").find("token"), std::string::npos) << ours;

  // one batch: SF's page as SF drew it, then ours; the file passes qpdf's check
  auto batch = s.Post("/api/v1/labels", {{"shipments", {own["id"], ours["id"]}}});
  ASSERT_EQ(batch->status, 200) << batch->body;
  const std::string batch_path = (s.dir.path() / "batch.pdf").string();
  std::ofstream(batch_path, std::ios::binary) << batch->body;
  int exit = -1;
  const std::string checked = RunCommand({"/usr/bin/qpdf", "--check", batch_path}, &exit);
  EXPECT_EQ(exit, 0) << checked;
  const std::string info = RunCommand({"/usr/bin/pdfinfo", batch_path}, &exit);
  EXPECT_TRUE(std::regex_search(info, std::regex(R"(Pages:\s+2\n)"))) << info;
  const std::string sf_page = PdfText(s.dir.path(), batch->body, 1);
  EXPECT_NE(sf_page.find("SF CLOUD PRINT"), std::string::npos) << sf_page;
  EXPECT_NE(sf_page.find(own["tracking_number"].get<std::string>()), std::string::npos);
  EXPECT_NE(sf_page.find("139****5678"), std::string::npos) << sf_page;
  EXPECT_EQ(sf_page.find("SF Express"), std::string::npos) << "ours is not drawn too";
  const std::string our_page = PdfText(s.dir.path(), batch->body, 2);
  EXPECT_EQ(our_page.find("SF CLOUD PRINT"), std::string::npos) << our_page;
  EXPECT_NE(our_page.find(ours["tracking_number"].get<std::string>()), std::string::npos);
  EXPECT_NE(our_page.find("文三路 90 号 3 幢 502 室"), std::string::npos) << our_page;
  // a size SF did not draw (76 x 130) and a PNG are our drawing of SF's codes
  auto small = s.Post("/api/v1/labels", {{"shipments", {own["id"]}}, {"size", "76x130"}});
  ASSERT_EQ(small->status, 200);
  const std::string small_text = PdfText(s.dir.path(), small->body);
  EXPECT_EQ(small_text.find("SF CLOUD PRINT"), std::string::npos);
  EXPECT_NE(small_text.find("571WT-571AB"), std::string::npos) << small_text;

  // at rest SF's label is encrypted (it carries the address); the purge takes it
  const auto data = s.dir.path() / "data";
  for (const char* file : {"keepsake.db", "keepsake.db-wal"}) {
    EXPECT_EQ(FileText(data / file).find("SF CLOUD PRINT"), std::string::npos) << file;
  }
  auto purged =
      s.server->PostAs("/api/v1/admin/purge", "admin", json{{"order", first.number}}.dump());
  ASSERT_EQ(purged->status, 200) << purged->body;
  const json after = s.Get("/api/v1/orders/" + first.number + "/shipments")["shipments"];
  ASSERT_EQ(after.size(), 1u) << after;
  EXPECT_TRUE(after[0]["carrier_label_size"].is_null()) << after;
}

TEST(CarrierBooking, RefusalsAndALostAnswerLeaveOneBookingAndClearWords) {
  CarrierServer s;
  const ProducedOrder far =
      ProduceMagnetOrder(*s.server, "sf-far", {{"address", {{"province", "西藏自治区"}}}});
  auto refused = s.Post("/api/v1/orders/" + far.number + "/shipments", {{"carrier", "sf"}});
  ASSERT_EQ(refused->status, 422) << refused->body;
  EXPECT_EQ(json::parse(refused->body)["code"], "carrier_refused");
  EXPECT_NE(refused->body.find("service area"), std::string::npos);
  const json attempts = s.Get("/api/v1/orders/" + far.number + "/shipments");
  EXPECT_TRUE(attempts["shipments"].empty());
  ASSERT_EQ(attempts["bookings"].size(), 1u);
  EXPECT_EQ(attempts["bookings"][0]["state"], "failed");
  EXPECT_NE(attempts["bookings"][0]["reason"].get<std::string>().find("service area"),
            std::string::npos);

  // SF books the parcel, its answer comes after our 2 s: 502, then the retry finds it
  const ProducedOrder produced = ProduceMagnetOrder(*s.server, "sf-lost");
  s.carriers.LoseNextAnswer(4);
  auto lost = s.Post("/api/v1/orders/" + produced.number + "/shipments", {{"carrier", "sf"}});
  ASSERT_EQ(lost->status, 502) << lost->body;
  EXPECT_EQ(json::parse(lost->body)["code"], "carrier_unavailable");
  EXPECT_EQ(s.Get("/api/v1/orders/" + produced.number + "/shipments")["bookings"][0]["state"],
            "pending");
  auto retried = s.Post("/api/v1/orders/" + produced.number + "/shipments", {{"carrier", "sf"}});
  ASSERT_EQ(retried->status, 201) << retried->body;
  const json parcel = json::parse(retried->body);
  EXPECT_EQ(parcel["carrier_order_id"], produced.number + "-P1");
  EXPECT_EQ(parcel["attempts"], 2);
  int at_sf = 0;
  for (const auto& o : s.carriers.Orders()) at_sf += o.order_id == produced.number + "-P1";
  EXPECT_EQ(at_sf, 1);  // booked once
  EXPECT_TRUE(s.Get("/api/v1/orders/" + produced.number + "/shipments")["bookings"].empty());

  // cancelled with SF, then here; a second cancel is the table's refusal
  auto cancelled = s.Post(
      "/api/v1/shipments/" + std::to_string(parcel["id"].get<int>()) + "/cancel", json::object());
  ASSERT_EQ(cancelled->status, 200) << cancelled->body;
  EXPECT_EQ(json::parse(cancelled->body)["state"], "cancelled");
  EXPECT_TRUE(s.carriers.Orders().back().cancelled);
  EXPECT_EQ(s.Post("/api/v1/shipments/" + std::to_string(parcel["id"].get<int>()) + "/cancel",
                   json::object())
                ->status,
            409);
}

// SF pushes every waybill of the account, but a push can be lost: a parcel on its way of which
// nothing was heard for the quiet time is looked up with SF's route search by the server itself,
// and moves as the push would have moved it. A parcel not yet handed over is nobody's to ask.
TEST(CarrierBooking, AParcelWhosePushesStoppedIsLookedUpByThePoller) {
  CarrierServer s(LoopbackCarriers::kSfCheckWord,
                  {"--tracking-poll-after-s", "2", "--tracking-poll-every-s", "1"});
  const ProducedOrder produced = ProduceMagnetOrder(*s.server, "poll-1");
  auto booked = s.Post("/api/v1/orders/" + produced.number + "/shipments", {{"carrier", "sf"}});
  ASSERT_EQ(booked->status, 201) << booked->body;
  const json parcel = json::parse(booked->body);
  const std::string waybill = parcel["tracking_number"];
  const std::string id = std::to_string(parcel["id"].get<int>());
  // SF has it signed for; the push never came
  s.carriers.SetSfRoutes(waybill, json::array({{{"acceptTime", "2026-12-01 18:00:00"},
                                                {"acceptAddress", "杭州市"},
                                                {"remark", "顺丰速运 已收取快件"},
                                                {"opCode", "50"}},
                                               {{"acceptTime", "2026-12-02 15:20:00"},
                                                {"acceptAddress", "上海市"},
                                                {"remark", "已签收"},
                                                {"opCode", "80"}}}));
  std::this_thread::sleep_for(std::chrono::seconds(4));
  EXPECT_EQ(s.carriers.Calls("EXP_RECE_SEARCH_ROUTES"), 0);  // still ours: not on its way
  ASSERT_EQ(s.Post("/api/v1/labels", {{"shipments", {parcel["id"]}}})->status, 200);
  ASSERT_EQ(
      s.Post("/api/v1/orders/" + produced.number + "/transitions", {{"event", "pack"}})->status,
      200);
  auto handed = s.Post("/api/v1/shipments/" + id + "/transitions", {{"event", "hand_over"}});
  ASSERT_EQ(handed->status, 200) << handed->body;
  EXPECT_TRUE(WaitFor(
      [&] { return s.Get("/api/v1/orders/" + produced.number)["state"] == "delivered"; }, 30000));
  EXPECT_GE(s.carriers.Calls("EXP_RECE_SEARCH_ROUTES"), 1);
  EXPECT_EQ(s.Get("/api/v1/orders/" + produced.number + "/shipments")["shipments"][0]["state"],
            "delivered");
  // a delivered parcel is not asked about again
  const int calls = s.carriers.Calls("EXP_RECE_SEARCH_ROUTES");
  std::this_thread::sleep_for(std::chrono::seconds(4));
  EXPECT_EQ(s.carriers.Calls("EXP_RECE_SEARCH_ROUTES"), calls);
}

// A booking with SF can send a courier to collect the parcel (isDocall with sendStartTm, as
// SF's create-order takes them); a carrier that books no pickups is refused before it is
// called, and so is a time that is not one.
TEST(CarrierBooking, AnSfBookingCanSendACourierToCollect) {
  CarrierServer s;
  const ProducedOrder produced = ProduceMagnetOrder(*s.server, "pickup-1");
  const std::string shipments = "/api/v1/orders/" + produced.number + "/shipments";
  auto odd = s.Post(shipments, {{"carrier", "sf"}, {"pickup_at", "tomorrow afternoon"}});
  EXPECT_EQ(odd->status, 422);
  EXPECT_EQ(json::parse(odd->body)["field"], "pickup_at");
  auto zto = s.Post(shipments, {{"carrier", "zto"}, {"pickup_at", "2026-12-07 16:00"}});
  EXPECT_EQ(zto->status, 422);
  EXPECT_NE(zto->body.find("does not book pickups"), std::string::npos) << zto->body;
  EXPECT_EQ(s.carriers.Calls("order"), 0);  // Kuaidi100 was not called
  auto typed = s.Post(
      shipments,
      {{"carrier", "sf"}, {"tracking_number", "SF1234567890"}, {"pickup_at", "2026-12-07 16:00"}});
  EXPECT_EQ(typed->status, 422);
  auto booked = s.Post(shipments, {{"carrier", "sf"}, {"pickup_at", "2026-12-07T16:00"}});
  ASSERT_EQ(booked->status, 201) << booked->body;
  EXPECT_EQ(json::parse(booked->body)["pickup_at"], "2026-12-07 16:00:00");
  const json request = s.carriers.Orders().back().request;
  EXPECT_EQ(request["isDocall"], 1) << request.dump();
  EXPECT_EQ(request["sendStartTm"], "2026-12-07 16:00:00");
}

TEST(CarrierBooking, Kuaidi100ParcelIsSubscribedAndMovedByItsNativePush) {
  CarrierServer s;
  const ProducedOrder produced = ProduceMagnetOrder(*s.server, "zto-1");
  auto booked = s.Post("/api/v1/orders/" + produced.number + "/shipments", {{"carrier", "zto"}});
  ASSERT_EQ(booked->status, 201) << booked->body;
  const json parcel = json::parse(booked->body);
  EXPECT_EQ(parcel["routing_code"], "杭州转 西湖 A12");
  KeepLabelForDocs(s, parcel, "label-zto-kuaidi100-100x150.png");
  ASSERT_EQ(s.carriers.Subscriptions().size(), 1u);  // pushes arranged for the new waybill
  EXPECT_EQ(s.carriers.Subscriptions()[0]["parameters"]["callbackurl"],
            "https://shop.example/k100");
  ASSERT_EQ(
      s.Post("/api/v1/orders/" + produced.number + "/transitions", {{"event", "pack"}})->status,
      200);
  const std::string param = json{{"status", "polling"},
                                 {"lastResult",
                                  {{"state", "0"},
                                   {"com", "zhongtong"},
                                   {"nu", parcel["tracking_number"]},
                                   {"data", json::array({{{"ftime", "2026-12-02 08:00:00"},
                                                          {"context", "【杭州市】快件已到达"},
                                                          {"status", "在途"}}})}}}}
                                .dump();
  auto forged = s.Push("/api/v1/tracking/kuaidi100",
                       FormBody({{"param", param}, {"sign", Md5Upper(param + "guess")}}));
  EXPECT_EQ(forged->status, 401);
  auto pushed =
      s.Push("/api/v1/tracking/kuaidi100",
             FormBody({{"param", param}, {"sign", Md5Upper(param + LoopbackCarriers::kK100Salt)}}));
  ASSERT_EQ(pushed->status, 200) << pushed->body;
  EXPECT_EQ(json::parse(pushed->body)["returnCode"], "200");
  EXPECT_EQ(s.Get("/api/v1/orders/" + produced.number)["state"], "shipped");
  // the lead asks the courier now (Kuaidi100's real-time query): signed for
  s.carriers.SetK100Scans(
      parcel["tracking_number"],
      json::array({{{"ftime", "2026-12-03 10:00:00"}, {"context", "已签收"}, {"status", "签收"}}}),
      "3");
  auto refreshed = s.Post(
      "/api/v1/shipments/" + std::to_string(parcel["id"].get<int>()) + "/refresh", json::object());
  ASSERT_EQ(refreshed->status, 200) << refreshed->body;
  EXPECT_EQ(json::parse(refreshed->body)["state"], "delivered");
  EXPECT_EQ(s.Get("/api/v1/orders/" + produced.number)["state"], "delivered");
}

TEST(CarrierBooking, WrongCredentialsAreNamedAndAWorldReadableFileIsRefused) {
  CarrierServer s("not-the-check-word");
  const ProducedOrder produced = ProduceMagnetOrder(*s.server, "sf-cred");
  auto refused = s.Post("/api/v1/orders/" + produced.number + "/shipments", {{"carrier", "sf"}});
  ASSERT_EQ(refused->status, 502);
  EXPECT_EQ(json::parse(refused->body)["code"], "carrier_credentials");
  EXPECT_EQ(refused->body.find("not-the-check-word"), std::string::npos);

  const std::string open_file = (s.dir.path() / "open.json").string();
  std::ofstream(open_file) << s.carriers.CarriersFile().dump();
  ::chmod(open_file.c_str(), 0644);
  int exit = -1;
  const std::string said = RunCommand({KeepsakeBinary(), "serve", "--data",
                                       (s.dir.path() / "other").string(), "--carriers", open_file},
                                      &exit, true);
  EXPECT_NE(exit, 0);
  EXPECT_NE(said.find("chmod 600"), std::string::npos) << said;
}

}  // namespace
}  // namespace keepsake::testing
