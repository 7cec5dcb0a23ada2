// Customer service through the real server: every search path, masking per role, the audited
// reveal, tickets with their service levels and pauses, the automatic ticket of a failed job,
// the audit log and the purge (with a bytewise look at the database files afterwards).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <tuple>

#include "test_support.hpp"

namespace keepsake::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class SupportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    server_ = new ServerProcess(dir_->path() / "data", {"--job-workers", "0"});
    server_->Start();
    // four customers; three share the last four digits of their phones
    for (const auto& [ref, name, phone] :
         {std::tuple<const char*, const char*, const char*>{"sup-1", "王小明", "13800001234"},
          {"sup-2", "李娜", "13900001234"},
          {"sup-3", "张伟", "13700005678"},
          {"sup-4", "Anna Schmidt", "13600001234"}}) {
      json body = OrderBody(ref, "postcard-cn", "");
      body["customer"]["name"] = name;
      body["customer"]["phone"] = phone;
      auto res = Post("/api/v1/orders", "channel", body, {{"Idempotency-Key", ref}});
      ASSERT_EQ(res->status, 201) << res->body;
      numbers_[ref] = json::parse(res->body)["number"];
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  static httplib::Result Post(const std::string& path, const std::string& role, const json& body,
                              const httplib::Headers& extra = {}) {
    return server_->PostAs(path, role, body.dump(), extra);
  }
  static httplib::Result Get(const std::string& path, const std::string& role) {
    return server_->GetAs(path, role);
  }
  static std::vector<std::string> Refs(const std::string& query, const std::string& role = "cs") {
    auto res = Get("/api/v1/orders?" + query, role);
    EXPECT_EQ(res->status, 200) << res->body;
    const json page = json::parse(res->body);
    std::vector<std::string> refs;
    for (const json& o : page["orders"]) refs.push_back(o["channel_ref"]);
    std::sort(refs.begin(), refs.end());
    return refs;
  }
  static json OpenTicket(const json& body) {
    auto res = Post("/api/v1/tickets", "cs", body);
    EXPECT_EQ(res->status, 201) << res->body;
    return json::parse(res->body);
  }

  static inline TempDir* dir_ = nullptr;
  static inline ServerProcess* server_ = nullptr;
  static inline std::map<std::string, std::string> numbers_;
};

TEST_F(SupportTest, EverySearchPathFindsItsOrder) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Refs("number=" + numbers_["sup-2"]), V{"sup-2"});
  EXPECT_EQ(Refs("channel_ref=sup-3"), V{"sup-3"});
  EXPECT_EQ(Refs("phone=13800001234"), V{"sup-1"});
  // the last four digits alone would name two customers: with the name, one
  EXPECT_EQ(Refs("phone_last4=1234&name=" + httplib::detail::encode_query_param("李娜")),
            V{"sup-2"});
  EXPECT_EQ(Refs("phone_last4=1234&name=" + httplib::detail::encode_query_param("王小明")),
            V{"sup-1"});
  EXPECT_EQ(Refs("phone_last4=1234&name=" + httplib::detail::encode_query_param("张伟")), V{});
  // as an agent searches: the surname alone with the four digits (a Chinese name's first
  // characters, a Latin name's last word), a Latin name in any letter case
  EXPECT_EQ(Refs("phone_last4=1234&name=" + httplib::detail::encode_query_param("王")), V{"sup-1"});
  EXPECT_EQ(Refs("phone_last4=1234&name=" + httplib::detail::encode_query_param("李")), V{"sup-2"});
  EXPECT_EQ(Refs("phone_last4=1234&name=" + httplib::detail::encode_query_param("张")), V{});
  EXPECT_EQ(Refs("phone_last4=1234&name=schmidt"), V{"sup-4"});
  EXPECT_EQ(Refs("phone_last4=1234&name=anna%20schmidt"), V{"sup-4"});
  // a part of a name that is not its surname finds nobody
  EXPECT_EQ(Refs("phone_last4=1234&name=anna"), V{});
  EXPECT_EQ(Refs("phone_last4=1234&name=" + httplib::detail::encode_query_param("小明")), V{});
  EXPECT_EQ(Refs("phone_last4=1234&name=%25"), V{});  // a LIKE wildcard is only a character
  // the order number in lower case, spaced, without its leading zeros
  const std::string number = numbers_["sup-2"];
  std::string lower = number;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(Refs("number=" + lower), V{"sup-2"});
  EXPECT_EQ(Refs("number=ks%20" + std::to_string(std::stoll(number.substr(2)))), V{"sup-2"});
  const V all =
      Refs("state=placed&created_from=2000-01-01T00:00:00Z&created_to=2999-01-01T00:00:00Z");
  for (const char* ref : {"sup-1", "sup-2", "sup-3", "sup-4"}) {
    EXPECT_NE(std::find(all.begin(), all.end(), ref), all.end()) << ref;
  }
  EXPECT_EQ(Refs("state=placed&created_to=2000-01-01T00:00:00Z"), V{});
  // last four digits without the name, or not four digits: refused, naming the field
  auto alone = Get("/api/v1/orders?phone_last4=1234", "cs");
  EXPECT_EQ(alone->status, 422);
  EXPECT_EQ(json::parse(alone->body)["field"], "name");
  EXPECT_EQ(Get("/api/v1/orders?phone_last4=12a4&name=x", "cs")->status, 422);
  // a search by personal data is for customer service
  EXPECT_EQ(Get("/api/v1/orders?phone=13800001234", "modeler")->status, 403);
  EXPECT_EQ(Get("/api/v1/orders?phone=13800001234", "logistics")->status, 403);
  // and it is audited, without the values searched for
  auto audit = Get("/api/v1/audit?limit=50", "admin");
  ASSERT_EQ(audit->status, 200);
  EXPECT_NE(audit->body.find("orders.search_personal"), std::string::npos);
  EXPECT_NE(audit->body.find("phone_last4+name"), std::string::npos);
  EXPECT_EQ(audit->body.find("13800001234"), std::string::npos);
  EXPECT_EQ(audit->body.find("1234\""), std::string::npos);
}

