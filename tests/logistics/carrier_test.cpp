// The carrier adapters against SF Express and Kuaidi100 on loopback (tests/support/
// loopback_carriers): bookings, the carriers' refusals, a lost answer retried with the same
// order id, cancellation, tracking queries, and their pushes read with the signatures checked.
#include <gtest/gtest.h>

#include "keepsake/logistics/carrier.hpp"
#include "loopback_carriers.hpp"
#include "sample_files.hpp"
#include "test_support.hpp"

namespace keepsake::logistics {
namespace {

using nlohmann::json;
using testing::LoopbackCarriers;

BookingRequest Parcel(const std::string& order_id, const std::string& province = "浙江省") {
  BookingRequest r;
  r.carrier_order_id = order_id;
  r.sender = {"Keepsake 工坊", "4008001234", "Keepsake 工坊", "上海市",
              "上海市",        "徐汇区",     "漕溪北路 88 号"};
  r.recipient = {
      "王小明", "13812345678", "", province, "杭州市", "西湖区", "文三路 90 号 3 幢 502 室"};
  r.contents = "1 x Photo magnet";
  r.weight_g = 320;
  return r;
}

Carriers Configured(const LoopbackCarriers& loopback,
                    const std::string& check_word = LoopbackCarriers::kSfCheckWord,
                    const std::string& callback = "") {
  auto carriers = MakeCarriers(false, loopback.CarriersFile(check_word, callback).dump());
  EXPECT_TRUE(carriers) << carriers.error();
  return std::move(*carriers);
}

// The loopback's digest is SF's rule (open.sf-express.com, 数字签名认证: Java's URLEncoder, a
// space as +, * kept, then MD5, then Base64) as a third implementation computes it: Python's
// urllib.parse.quote_plus(text, safe='*'), hashlib.md5, base64 gave this value, for text with
// the characters where URL encoders disagree (a space, Chinese, ! ( ) *).
TEST(Carriers, LoopbackSfDigestFollowsSfsRule) {
  EXPECT_EQ(testing::SfDigest(R"j({"contact":"王 小明","remark":"a*b!c(x)"})j", "1764660000000",
                              "sfCheck"),
            "aC9xaeAe89j/m4LzsdYqAw==");
}

TEST(Carriers, SfBooksOnceAndAnswersWithItsCodes) {
  LoopbackCarriers loopback;
  Carriers carriers = Configured(loopback);
  Carrier* sf = carriers.Find("sf");
  ASSERT_NE(sf, nullptr);
  EXPECT_EQ(carriers.Find("simulated"), nullptr);  // not on a production server
  auto booked = sf->Book(Parcel("KS26120001-P1"));
  ASSERT_TRUE(booked) << booked.error().message;
  EXPECT_TRUE(sf->CheckWaybill(booked->waybill));
  EXPECT_EQ(booked->routing_code, "571WT-571AB");  // the destination's, as SF sorts it
  EXPECT_EQ(booked->sorting_code, "F32");
  EXPECT_FALSE(booked->recovered);
  const auto orders = loopback.Orders();
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].order_id, "KS26120001-P1");
  const json& to = orders[0].request["contactInfoList"][1];
  EXPECT_EQ(to["contact"], "王小明");  // the courier's copy has the whole recipient
  EXPECT_EQ(to["address"], "文三路 90 号 3 幢 502 室");
  EXPECT_EQ(orders[0].request["totalWeight"], "0.320");
}

TEST(Carriers, SfRefusalsAreClearAndBookNothing) {
  LoopbackCarriers loopback;
  Carriers wrong = Configured(loopback, "not-the-check-word");
  auto refused = wrong.Find("sf")->Book(Parcel("KS26120002-P1"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, CarrierErrc::kUnauthorized);
  EXPECT_NE(refused.error().message.find("check_word"), std::string::npos);
  EXPECT_EQ(refused.error().message.find("not-the-check-word"), std::string::npos);  // no secret

  Carriers carriers = Configured(loopback);
  auto far = carriers.Find("sf")->Book(Parcel("KS26120003-P1", "西藏自治区"));
  ASSERT_FALSE(far);
  EXPECT_EQ(far.error().code, CarrierErrc::kRefused);
  EXPECT_NE(far.error().message.find("service area"), std::string::npos);
  BookingRequest nowhere = Parcel("KS26120004-P1");
  nowhere.recipient.address.clear();
  auto no_address = carriers.Find("sf")->Book(nowhere);
  ASSERT_FALSE(no_address);
  EXPECT_EQ(no_address.error().code, CarrierErrc::kRefused);
  EXPECT_EQ(no_address.error().carrier_code, "1010");
  EXPECT_TRUE(loopback.Orders().empty());
}

// SF booked the parcel but its answer came after our deadline: the retry sends the same order
// id, SF says "duplicate", the adapter asks what it booked: one order at SF, its waybill ours.
TEST(Carriers, SfLostAnswerIsRecoveredWithoutBookingTwice) {
  LoopbackCarriers loopback;
  Carriers carriers = Configured(loopback);
  Carrier* sf = carriers.Find("sf");
  loopback.LoseNextAnswer(4);  // the file's timeout is 2 s
  auto lost = sf->Book(Parcel("KS26120005-P1"));
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code, CarrierErrc::kUnavailable);
  EXPECT_NE(lost.error().message.find("same order id"), std::string::npos);
  auto retried = sf->Book(Parcel("KS26120005-P1"));
  ASSERT_TRUE(retried) << retried.error().message;
  EXPECT_TRUE(retried->recovered);
  ASSERT_EQ(loopback.Orders().size(), 1u);
  EXPECT_EQ(retried->waybill, loopback.Orders()[0].waybill);
  EXPECT_EQ(loopback.Calls("EXP_RECE_SEARCH_ORDER_RESP"), 1);
}

TEST(Carriers, SfsOwnLabelComesWithTheBookingOrItsAbsenceIsSaid) {
  LoopbackCarriers loopback;
  json file = loopback.CarriersFile(LoopbackCarriers::kSfCheckWord, "", /*cloud_print=*/true);
  auto carriers = MakeCarriers(false, file.dump());
  ASSERT_TRUE(carriers) << carriers.error();
  auto booked = carriers->Find("sf")->Book(Parcel("KS26120011-P1"));
  ASSERT_TRUE(booked) << booked.error().message;
  EXPECT_EQ(booked->label_pdf.substr(0, 5), "%PDF-");
  EXPECT_NE(booked->label_pdf.find(booked->waybill), std::string::npos);
  EXPECT_TRUE(booked->label_problem.empty()) << booked->label_problem;
  // a lost answer: the retry recovers the waybill and still brings SF's label
  loopback.LoseNextAnswer(4);
  ASSERT_FALSE(carriers->Find("sf")->Book(Parcel("KS26120012-P1")));
  auto recovered = carriers->Find("sf")->Book(Parcel("KS26120012-P1"));
  ASSERT_TRUE(recovered) << recovered.error().message;
  EXPECT_TRUE(recovered->recovered);
  EXPECT_NE(recovered->label_pdf.find(recovered->waybill), std::string::npos);
  // a template SF does not know: the parcel is booked, the label is ours, SF's words say why
  file["sf"]["cloud_print_template"] = "fm_150_standard_SOMEONE_ELSE";
  auto misconfigured = MakeCarriers(false, file.dump());
  ASSERT_TRUE(misconfigured) << misconfigured.error();
  auto drawn_here = misconfigured->Find("sf")->Book(Parcel("KS26120013-P1"));
  ASSERT_TRUE(drawn_here) << drawn_here.error().message;
  EXPECT_TRUE(drawn_here->label_pdf.empty());
  EXPECT_NE(drawn_here->label_problem.find("模板编码不存在"), std::string::npos)
      << drawn_here->label_problem;
  EXPECT_EQ(loopback.Calls("COM_RECE_CLOUD_PRINT_WAYBILLS"), 3);
  // not a text: refused in words when the file is read
  file["sf"]["cloud_print_template"] = 150;
  auto wrong = MakeCarriers(false, file.dump());
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().find("cloud_print_template"), std::string::npos) << wrong.error();
}