// Role x field: the channel (which sent the data) sees it whole; every staff role sees the
// masked form (GB/T 41833-2022: family name only, six digits of the phone hidden, no street,
// unit or room).
TEST_F(SupportTest, MaskingPerRole) {
  const std::string path = "/api/v1/orders/" + numbers_["sup-1"];
  for (const char* role : {"channel", "cs", "modeler", "logistics", "production", "admin"}) {
    SCOPED_TRACE(role);
    auto res = Get(path, role);
    ASSERT_EQ(res->status, 200);
    const json c = json::parse(res->body)["customer"];
    if (std::string(role) == "channel") {
      EXPECT_EQ(c["name"], "王小明");
      EXPECT_EQ(c["phone"], "13800001234");
      EXPECT_EQ(c["address"]["street"], "文三路 90 号");
    } else if (std::string(role) == "production") {
      EXPECT_TRUE(c.is_null());  // the print room needs nothing of the customer
      EXPECT_EQ(res->body.find("王"), std::string::npos);
      EXPECT_EQ(res->body.find("杭州"), std::string::npos);
    } else {
      EXPECT_EQ(c["name"], "王**");
      EXPECT_EQ(c["phone"], "138******34");
      EXPECT_EQ(c["address"]["city"], "杭州市");
      EXPECT_EQ(res->body.find("文三路"), std::string::npos);
      EXPECT_EQ(res->body.find("502"), std::string::npos);
    }
  }
}

TEST_F(SupportTest, RevealNeedsAReasonAndAnOpenTicketAndIsAudited) {
  const std::string order = numbers_["sup-3"];
  const std::string reveal = "/api/v1/orders/" + order + "/reveal";
  const json ticket = OpenTicket({{"order", order},
                                  {"type", "query"},
                                  {"channel", "phone"},
                                  {"level", 2},
                                  {"subject", "caller asks where the card is"}});
  const json other = OpenTicket(
      {{"order", numbers_["sup-1"]}, {"type", "query"}, {"channel", "phone"}, {"subject", "x"}});
  struct Case {
    json body;
    std::string field;
  };
  const std::vector<Case> refused = {
      {{{"field", "phone"}, {"ticket", ticket["id"]}}, "reason"},
      {{{"field", "phone"}, {"ticket", ticket["id"]}, {"reason", "short"}}, "reason"},
      {{{"field", "phone"}, {"reason", "the courier needs to call the customer"}}, "ticket"},
      {{{"field", "phone"}, {"ticket", other["id"]}, {"reason", "the courier needs to call"}},
       "ticket"},
      {{{"field", "everything"}, {"ticket", ticket["id"]}, {"reason", "the courier needs to call"}},
       "field"},
      {{{"field", "phone"},
        {"ticket", ticket["id"]},
        {"reason", "customer says 13700005678 is wrong"}},
       "reason"},
  };
  for (const Case& c : refused) {
    auto res = Post(reveal, "cs", c.body);
    EXPECT_EQ(res->status, 422) << c.body.dump() << res->body;
    EXPECT_EQ(json::parse(res->body)["field"], c.field) << res->body;
  }
  EXPECT_EQ(Post(reveal, "admin", {{"field", "phone"}})->status, 403);  // reveal is CS work
  // a new phone ticket for the call is opened only with a reveal that goes through: each
  // refusal above and these leave the order's tickets as they were
  const auto tickets_of = [&] {
    return json::parse(Get("/api/v1/tickets?state=all&order=" + order, "cs")->body)["tickets"]
        .size();
  };
  const std::size_t before = tickets_of();
  for (const json& body :
       {json{{"field", "phone"}, {"ticket", {{"subject", "call"}}}, {"reason", "short"}},
        json{{"field", "nothing"},
             {"ticket", {{"subject", "call"}}},
             {"reason", "the courier needs to call"}},
        json{{"field", "phone"},
             {"ticket", {{"subject", "13700005678 called"}}},
             {"reason", "the courier needs to call"}},
        json{{"field", "phone"},
             {"ticket", {{"topic", "call"}}},
             {"reason", "the courier calls"}}}) {
    auto res = Post(reveal, "cs", body);
    EXPECT_EQ(res->status, 422) << body.dump() << res->body;
  }
  EXPECT_EQ(tickets_of(), before);
  auto with_call = Post(reveal, "cs",
                        {{"field", "name"},
                         {"ticket", {{"subject", "caller checks the name"}}},
                         {"reason", "the caller asks which name the parcel carries"}});
  ASSERT_EQ(with_call->status, 200) << with_call->body;
  EXPECT_EQ(json::parse(with_call->body)["value"], "张伟");
  EXPECT_EQ(tickets_of(), before + 1);
  const json call =
      json::parse(Get("/api/v1/tickets/" +
                          std::to_string(json::parse(with_call->body)["ticket"].get<int64_t>()),
                      "cs")
                      ->body);
  EXPECT_EQ(call["channel"], "phone");
  EXPECT_EQ(call["subject"], "caller checks the name");
  auto shown = Post(reveal, "cs",
                    {{"field", "phone"},
                     {"ticket", ticket["id"]},
                     {"reason", "the courier needs to call the customer"}});
  ASSERT_EQ(shown->status, 200) << shown->body;
  EXPECT_EQ(json::parse(shown->body)["value"], "13700005678");
  EXPECT_EQ(shown->get_header_value("Cache-Control"), "no-store");
  // the audit row: who, role, what, which order, why, when, from where; not the phone
  auto audit = json::parse(Get("/api/v1/audit?limit=20", "admin")->body)["entries"];
  const json* row = nullptr;
  for (const json& e : audit) {
    if (e["action"] == "customer.reveal") {
      row = &e;
      break;
    }
  }
  ASSERT_NE(row, nullptr);
  EXPECT_EQ((*row)["role"], "cs");
  EXPECT_EQ((*row)["detail"]["field"], "phone");
  EXPECT_EQ((*row)["detail"]["ticket"], ticket["id"]);
  EXPECT_EQ((*row)["detail"]["reason"], "the courier needs to call the customer");
  EXPECT_EQ((*row)["peer"], "127.0.0.1");
  EXPECT_FALSE((*row)["at"].get<std::string>().empty());
  EXPECT_FALSE((*row)["order"].is_null());
  auto csv = Get("/api/v1/audit/export", "admin");
  ASSERT_EQ(csv->status, 200);
  EXPECT_NE(csv->body.find("customer.reveal"), std::string::npos);
  EXPECT_EQ(csv->body.find("13700005678"), std::string::npos);
  EXPECT_EQ(Get("/api/v1/audit", "cs")->status, 403);
  // a resolved ticket no longer opens the data
  ASSERT_EQ(Post("/api/v1/tickets/" + std::to_string(ticket["id"].get<int64_t>()) + "/transitions",
                 "cs", {{"event", "resolve"}, {"reason", "told the caller"}})
                ->status,
            200);
  EXPECT_EQ(
      Post(reveal, "cs",
           {{"field", "name"}, {"ticket", ticket["id"]}, {"reason", "the courier needs the name"}})
          ->status,
      422);
}