TEST(Carriers, SfCancelsTracksAndItsPushIsReadOnlyWhenSigned) {
  LoopbackCarriers loopback;
  Carriers carriers = Configured(loopback);
  Carrier* sf = carriers.Find("sf");
  auto booked = sf->Book(Parcel("KS26120006-P1"));
  ASSERT_TRUE(booked);
  loopback.SetSfRoutes(booked->waybill, json::array({{{"acceptTime", "2026-12-01 18:00:00"},
                                                      {"acceptAddress", "上海市"},
                                                      {"remark", "顺丰速运 已收取快件"},
                                                      {"opCode", "50"}},
                                                     {{"acceptTime", "2026-12-02 09:10:00"},
                                                      {"acceptAddress", "杭州市"},
                                                      {"remark", "快件交给王师傅，正在派送途中"},
                                                      {"opCode", "44"}},
                                                     {{"acceptTime", "2026-12-02 09:11:00"},
                                                      {"remark", "unknown step"},
                                                      {"opCode", "99999"}}}));
  auto scans = sf->Track(booked->waybill, "5678");
  ASSERT_TRUE(scans) << scans.error().message;
  ASSERT_EQ(scans->size(), 2u);  // the unknown operation is left out
  EXPECT_EQ((*scans)[0].status, "in_transit");
  EXPECT_EQ((*scans)[0].at, "2026-12-01T10:00:00.000Z");  // China time to UTC
  EXPECT_EQ((*scans)[1].status, "out_for_delivery");
  ASSERT_TRUE(sf->Cancel("KS26120006-P1", booked->waybill));
  EXPECT_TRUE(loopback.Orders()[0].cancelled);

  const std::string data =
      json{{"Body",
            {{"WaybillRoute", json::array({{{"mailno", booked->waybill},
                                            {"orderid", "KS26120006-P1"},
                                            {"acceptTime", "2026-12-02 15:20:00"},
                                            {"acceptAddress", "杭州市"},
                                            {"remark", "已签收"},
                                            {"opCode", "80"},
                                            {"id", "123456"}}})}}}}
          .dump();
  FormFields push{
      {"msgData", data},
      {"timestamp", "1764660000000"},
      {"msgDigest", testing::SfDigest(data, "1764660000000", LoopbackCarriers::kSfCheckWord)}};
  auto read = carriers.ReadSfPush(push);
  ASSERT_TRUE(read) << read.error().message;
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ((*read)[0].waybill, booked->waybill);
  ASSERT_EQ((*read)[0].events.size(), 1u);
  EXPECT_EQ((*read)[0].events[0].status, "delivered");
  push.find("msgDigest")->second = testing::SfDigest(data, "1764660000000", "a-guess");
  auto forged = carriers.ReadSfPush(push);
  ASSERT_FALSE(forged);
  EXPECT_EQ(forged.error().code, CarrierErrc::kUnauthorized);
}