// Actions on the order page: a new address before packing (audited, the timeline says why but
// not where), an internal note; after the order ends the address is fixed.
TEST_F(SupportTest, AddressChangesBeforePackingAndNotesGoOnTheTimeline) {
  const std::string order = "/api/v1/orders/" + numbers_["sup-1"];
  const json address = {{"province", "上海市"},
                        {"city", "上海市"},
                        {"district", "徐汇区"},
                        {"street", "漕溪北路 88 号"},
                        {"detail", "2 号楼 1201 室"}};
  auto changed =
      Post(order + "/address", "cs", {{"address", address}, {"reason", "customer moved"}});
  ASSERT_EQ(changed->status, 200) << changed->body;
  EXPECT_EQ(changed->body.find("漕溪北路"), std::string::npos);  // masked for CS
  EXPECT_NE(Get(order, "channel")->body.find("漕溪北路"), std::string::npos);
  EXPECT_EQ(
      Post(order + "/address", "cs", {{"address", {{"city", "x"}}}, {"reason", "moved"}})->status,
      422);  // province and detail are required
  auto phone_note = Post(order + "/notes", "cs", {{"note", "call 13800001234 after 6 pm"}});
  EXPECT_EQ(phone_note->status, 422);
  auto note = Post(order + "/notes", "cs", {{"note", "customer prefers calls after 6 pm"}});
  ASSERT_EQ(note->status, 201) << note->body;
  const std::string events = Get(order + "/events", "cs")->body;
  EXPECT_NE(events.find("order.address_changed"), std::string::npos);
  EXPECT_NE(events.find("customer moved"), std::string::npos);
  EXPECT_NE(events.find("customer prefers calls after 6 pm"), std::string::npos);
  EXPECT_EQ(events.find("漕溪北路"), std::string::npos);
  EXPECT_NE(Get("/api/v1/audit?limit=20", "admin")->body.find("customer.address_change"),
            std::string::npos);
  ASSERT_EQ(Post(order + "/cancel", "cs", {{"reason", "customer cancelled by phone"}})->status,
            200);
  auto late = Post(order + "/address", "cs", {{"address", address}, {"reason", "moved again"}});
  EXPECT_EQ(late->status, 409) << late->body;
}

TEST_F(SupportTest, TicketClocksFirstResponseAndPauseWhileWaitingForTheCustomer) {
  const json t = OpenTicket({{"order", numbers_["sup-2"]},
                             {"type", "complaint"},
                             {"channel", "chat"},
                             {"level", 1},
                             {"subject", "the magnet arrived cracked"},
                             {"body", "customer: it is broken"}});
  const std::string base = "/api/v1/tickets/" + std::to_string(t["id"].get<int64_t>());
  EXPECT_EQ(t["state"], "open");
  EXPECT_TRUE(t["first_response_at"].is_null());
  // due times: 5 minutes to answer, 2 hours to resolve at level 1
  EXPECT_FALSE(t["sla"]["paused"].get<bool>());
  EXPECT_GE(t["sla"]["resolution_minutes_left"].get<int>(), 119);
  EXPECT_LE(t["sla"]["resolution_minutes_left"].get<int>(), 120);
  // an internal note is not an answer; a message is
  auto note = Post(base + "/messages", "cs", {{"body", "check QC photos"}, {"internal", true}});
  EXPECT_TRUE(json::parse(note->body)["first_response_at"].is_null());
  auto answer = Post(base + "/messages", "cs", {{"body", "Sorry! Please send a photo."}});
  EXPECT_FALSE(json::parse(answer->body)["first_response_at"].is_null());
  // waiting for the customer: the resolution clock stops, its due time is unknown
  auto waiting = Post(base + "/transitions", "cs", {{"event", "wait_customer"}});
  ASSERT_EQ(waiting->status, 200) << waiting->body;
  EXPECT_TRUE(json::parse(waiting->body)["sla"]["paused"].get<bool>());
  EXPECT_TRUE(json::parse(waiting->body)["sla"]["resolution_due"].is_null());
  auto replied = Post(base + "/transitions", "channel", {{"event", "customer_replied"}});
  ASSERT_EQ(replied->status, 200) << replied->body;
  EXPECT_FALSE(json::parse(replied->body)["sla"]["resolution_due"].is_null());
  // the channel cannot resolve; an illegal event lists what is allowed
  EXPECT_EQ(Post(base + "/transitions", "channel", {{"event", "resolve"}})->status, 403);
  auto illegal = Post(base + "/transitions", "cs", {{"event", "close"}});
  EXPECT_EQ(illegal->status, 409);
  EXPECT_NE(illegal->body.find("resolve"), std::string::npos);
  // the ticket page has the whole log, and the order overview shows the ticket
  const json page = json::parse(Get(base, "cs")->body);
  std::vector<std::string> kinds;
  for (const json& e : page["log"]) kinds.push_back(e["kind"]);
  EXPECT_EQ(kinds, (std::vector<std::string>{"message", "note", "message", "state", "state"}));
  const json overview =
      json::parse(Get("/api/v1/orders/" + numbers_["sup-2"] + "/overview", "cs")->body);
  bool listed = false;
  for (const json& ticket : overview["tickets"]) listed |= ticket["id"] == t["id"];
  EXPECT_TRUE(listed);
  EXPECT_FALSE(overview["timeline"].empty());
  EXPECT_FALSE(overview["allowed_events"].empty());
  // lists: the active ones, and the ones due within the next 3 hours (level 1 is)
  auto due = json::parse(Get("/api/v1/tickets?due_within_minutes=180", "cs")->body)["tickets"];
  bool soon = false;
  for (const json& ticket : due) soon |= ticket["id"] == t["id"];
  EXPECT_TRUE(soon);
  EXPECT_EQ(Get("/api/v1/tickets?state=nonsense", "cs")->status, 422);
}

TEST_F(SupportTest, AFailedJobOpensAFaultTicketOnItsOrder) {
  // a server with workers: a GLB that is garbage fails its preparation
  TempDir dir;
  ServerProcess server(dir.path() / "data");
  server.Start();
  const std::string asset =
      UploadAsset(server, server.Token("channel"), "glTF" + std::string(4096, '\x13'));
  auto created = server.Client()->Post(
      "/api/v1/orders",
      {{"Authorization", "Bearer " + server.Token("channel")}, {"Idempotency-Key", "fault-1"}},
      OrderBody("fault-1", "figure-white", asset).dump(), "application/json");
  ASSERT_EQ(created->status, 201);
  const std::string number = json::parse(created->body)["number"];
  json tickets;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto res =
            server.Client()->Get("/api/v1/tickets?order=" + number, Bearer(server.Token("cs")));
        tickets = json::parse(res->body)["tickets"];
        return !tickets.empty();
      },
      30000));
  EXPECT_EQ(tickets[0]["type"], "fault");
  EXPECT_EQ(tickets[0]["channel"], "system");
  EXPECT_NE(tickets[0]["subject"].get<std::string>().find("failed"), std::string::npos);
}

// A claim is per item, within the window after delivery (before it only by an admin's
// override); a reprint is a new order marked as the reshipment, whose item is approved on the
// original's frozen print file (the same sha256); a refund records its amount and reference.
TEST_F(SupportTest, ClaimWindowReprintOnTheFrozenFileAndRefund) {
  TempDir dir;
  ServerProcess server(dir.path() / "data");
  server.Start();
  auto post = [&](const std::string& path, const std::string& role, const json& body) {
    return server.Client()->Post(path, Bearer(server.Token(role)), body.dump(), "application/json");
  };
  auto get = [&](const std::string& path) {
    return json::parse(server.Client()->Get(path, Bearer(server.Token("cs")))->body);
  };
  const ProducedOrder produced = ProduceMagnetOrder(server, "claim-1");
  const std::string& number = produced.number;
  const std::string& photo = produced.photo;
  const std::string& item_path = produced.item_path;
  const int64_t item = std::stoll(item_path.substr(item_path.rfind('/') + 1));
  const std::string frozen = get(item_path)["print_file"];

  // produced but not delivered: refused for CS, allowed for an admin who says why
  auto early = post("/api/v1/claims", "cs", {{"item", item}, {"reason", "print_defect"}});
  ASSERT_EQ(early->status, 422) << early->body;
  EXPECT_NE(early->body.find("has not been delivered"), std::string::npos);
  auto overridden = post("/api/v1/claims", "admin",
                         {{"item", item},
                          {"reason", "lost_parcel"},
                          {"override_reason", "courier confirmed the loss before the scan"}});
  ASSERT_EQ(overridden->status, 201) << overridden->body;

  // the parcel, delivery (with a courier's exception on the way)
  const std::string parcels = "/api/v1/orders/" + number + "/shipments";
  auto unknown = post(parcels, "logistics", {{"carrier", "pigeon"}});
  EXPECT_EQ(unknown->status, 422);
  EXPECT_NE(unknown->body.find("simulated"), std::string::npos);  // the carriers there are
  EXPECT_EQ(post(parcels, "logistics", {{"carrier", "manual"}})->status, 422);  // no number
  EXPECT_EQ(post(parcels, "logistics", {{"carrier", "manual"}, {"tracking_number", "SF 1234 5678"}})
                ->status,
            422);  // a space: Code 128 on the label could not carry it
  auto parcel = post(parcels, "logistics",
                     {{"carrier", "manual"},
                      {"tracking_number", "SF1234567890"},
                      {"weight_g", 180},
                      {"size_mm", "120x90x30"}});
  ASSERT_EQ(parcel->status, 201) << parcel->body;
  EXPECT_EQ(json::parse(parcel->body)["state"], "created");
  EXPECT_FALSE(json::parse(parcel->body)["reshipment"].get<bool>());
  EXPECT_EQ(post(parcels, "logistics", {{"carrier", "manual"}, {"tracking_number", "SF1234567890"}})
                ->status,
            422);  // the same waybill twice
  // customer service finds the order by the number on the parcel
  const json found = get("/api/v1/orders?tracking_number=SF1234567890")["orders"];
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["number"], number);
  for (const char* event : {"pack", "ship", "delivery_exception", "deliver"}) {
    auto res = post("/api/v1/orders/" + number + "/transitions", "logistics",
                    {{"event", event}, {"reason", "address closed"}});
    ASSERT_EQ(res->status, 200) << event << " " << res->body;
  }
  // the courier's exception opened a ticket by itself
  const json tickets = get("/api/v1/tickets?state=all&order=" + number)["tickets"];
  bool courier = false;
  for (const json& t : tickets) {
    courier |= t["subject"].get<std::string>().find("courier exception") != std::string::npos;
  }
  EXPECT_TRUE(courier) << tickets;
  auto bad_evidence = post("/api/v1/claims", "cs",
                           {{"item", item}, {"reason", "print_defect"}, {"evidence", {"abc"}}});
  EXPECT_EQ(bad_evidence->status, 422);
  auto opened = post("/api/v1/claims", "channel",
                     {{"item", item},
                      {"reason", "print_defect"},
                      {"description", "streaks across the face"},
                      {"evidence", {photo}}});
  ASSERT_EQ(opened->status, 201) << opened->body;
  EXPECT_EQ(json::parse(opened->body)["evidence"][0]["asset"], photo);
  const std::string claim =
      "/api/v1/claims/" + std::to_string(json::parse(opened->body)["id"].get<int64_t>());
  // the photo is decoded in the sandbox; the item itself is left as it was
  ASSERT_TRUE(WaitFor([&] { return get(claim)["evidence"][0]["check"] == "readable"; }, 30000));
  EXPECT_EQ(get(claim)["evidence"][0]["width_px"], 1024);
  EXPECT_EQ(get(item_path)["state"], "produced");
  ASSERT_EQ(post(claim + "/transitions", "cs", {{"event", "start_review"}})->status, 200);
  EXPECT_EQ(post(claim + "/transitions", "cs", {{"event", "approve_reprint"}})->status,
            422);  // a decision needs a note for the customer
  auto reprint = post(claim + "/transitions", "cs",
                      {{"event", "approve_reprint"}, {"note", "we print it again"}});
  ASSERT_EQ(reprint->status, 200) << reprint->body;
  const std::string again = json::parse(reprint->body)["reprint_order"];
  const json reship = get("/api/v1/orders/" + again);
  EXPECT_EQ(reship["channel_ref"].get<std::string>().rfind("claim-1-claim", 0), 0u);
  EXPECT_EQ(reship["items"][0]["state"], "approved");
  EXPECT_EQ(reship["items"][0]["print_file"], frozen);  // the same sha256
  // the reprint belongs to the channel that placed the original, which follows it as its own
  EXPECT_EQ(reship["channel"], "test-channel");
  EXPECT_EQ(
      server.Client()->Get("/api/v1/orders/" + again, Bearer(server.Token("channel")))->status,
      200);
  bool marked = false;
  const json events = get("/api/v1/orders/" + again + "/events");
  for (const json& e : events["events"]) {
    marked |= e["kind"] == "order.created" && e["detail"].value("reshipment_of", 0) > 0;
  }
  EXPECT_TRUE(marked) << events.dump();

  // the reprint's parcel, once produced, is a reshipment
  const std::string reship_item =
      "/api/v1/items/" + std::to_string(reship["items"][0]["id"].get<int64_t>());
  for (const char* event : {"start_production", "produced"}) {
    ASSERT_EQ(post(reship_item + "/transitions", "production", {{"event", event}})->status, 200);
  }
  auto second_parcel =
      post("/api/v1/orders/" + again + "/shipments", "logistics", {{"carrier", "simulated"}});
  ASSERT_EQ(second_parcel->status, 201) << second_parcel->body;
  EXPECT_TRUE(json::parse(second_parcel->body)["reshipment"].get<bool>());
  EXPECT_EQ(json::parse(second_parcel->body)["tracking_number"].get<std::string>().rfind("SIM", 0),
            0u);

  // the other claim: a refund needs its amount and reference
  const std::string lost =
      "/api/v1/claims/" + std::to_string(json::parse(overridden->body)["id"].get<int64_t>());
  ASSERT_EQ(post(lost + "/transitions", "cs", {{"event", "start_review"}})->status, 200);
  auto no_amount = post(lost + "/transitions", "cs", {{"event", "approve_refund"}});
  EXPECT_EQ(no_amount->status, 422);
  auto refund = post(lost + "/transitions", "cs",
                     {{"event", "approve_refund"},
                      {"refund_cents", 4900},
                      {"refund_reference", "PAY-2026-1123-01"}});
  ASSERT_EQ(refund->status, 200) << refund->body;
  EXPECT_EQ(json::parse(refund->body)["refund_cents"], 4900);
  const json overview = get("/api/v1/orders/" + number + "/overview");
  EXPECT_EQ(overview["claims"].size(), 2u);
}