TEST(Carriers, Kuaidi100BooksSubscribesQueriesAndReadsItsPush) {
  LoopbackCarriers loopback;
  Carriers carriers = Configured(loopback, LoopbackCarriers::kSfCheckWord,
                                 "https://shop.example/api/v1/tracking/kuaidi100");
  Carrier* zto = carriers.Find("zto");
  ASSERT_NE(zto, nullptr);
  EXPECT_EQ(carriers.Find("sto"), nullptr);  // not in the account's couriers
  auto booked = zto->Book(Parcel("KS26120007-P1"));
  ASSERT_TRUE(booked) << booked.error().message;
  EXPECT_EQ(booked->routing_code, "杭州转 西湖 A12");  // the bulkpen (大头笔)
  ASSERT_EQ(loopback.Orders().size(), 1u);
  EXPECT_EQ(loopback.Orders()[0].carrier, "zhongtong");
  EXPECT_EQ(loopback.Orders()[0].request["partnerId"], "zto-net-1");
  auto again = zto->Book(Parcel("KS26120007-P1"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, CarrierErrc::kDuplicate);
  EXPECT_EQ(loopback.Orders().size(), 1u);
  auto far = zto->Book(Parcel("KS26120008-P1", "西藏自治区"));
  ASSERT_FALSE(far);
  EXPECT_EQ(far.error().code, CarrierErrc::kRefused);

  ASSERT_TRUE(zto->Subscribe(booked->waybill, "5678"));
  ASSERT_TRUE(zto->Subscribe(booked->waybill, "5678"));  // a retry: "already subscribed" is fine
  ASSERT_EQ(loopback.Subscriptions().size(), 1u);
  EXPECT_EQ(loopback.Subscriptions()[0]["parameters"]["salt"], LoopbackCarriers::kK100Salt);

  loopback.SetK100Scans(booked->waybill,
                        json::array({{{"time", "2026-12-02 08:00:00"},
                                      {"ftime", "2026-12-02 08:00:00"},
                                      {"context", "【杭州市】快件已到达 西湖营业部"},
                                      {"status", "在途"}},
                                     {{"time", "2026-12-01 19:00:00"},
                                      {"ftime", "2026-12-01 19:00:00"},
                                      {"context", "【上海市】已揽收"},
                                      {"status", "揽收"}}}),
                        "0");
  auto scans = zto->Track(booked->waybill, "5678");
  ASSERT_TRUE(scans) << scans.error().message;
  ASSERT_EQ(scans->size(), 2u);
  EXPECT_EQ((*scans)[1].at, "2026-12-01T11:00:00.000Z");

  const std::string param = json{{"status", "polling"},
                                 {"billstatus", "got"},
                                 {"message", ""},
                                 {"lastResult",
                                  {{"message", "ok"},
                                   {"state", "3"},
                                   {"status", "200"},
                                   {"ischeck", "1"},
                                   {"com", "zhongtong"},
                                   {"nu", booked->waybill},
                                   {"data", json::array({{{"time", "2026-12-03 10:00:00"},
                                                          {"ftime", "2026-12-03 10:00:00"},
                                                          {"context", "已签收，签收人凭取货码签收"},
                                                          {"status", "签收"}}})}}}}
                                .dump();
  auto read = carriers.ReadKuaidi100Push(
      {{"param", param}, {"sign", testing::Md5Upper(param + LoopbackCarriers::kK100Salt)}});
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ((*read)[0].carrier, "zto");
  ASSERT_EQ((*read)[0].events.size(), 1u);
  EXPECT_EQ((*read)[0].events[0].status, "delivered");
  auto forged =
      carriers.ReadKuaidi100Push({{"param", param}, {"sign", testing::Md5Upper(param + "x")}});
  ASSERT_FALSE(forged);
  EXPECT_EQ(forged.error().code, CarrierErrc::kUnauthorized);
}

TEST(Carriers, ACarriersFileWithAMistakeIsRefusedInWordsWithoutItsSecrets) {
  for (const auto& [text, words] : std::vector<std::pair<std::string, std::string>>{
           {R"({"sf": {"url": "http://x", "partner_id": "p"}})", "sf.check_word"},
           {R"({"sf": {"url": "http://x", "partner_id": "p", "check_word": "s3cret",
                "timeout_s": "soon"}})",
            "wrong type"},
           {R"({"ups": {}})", "\"ups\""},
           {R"({"kuaidi100": {"label_url": "u", "poll_url": "u", "query_url": "u", "key": "k",
                "secret": "s3cret", "customer": "c", "salt": "s", "couriers": {"dhl": {}}}})",
            "kuaidi100.couriers.dhl"},
           {"[1, 2]", "not a JSON object"}}) {
    auto made = MakeCarriers(false, text);
    ASSERT_FALSE(made) << text;
    EXPECT_NE(made.error().find(words), std::string::npos) << made.error();
    EXPECT_EQ(made.error().find("s3cret"), std::string::npos) << made.error();
  }
  auto demo = MakeCarriers(true, "");
  ASSERT_TRUE(demo);
  EXPECT_EQ(demo->Names(), (std::vector<std::string>{"manual", "simulated"}));
}

// The day's last hand-over per courier comes from logistics.json; a courier without its own
// takes "default" (18:00 when the file names none); a time that is not HH:MM stops the server
// naming the field.
TEST(Carrier, CutOffTimesAreTimesOfDay) {
  keepsake::testing::TempDir dir;
  const auto with = [&](const std::string& text) {
    keepsake::testing::WriteBytes(dir.path() / "logistics.json", text);
    return CutOffTimes(dir.path().string());
  };
  auto times = with(R"({"cut_off": {"sf": "17:00"}})");
  ASSERT_TRUE(times) << times.error();
  EXPECT_EQ(times->at("sf"), "17:00");
  EXPECT_EQ(times->at("default"), "18:00");
  EXPECT_EQ(with("{}")->size(), 1u);
  for (const char* bad : {R"({"cut_off": {"sf": "25:00"}})", R"({"cut_off": {"sf": "5pm"}})",
                          R"({"cut_off": {"sf": 17}})"}) {
    auto refused = with(bad);
    ASSERT_FALSE(refused) << bad;
    EXPECT_NE(refused.error().find("cut_off.sf"), std::string::npos) << refused.error();
  }
}

}  // namespace
}  // namespace keepsake::logistics