// The purge through the CLI with the server stopped: the anonymous order stays, the customer's
// name and phone are nowhere in the data directory's files, byte for byte; a deletion record
// holds counts and a digest.
TEST(Purge, RemovesTheCustomerFromEveryFileAndKeepsTheOrder) {
  TempDir dir;
  const fs::path data = dir.path() / "data";
  std::string number;
  {
    ServerProcess server(data, {"--job-workers", "0"});
    server.Start();
    json body = OrderBody("purge-1", "postcard-cn", "");
    body["customer"]["name"] = "欧阳清风";
    body["customer"]["phone"] = "13566667777";
    body["items"][0]["text"] = "给欧阳清风的问候";
    auto res = server.Client()->Post(
        "/api/v1/orders",
        {{"Authorization", "Bearer " + server.Token("channel")}, {"Idempotency-Key", "purge-1"}},
        body.dump(), "application/json");
    ASSERT_EQ(res->status, 201) << res->body;
    number = json::parse(res->body)["number"];
    // a ticket whose message would repeat the phone is refused at the door; without it, kept
    json ticket_body = {{"order", number},
                        {"type", "query"},
                        {"channel", "phone"},
                        {"subject", "call back"},
                        {"body", "call back on 13566667777"}};
    auto refused = server.Client()->Post("/api/v1/tickets", Bearer(server.Token("cs")),
                                         ticket_body.dump(), "application/json");
    ASSERT_EQ(refused->status, 422) << refused->body;
    ticket_body["body"] = "call back on the number of the order";
    auto ticket = server.Client()->Post("/api/v1/tickets", Bearer(server.Token("cs")),
                                        ticket_body.dump(), "application/json");
    ASSERT_EQ(ticket->status, 201) << ticket->body;
    auto cancelled = server.Client()->Post(
        "/api/v1/orders/" + number + "/cancel", Bearer(server.Token("cs")),
        json{{"reason", "customer changed their mind"}}.dump(), "application/json");
    ASSERT_EQ(cancelled->status, 200) << cancelled->body;
    // while the server runs, the CLI refuses and says how
    int code = -1;
    const std::string busy = RunCommand(
        {KEEPSAKE_BINARY, "purge", "--data", data.string(), "--before", "2999-01-01T00:00:00Z"},
        &code, true);
    EXPECT_NE(code, 0);
    EXPECT_NE(busy.find("/api/v1/admin/purge"), std::string::npos) << busy;
  }
  int code = -1;
  const std::string out = RunCommand(
      {KEEPSAKE_BINARY, "purge", "--data", data.string(), "--before", "2999-01-01T00:00:00Z"},
      &code, true);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("purged the customer data of 1 orders"), std::string::npos) << out;
  for (const auto& entry : fs::recursive_directory_iterator(data)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const std::string secret : {"13566667777", "欧阳清风", "给欧阳"}) {
      EXPECT_EQ(bytes.find(secret), std::string::npos)
          << secret << " still in " << entry.path().filename();
    }
  }
  const std::string db = (data / "keepsake.db").string();
  EXPECT_EQ(RunCommand({"/usr/bin/sqlite3", db,
                        "SELECT count(*) FROM orders WHERE customer_id IS NULL AND number = '" +
                            number + "'"}),
            "1\n");
  EXPECT_EQ(RunCommand({"/usr/bin/sqlite3", db, "SELECT orders, customers FROM purges"}), "1|1\n");
  EXPECT_EQ(RunCommand({"/usr/bin/sqlite3", db, "PRAGMA integrity_check"}), "ok\n");
}

// A data subject's request: one customer purged by an order number (that order, and their other
// order with the same phone). The picture that another customer's order uses too stays (the
// certificate says so); its print files and the claim's photo are deleted,
// byte for byte nowhere under the data folder; the ticket's subject and the claim's words are
// gone; the certificate verifies with the shop's public key and fails when one byte changes;
// the deleted photo answers 404 from the restarted server.
// The stored files an order's jobs made (print file, previews): the sha256 names in its item's
// jobs, its picture left out.
std::vector<std::string> FilesOfOrder(ServerProcess& server, const ProducedOrder& produced) {
  const std::string item = produced.item_path.substr(produced.item_path.rfind('/') + 1);
  const std::string jobs = ItemJobs(server, item).dump();
  std::vector<std::string> files;
  for (size_t at = 0; at + 64 <= jobs.size(); ++at) {
    const std::string run = jobs.substr(at, 64);
    if (std::all_of(run.begin(), run.end(),
                    [](char c) { return std::isdigit(c) || (c >= 'a' && c <= 'f'); }) &&
        (at == 0 || !std::isxdigit(jobs[at - 1])) &&
        (at + 64 == jobs.size() || !std::isxdigit(jobs[at + 64])) && run != produced.photo) {
      files.push_back(run);
      at += 63;
    }
  }
  return files;
}

// A purge cut short after its database step (here a file that cannot be deleted: a folder
// stands where it was; a crash leaves the same state) says so, and the next purge deletes its
// files and writes its certificate as well as its own.
TEST(Purge, APurgeCutShortIsFinishedAndCertifiedByTheNext) {
  TempDir dir;
  const fs::path data = dir.path() / "data";
  ProducedOrder first;
  std::string second;
  std::vector<std::string> first_files;
  {
    ServerProcess server(data);
    server.Start();
    first = ProduceMagnetOrder(server, "purge-cut-1");
    first_files = FilesOfOrder(server, first);
    // another customer's order, with no files of the first's
    json body = OrderBody("purge-cut-2", "postcard-cn", "");
    body["customer"]["phone"] = "13700002222";
    auto placed = server.Client()->Post("/api/v1/orders",
                                        {{"Authorization", "Bearer " + server.Token("channel")},
                                         {"Idempotency-Key", "purge-cut-2"}},
                                        body.dump(), "application/json");
    ASSERT_EQ(placed->status, 201) << placed->body;
    second = json::parse(placed->body)["number"];
  }
  ASSERT_FALSE(first_files.empty());
  const fs::path stuck = data / "assets" / first_files[0].substr(0, 2) / first_files[0];
  const fs::path aside = dir.path() / "aside";
  fs::rename(stuck, aside);
  fs::create_directories(stuck / "in-the-way");
  int code = -1;
  const std::string cut = RunCommand(
      {KEEPSAKE_BINARY, "purge", "--data", data.string(), "--order", first.number}, &code, true);
  EXPECT_NE(code, 0) << cut;
  EXPECT_NE(cut.find("could not be deleted"), std::string::npos) << cut;
  EXPECT_NE(cut.find("certifies purge 1"), std::string::npos) << cut;
  EXPECT_FALSE(fs::exists(data / "purges" / "purge-1.json"));

  fs::remove_all(stuck);
  fs::rename(aside, stuck);
  const std::string next = RunCommand(
      {KEEPSAKE_BINARY, "purge", "--data", data.string(), "--order", second}, &code, true);
  ASSERT_EQ(code, 0) << next;
  EXPECT_NE(next.find("finished an earlier purge cut short"), std::string::npos) << next;
  for (const std::string& sha : first_files) {
    EXPECT_FALSE(fs::exists(data / "assets" / sha.substr(0, 2) / sha)) << sha;
  }
  const fs::path public_key = data / "keys" / "deletion-signing.pub.pem";
  for (const auto& [purge, number] : {std::pair<int, std::string>{1, first.number}, {2, second}}) {
    const fs::path certificate = data / "purges" / ("purge-" + std::to_string(purge) + ".json");
    ASSERT_TRUE(fs::exists(certificate)) << next;
    const json payload =
        json::parse(json::parse(ReadFile(certificate))["certificate"].get<std::string>());
    EXPECT_EQ(payload["purge"], purge);
    EXPECT_EQ(payload["orders"], json::array({number}));
    EXPECT_EQ(payload["scope"], "order " + number);
    const std::string verified =
        RunCommand({KEEPSAKE_BINARY, "purge", "verify", certificate.string(), "--public-key",
                    public_key.string()},
                   &code, true);
    EXPECT_EQ(code, 0) << verified;
  }
  // the first purge's certificate lists the file that was in the way
  const json first_payload = json::parse(
      json::parse(ReadFile(data / "purges" / "purge-1.json"))["certificate"].get<std::string>());
  bool listed = false;
  for (const json& f : first_payload["files_deleted"]) listed |= f["sha256"] == first_files[0];
  EXPECT_TRUE(listed) << first_payload.dump(2);
}

TEST(Purge, OneOrderTakesItsFilesAndWordsAndLeavesASignedCertificate) {
  TempDir dir;
  const fs::path data = dir.path() / "data";
  std::string number, evidence, kept_number, other_number;
  std::vector<std::string> order_files;
  std::string photo;
  const std::string evidence_bytes =
      ReadFile(TestData("images/portrait_offcentre_face_qwen_1024.png"));
  {
    ServerProcess server(data);
    server.Start();
    auto post = [&](const std::string& path, const std::string& role, const json& body) {
      return server.Client()->Post(path, Bearer(server.Token(role)), body.dump(),
                                   "application/json");
    };
    const ProducedOrder produced = ProduceMagnetOrder(server, "purge-one-1");
    number = produced.number;
    photo = produced.photo;
    // every file the order's jobs made (print file, previews)
    const std::string item = produced.item_path.substr(produced.item_path.rfind('/') + 1);
    order_files = FilesOfOrder(server, produced);
    ASSERT_FALSE(order_files.empty());
    auto ticket = post("/api/v1/tickets", "cs",
                       {{"order", number},
                        {"type", "complaint"},
                        {"channel", "phone"},
                        {"subject", "欧阳清风 wants her magnet redone"},
                        {"body", "she says the magnet cracked"}});
    ASSERT_EQ(ticket->status, 201) << ticket->body;
    evidence = UploadAsset(server, server.Token("channel"), evidence_bytes);
    auto claim = post("/api/v1/claims", "admin",
                      {{"item", std::stoll(item)},
                       {"reason", "print_defect"},
                       {"override_reason", "欧阳清风 sent a photo before the parcel arrived"},
                       {"description", "欧阳清风's magnet cracked in two"},
                       {"evidence", {evidence}}});
    ASSERT_EQ(claim->status, 201) << claim->body;
    // another customer's order with the same picture: it stays
    json body = OrderBody("purge-one-2", "postcard-cn", photo);
    body["customer"]["name"] = "李四";
    body["customer"]["phone"] = "13800001111";
    auto kept = server.Client()->Post("/api/v1/orders",
                                      {{"Authorization", "Bearer " + server.Token("channel")},
                                       {"Idempotency-Key", "purge-one-2"}},
                                      body.dump(), "application/json");
    ASSERT_EQ(kept->status, 201) << kept->body;
    kept_number = json::parse(kept->body)["number"];
    // the same customer's other order (same phone): a data subject's request takes it too
    auto other = server.Client()->Post("/api/v1/orders",
                                       {{"Authorization", "Bearer " + server.Token("channel")},
                                        {"Idempotency-Key", "purge-one-3"}},
                                       OrderBody("purge-one-3", "postcard-cn", "").dump(),
                                       "application/json");
    ASSERT_EQ(other->status, 201) << other->body;
    other_number = json::parse(other->body)["number"];
    const std::string claim_path =
        "/api/v1/claims/" + std::to_string(json::parse(claim->body)["id"].get<int64_t>());
    ASSERT_TRUE(WaitFor(
        [&] {
          auto res = server.Client()->Get(claim_path, Bearer(server.Token("cs")));
          return json::parse(res->body)["evidence"][0]["check"] == "readable";
        },
        30000));
  }
  int code = -1;
  const std::string out = RunCommand(
      {KEEPSAKE_BINARY, "purge", "--data", data.string(), "--order", number}, &code, true);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("purged the customer data of 2 orders"), std::string::npos) << out;
  EXPECT_NE(out.find("kept 1 that kept orders use too"), std::string::npos) << out;

  const std::string slice = evidence_bytes.substr(evidence_bytes.size() / 2, 256);
  for (const auto& entry : fs::recursive_directory_iterator(data)) {
    if (!entry.is_regular_file()) continue;
    const std::string bytes = ReadFile(entry.path());
    EXPECT_EQ(bytes.find(slice), std::string::npos)
        << "the claim's photo is still in " << entry.path();
    for (const std::string secret : {"欧阳清风", "cracked", "13912345678"}) {
      EXPECT_EQ(bytes.find(secret), std::string::npos)
          << secret << " still in " << entry.path().filename();
    }
  }
  const auto asset_file = [&](const std::string& sha) {
    return data / "assets" / sha.substr(0, 2) / sha;
  };
  EXPECT_TRUE(fs::exists(asset_file(photo))) << "the picture the kept order uses";
  EXPECT_FALSE(fs::exists(asset_file(evidence)));
  for (const std::string& sha : order_files) EXPECT_FALSE(fs::exists(asset_file(sha))) << sha;

  // the certificate: the order, the files, the shared picture, no personal data; signed
  const fs::path certificate = data / "purges" / "purge-1.json";
  const fs::path public_key = data / "keys" / "deletion-signing.pub.pem";
  ASSERT_TRUE(fs::exists(certificate)) << out;
  const std::string signed_text = ReadFile(certificate);
  const json payload = json::parse(json::parse(signed_text)["certificate"].get<std::string>());
  EXPECT_EQ(payload["orders"], json::array({number, other_number}));
  EXPECT_EQ(payload["files_kept_because_a_kept_order_uses_them"][0]["sha256"], photo);
  bool listed = false;
  for (const json& f : payload["files_deleted"]) listed |= f["sha256"] == evidence;
  EXPECT_TRUE(listed) << payload.dump(2);
  EXPECT_GT(payload["texts_redacted"].get<int>(), 2);
  EXPECT_EQ(signed_text.find(kept_number), std::string::npos);
  const std::string verified = RunCommand({KEEPSAKE_BINARY, "purge", "verify", certificate.string(),
                                           "--public-key", public_key.string()},
                                          &code, true);
  EXPECT_EQ(code, 0) << verified;
  EXPECT_NE(verified.find("the signature holds"), std::string::npos) << verified;
  // one byte changed in the signed text (a count), and the signature fails
  std::string forged = signed_text;
  const size_t at = forged.find("\\\"customers_deleted\\\": 2");
  ASSERT_NE(at, std::string::npos) << forged;
  forged[at + std::string("\\\"customers_deleted\\\": ").size()] = '0';
  const fs::path forged_path = dir.path() / "forged.json";
  std::ofstream(forged_path, std::ios::binary) << forged;
  const std::string refused = RunCommand({KEEPSAKE_BINARY, "purge", "verify", forged_path.string(),
                                          "--public-key", public_key.string()},
                                         &code, true);
  EXPECT_NE(code, 0);
  EXPECT_NE(refused.find("does not match"), std::string::npos) << refused;

  // the server again: the deleted photo is gone for everyone, the kept order untouched
  ServerProcess server(data);
  server.Start();
  auto gone =
      server.Client()->Get("/api/v1/assets/" + evidence + "/file", Bearer(server.Token("cs")));
  EXPECT_EQ(gone->status, 404);
  EXPECT_NE(gone->body.find("purge"), std::string::npos) << gone->body;
  auto still =
      server.Client()->Get("/api/v1/orders/" + kept_number, Bearer(server.Token("channel")));
  ASSERT_EQ(still->status, 200);
  EXPECT_EQ(json::parse(still->body)["customer"]["name"], "李四");
  EXPECT_EQ(RunCommand({"/usr/bin/sqlite3", (data / "keepsake.db").string(),
                        "SELECT files_deleted, length(certificate) > 0 FROM purges"}),
            "1|1\n");
}

}  // namespace
}  // namespace keepsake::testing

namespace keepsake::testing {
namespace {

// The monthly report on generated data: the demo seed (eight orders driven through production,
// shipping and delivery) plus tickets and a claim made here; the figures must count them.
TEST(Report, MonthlyFiguresCountWhatHappened) {
  TempDir dir;
  ServerProcess server(dir.path() / "var", {"--demo"});
  server.Start();
  auto post = [&](const std::string& path, const std::string& role, const json& body) {
    return server.Client()->Post(path, Bearer(server.Token(role)), body.dump(), "application/json");
  };
  for (int level : {2, 2}) {
    ASSERT_EQ(post("/api/v1/tickets", "cs",
                   {{"type", "complaint"},
                    {"channel", "phone"},
                    {"level", level},
                    {"subject", "late parcel"}})
                  ->status,
              201);
  }
  ASSERT_EQ(post("/api/v1/tickets", "cs",
                 {{"type", "query"}, {"channel", "chat"}, {"level", 4}, {"subject", "sizes?"}})
                ->status,
            201);
  const std::string month =
      json::parse(server.Client()
                      ->Get("/api/v1/orders?limit=1", Bearer(server.Token("cs")))
                      ->body)["orders"][0]["created_at"]
          .get<std::string>()
          .substr(0, 7);
  int code = -1;
  const std::string out =
      RunCommand({KEEPSAKE_BINARY, "report", "monthly", "--data", server.data_dir().string(),
                  "--month", month, "--out", (dir.path() / "report").string()},
                 &code, true);
  ASSERT_EQ(code, 0) << out;
  const json r = json::parse(ReadFile(dir.path() / "report" / "report.json"));
  EXPECT_EQ(r["orders"], 8);
  // demo-4 (postcard) was shipped, demo-5 (magnet) delivered: two turnarounds to shipment, one
  // to delivery, in hours (seconds, here)
  EXPECT_EQ(r["turnaround"]["placed_to_shipped"]["orders"], 2);
  EXPECT_EQ(r["turnaround"]["shipped_to_delivered"]["orders"], 1);
  EXPECT_GE(r["turnaround"]["placed_to_shipped"]["p90_hours"].get<double>(),
            r["turnaround"]["placed_to_shipped"]["p50_hours"].get<double>());
  bool shipped_postcard = false;
  for (const json& row : r["orders_by_product_state"]) {
    shipped_postcard |= row["product"] == "postcard-cn" && row["state"] == "shipped";
  }
  EXPECT_TRUE(shipped_postcard) << r["orders_by_product_state"];
  int complaints_level2 = 0;
  for (const json& row : r["tickets_by_type_level"]) {
    if (row["type"] == "complaint" && row["level"] == 2) complaints_level2 = row["count"];
  }
  EXPECT_EQ(complaints_level2, 2);
  EXPECT_EQ(r["complaints"], 2);
  EXPECT_GE(r["review"]["items_reviewed"].get<int>(), 1);
  EXPECT_FALSE(r["days"].empty());
  // the CSV and the chart
  const std::string csv = ReadFile(dir.path() / "report" / "report.csv");
  EXPECT_EQ(csv.rfind("section,key,value\n", 0), 0u);
  EXPECT_NE(csv.find("orders,total,8\n"), std::string::npos) << csv;
  const std::string png = ReadFile(dir.path() / "report" / "chart.png");
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  // the API gives the same, and refuses a month that is not one
  auto api = server.Client()->Get("/api/v1/reports/monthly?month=" + month + "&format=png",
                                  Bearer(server.Token("admin")));
  ASSERT_EQ(api->status, 200);
  EXPECT_EQ(api->get_header_value("Content-Type"), "image/png");
  EXPECT_EQ(server.Client()
                ->Get("/api/v1/reports/monthly?month=2026-13", Bearer(server.Token("admin")))
                ->status,
            422);
  EXPECT_EQ(server.Client()
                ->Get("/api/v1/reports/monthly?month=" + month, Bearer(server.Token("modeler")))
                ->status,
            403);
}

}  // namespace
// The order page shows the caller's other orders (the same phone, by its blind index) with
// their open tickets; a customer who only shares the last four digits is not among them.
TEST_F(SupportTest, TheOverviewListsTheCallersOtherOrders) {
  std::vector<std::string> mine;
  for (const char* ref : {"sup-5a", "sup-5b", "sup-5c"}) {
    json body = OrderBody(ref, "postcard-cn", "");
    body["customer"]["name"] = "赵敏";
    body["customer"]["phone"] = "13500001234";  // the same last four as sup-1, sup-2, sup-4
    auto res = Post("/api/v1/orders", "channel", body, {{"Idempotency-Key", ref}});
    ASSERT_EQ(res->status, 201) << res->body;
    mine.push_back(json::parse(res->body)["number"]);
  }
  OpenTicket({{"order", mine[1]},
              {"type", "query"},
              {"channel", "phone"},
              {"level", 3},
              {"subject", "where is my postcard"}});
  const json overview = json::parse(Get("/api/v1/orders/" + mine[0] + "/overview", "cs")->body);
  std::vector<std::string> others;
  for (const json& o : overview["other_orders"]) {
    others.push_back(o["number"]);
    EXPECT_EQ(o["open_tickets"], o["number"] == mine[1] ? 1 : 0) << o.dump();
    EXPECT_EQ(o["products"][0], "postcard-cn");
  }
  EXPECT_EQ(others, (std::vector<std::string>{mine[2], mine[1]}));  // newest first
  const json alone =
      json::parse(Get("/api/v1/orders/" + numbers_["sup-1"] + "/overview", "cs")->body);
  EXPECT_TRUE(alone["other_orders"].empty()) << alone["other_orders"].dump();
}

}  // namespace keepsake::testing
