// SF Express open platform (顺丰开放平台), the std/service gateway: one form POST per call
// (partnerID, requestID, serviceCode, timestamp, msgDigest, msgData), msgDigest =
// Base64(MD5(URLEncoder.encode(msgData + timestamp + checkWord, "UTF-8"))), the answer's
// apiResultCode A1000 when the gateway took it and apiResultData (a JSON string) with the
// service's own success and errorCode. Route pushes come signed the same way. With a cloud-print
// template in the carriers file, each booking also asks for SF's own label
// (COM_RECE_CLOUD_PRINT_WAYBILLS, version 2.0, synchronous: files named by a URL and a token,
// fetched with the X-Auth-token header) to be printed in place of ours.
#include <openssl/crypto.h>

#include <algorithm>
#include <optional>
#include <regex>

#include "carrier_adapters.hpp"
#include "carrier_http.hpp"
#include "keepsake/imaging/label.hpp"
#include "keepsake/orders/crypto.hpp"
#include "keepsake/orders/store.hpp"

namespace keepsake::logistics {

using nlohmann::json;
namespace http = carrier_http;

namespace {

constexpr const char* kCreateOrder = "EXP_RECE_CREATE_ORDER";
constexpr const char* kSearchOrder = "EXP_RECE_SEARCH_ORDER_RESP";
constexpr const char* kUpdateOrder = "EXP_RECE_UPDATE_ORDER";
constexpr const char* kSearchRoutes = "EXP_RECE_SEARCH_ROUTES";
constexpr const char* kCloudPrint = "COM_RECE_CLOUD_PRINT_WAYBILLS";
constexpr size_t kMaxLabelFile = 4 << 20;        // a label PDF is tens of KB
constexpr const char* kDuplicateOrder = "8016";  // 重复下单: this orderId was booked before

std::string Digest(const std::string& msg_data, const std::string& timestamp,
                   const std::string& check_word) {
  return http::Md5Base64(http::JavaUrlEncode(msg_data + timestamp + check_word));
}

json Contact(int type, const Party& p) {
  return {{"contactType", type},  {"contact", p.name},    {"mobile", p.phone},
          {"company", p.company}, {"country", "CN"},      {"province", p.province},
          {"city", p.city},       {"county", p.district}, {"address", p.address}};
}

class SfExpress : public Carrier {
 public:
  SfExpress(std::string url, std::string partner_id, std::string check_word,
            std::string monthly_card, int express_type, int timeout_s,
            std::string cloud_print_template)
      : url_(std::move(url)),
        partner_id_(std::move(partner_id)),
        check_word_(std::move(check_word)),
        monthly_card_(std::move(monthly_card)),
        cloud_print_template_(std::move(cloud_print_template)),
        express_type_(express_type),
        timeout_s_(timeout_s) {}

  std::string Name() const override { return "sf"; }
  bool BooksPickup() const override { return true; }

  CarrierResult<Booking> Book(const BookingRequest& r) override {
    json data = {
        {"language", "zh-CN"},
        {"orderId", r.carrier_order_id},
        {"cargoDetails",
         json::array({{{"name", r.contents.substr(0, 60)}, {"count", 1}, {"unit", "件"}}})},
        {"contactInfoList", json::array({Contact(1, r.sender), Contact(2, r.recipient)})},
        {"payMethod", 1},
        {"expressTypeId", express_type_},
        {"parcelQty", r.parcels},
        {"isReturnRoutelabel", 1}};
    if (!monthly_card_.empty()) data["monthlyCard"] = monthly_card_;
    if (!r.pickup_at.empty()) {  // SF sends a courier from this time (上门取件)
      data["isDocall"] = 1;
      data["sendStartTm"] = r.pickup_at;
    }
    if (r.weight_g > 0) data["totalWeight"] = http::Kilograms(r.weight_g);
    auto answer = Call(kCreateOrder, data);
    if (!answer && answer.error().carrier_code == kDuplicateOrder) {
      // an earlier attempt reached SF and its answer was lost: ask SF what it booked then
      auto found =
          Call(kSearchOrder,
               {{"orderId", r.carrier_order_id}, {"searchType", "1"}, {"language", "zh-CN"}});
      if (!found) {
        return tl::unexpected(CarrierError{CarrierErrc::kDuplicate,
                                           "SF Express already has order " + r.carrier_order_id +
                                               " and did not say its waybill (" +
                                               found.error().message + ")",
                                           kDuplicateOrder});
      }
      auto booking = ReadBooking(*found);
      if (booking) booking->recovered = true;
      return WithOwnLabel(std::move(booking));
    }
    if (!answer) return tl::unexpected(answer.error());
    return WithOwnLabel(ReadBooking(*answer));
  }

  CarrierResult<void> Cancel(const std::string& carrier_order_id,
                             const std::string& waybill) override {
    auto answer =
        Call(kUpdateOrder,
             {{"orderId", carrier_order_id},
              {"dealType", 2},
              {"waybillNoInfoList", json::array({{{"waybillType", 1}, {"waybillNo", waybill}}})}});
    if (!answer) return tl::unexpected(answer.error());
    return {};
  }

  CarrierResult<std::vector<TrackingEvent>> Track(const std::string& waybill,
                                                  const std::string& phone_last4) override {
    auto answer = Call(kSearchRoutes, {{"language", "zh-CN"},
                                       {"trackingType", 1},
                                       {"trackingNumber", json::array({waybill})},
                                       {"methodType", 1},
                                       {"checkPhoneNo", phone_last4}});
    if (!answer) return tl::unexpected(answer.error());
    std::vector<TrackingEvent> events;
    for (const json& resp : answer->value("routeResps", json::array())) {
      if (!resp.is_object() || resp.value("mailNo", "") != waybill) continue;
      for (const json& route : resp.value("routes", json::array())) {
        auto event = ScanOf(waybill, route);
        if (event) events.push_back(*event);
      }
    }
    return events;
  }

  CarrierResult<void> Subscribe(const std::string&, const std::string&) override {
    return {};  // SF pushes every waybill of the account to the address set in its console
  }

  tl::expected<void, std::string> CheckWaybill(const std::string& number) const override {
    static const std::regex sf(R"(SF\d{12,13})");
    if (!std::regex_match(number, sf)) {
      return tl::unexpected(
          std::string("an SF Express waybill is SF and 12 or 13 digits, like SF1234567890123"));
    }
    return {};
  }

  // One route of SF's (query answer or push) as a scan; nullopt for a step that changes
  // nothing or a time we cannot read.
  static std::optional<TrackingEvent> ScanOf(const std::string& waybill, const json& route) {
    if (!route.is_object()) return std::nullopt;
    auto text = [&](const char* name) {
      return route.contains(name) && route[name].is_string() ? route[name].get<std::string>()
                                                             : std::string();
    };
    const std::string op = route.contains("opCode") && route["opCode"].is_number_integer()
                               ? std::to_string(route["opCode"].get<int>())
                               : text("opCode");
    const std::string at = http::UtcFromChinaTime(text("acceptTime"));
    const auto status = StatusFromSfOpCode(op);
    if (at.empty() || !status || status->empty()) return std::nullopt;
    return TrackingEvent{http::ScanId("sf-", waybill + "|" + text("acceptTime") + "|" + op), at,
                         *status, op,
                         (text("acceptAddress") + " " + text("remark")).substr(0, 500)};
  }

 private:
  // The booking with SF's own label when cloud print is configured. A label that does not come
  // leaves the parcel booked (ours is printed) with the reason.
  CarrierResult<Booking> WithOwnLabel(CarrierResult<Booking> booking) {
    if (!booking || cloud_print_template_.empty()) return booking;
    auto label = CloudPrint(booking->waybill);
    if (label) {
      booking->label_pdf = std::move(*label);
    } else {
      booking->label_problem = "SF Express's own label did not come (" + label.error().message +
                               "); Keepsake's drawing of it will be printed";
    }
    return booking;
  }

  // SF's label for `waybill` as one PDF: the cloud-print answer's obj.files (a URL and a token
  // each, one per page or area), fetched with the token, in SF's order.
  CarrierResult<std::string> CloudPrint(const std::string& waybill) {
    auto answer = Call(kCloudPrint, {{"templateCode", cloud_print_template_},
                                     {"version", "2.0"},
                                     {"fileType", "pdf"},
                                     {"sync", true},
                                     {"documents", json::array({{{"masterWaybillNo", waybill}}})}});
    if (!answer) return tl::unexpected(answer.error());
    const json* files = nullptr;
    if (answer->contains("obj") && (*answer)["obj"].is_object() &&
        (*answer)["obj"].contains("files") && (*answer)["obj"]["files"].is_array()) {
      files = &(*answer)["obj"]["files"];
    }
    if (files == nullptr || files->empty() || files->size() > 20) {
      return tl::unexpected(
          CarrierError{CarrierErrc::kProtocol, "cloud print named no files (obj.files)", ""});
    }
    std::vector<std::string> pdfs;
    for (const json& file : *files) {
      if (!file.is_object() || !file.contains("url") || !file["url"].is_string() ||
          !file.contains("token") || !file["token"].is_string()) {
        return tl::unexpected(
            CarrierError{CarrierErrc::kProtocol, "a cloud-print file has no url or token", ""});
      }
      auto pdf = http::GetFile("SF Express", file["url"].get<std::string>(),
                               {{"X-Auth-token", file["token"].get<std::string>()}}, timeout_s_,
                               kMaxLabelFile);
      if (!pdf) return tl::unexpected(pdf.error());
      pdfs.push_back(std::move(*pdf));
    }
    if (pdfs.size() == 1) return std::move(pdfs.front());
    auto joined = imaging::JoinPdfs(pdfs);
    if (!joined) {
      return tl::unexpected(CarrierError{CarrierErrc::kProtocol, joined.error().message, ""});
    }
    return std::move(*joined);
  }

  // One call through the gateway: the service's msgData (or, for a service that answers
  // without one, such as cloud print, the service's whole answer), or why there is none.
  CarrierResult<json> Call(const std::string& service, const json& msg_data) {
    const std::string data = msg_data.dump();
    const std::string timestamp = std::to_string(orders::NowUnixMs());
    auto answer = http::PostForJson("SF Express", url_,
                                    {{"partnerID", partner_id_},
                                     {"requestID", orders::RandomHex(16)},
                                     {"serviceCode", service},
                                     {"timestamp", timestamp},
                                     {"msgDigest", Digest(data, timestamp, check_word_)},
                                     {"msgData", data}},
                                    timeout_s_);
    if (!answer) return tl::unexpected(answer.error());
    const json& body = *answer;
    const std::string result = body.value("apiResultCode", "");
    const std::string gateway_words = body.value("apiErrorMsg", "");
    if (result != "A1000") {
      // A1001 a required field missing, A1002 bad request, A1003 IP not allowed, A1004 no
      // permission for the service, A1006 msgDigest invalid, A1009/A1099 SF's side down
      const bool ours =
          result == "A1003" || result == "A1004" || result == "A1006" || result == "A1011";
      const bool theirs = result == "A1009" || result == "A1099";
      return tl::unexpected(
          CarrierError{ours ? CarrierErrc::kUnauthorized
                            : (theirs ? CarrierErrc::kUnavailable : CarrierErrc::kProtocol),
                       "SF Express refused the call (" + result + " " + gateway_words + ")" +
                           (ours ? ": check partner_id and check_word in the carriers file" : ""),
                       result});
    }
    const json data_answer =
        body.contains("apiResultData") && body["apiResultData"].is_string()
            ? json::parse(body["apiResultData"].get<std::string>(), nullptr, false)
            : json();
    if (!data_answer.is_object()) {
      return tl::unexpected(
          CarrierError{CarrierErrc::kProtocol, "SF Express sent no apiResultData", result});
    }
    if (!data_answer.value("success", false)) {
      const std::string code =
          data_answer.contains("errorCode") && data_answer["errorCode"].is_string()
              ? data_answer["errorCode"].get<std::string>()
              : "";
      std::string words;  // errorMsg, or errorMessage in cloud print's answers
      for (const char* name : {"errorMsg", "errorMessage"}) {
        if (words.empty() && data_answer.contains(name) && data_answer[name].is_string()) {
          words = data_answer[name].get<std::string>();
        }
      }
      return tl::unexpected(CarrierError{CarrierErrc::kRefused,
                                         "SF Express: " + words + " (error " + code + ")", code});
    }
    return data_answer.contains("msgData") && data_answer["msgData"].is_object()
               ? data_answer["msgData"]
               : data_answer;
  }

  static CarrierResult<Booking> ReadBooking(const json& data) {
    if (!data.is_object()) {
      return tl::unexpected(
          CarrierError{CarrierErrc::kProtocol, "SF Express sent no order data", ""});
    }
    // filterResult: 1 to be checked by hand, 2 deliverable, 3 outside SF's service area
    if (data.contains("filterResult") && data["filterResult"].is_number_integer() &&
        data["filterResult"].get<int>() == 3) {
      std::string remark = data.value("remark", "");
      return tl::unexpected(
          CarrierError{CarrierErrc::kRefused,
                       "SF Express does not deliver to this address (outside its service area" +
                           (remark.empty() ? std::string() : ": " + remark) + ")",
                       "filterResult=3"});
    }
    Booking booking;
    for (const json& w : data.value("waybillNoInfoList", json::array())) {
      if (w.is_object() && w.value("waybillType", 0) == 1)
        booking.waybill = w.value("waybillNo", "");
    }
    for (const json& info : data.value("routeLabelInfo", json::array())) {
      if (!info.is_object() || !info.contains("routeLabelData")) continue;
      const json& label = info["routeLabelData"];
      if (!label.is_object()) continue;
      booking.routing_code = label.value("destRouteLabel", "");
      booking.sorting_code = label.value("codingMapping", "");
      booking.carrier_label = label.value("twoDimensionCode", "");
      if (booking.waybill.empty()) booking.waybill = label.value("waybillNo", "");
    }
    if (booking.waybill.empty()) {
      return tl::unexpected(CarrierError{CarrierErrc::kProtocol,
                                         "SF Express booked the order but sent no waybill", ""});
    }
    return booking;
  }

  std::string url_, partner_id_, check_word_, monthly_card_, cloud_print_template_;
  int express_type_ = 1;
  int timeout_s_ = 15;
};

}  // namespace

std::optional<std::string> StatusFromSfOpCode(const std::string& op) {
  // SF's route operation codes (路由操作码) that a parcel's story is told with
  static const std::pair<const char*, const char*> codes[] = {
      {"50", "in_transit"},         // 顺丰已收取快件 (picked up)
      {"54", "in_transit"},         // 上门收件 (picked up at the door)
      {"30", "in_transit"},         // 快件在[...]完成分拣, 准备发往 (sorted, leaving)
      {"31", "in_transit"},         // 快件到达 (arrived at a centre)
      {"36", "in_transit"},         // 封车 (sealed in the truck)
      {"105", "in_transit"},        // 航空起飞 (flight departed)
      {"106", "in_transit"},        // 航空落地 (flight landed)
      {"44", "out_for_delivery"},   // 正在派送途中 (out for delivery)
      {"204", "out_for_delivery"},  // 派件员已出发 (courier on the way)
      {"80", "delivered"},          // 已签收 (signed for)
      {"8000", ""},                 // 结单 (closed after delivery): changes nothing
      {"70", "attempt_failed"},     // 派件不成功 (delivery failed)
      {"33", "exception"},          // 派件异常 (a problem)
      {"125", "exception"},         // 快件滞留 (held up)
      {"648", "returned"},          // 退回 (on its way back)
      {"99", "returned"},           // 应客户要求, 快件正在退回 (returned on request)
      {"607", "available_for_pickup"},  // 代收点/丰巢柜 (in a locker or a pick-up point)
  };
  for (const auto& [code, status] : codes) {
    if (op == code) return std::string(status);
  }
  return std::nullopt;
}

std::unique_ptr<Carrier> MakeSfExpress(const json& config, std::string& error) {
  for (const char* field : {"url", "partner_id", "check_word"}) {
    if (!config.contains(field) || !config[field].is_string() ||
        config[field].get<std::string>().empty()) {
      error = std::string("sf.") + field + " is required (a non-empty text)";
      return nullptr;
    }
  }
  const int express_type = config.value("express_type", 1);
  const int timeout_s = config.value("timeout_s", 15);
  if (timeout_s < 1 || timeout_s > 120) {
    error = "sf.timeout_s is 1 to 120 seconds";
    return nullptr;
  }
  if (config.contains("cloud_print_template") && !config["cloud_print_template"].is_string()) {
    error = "sf.cloud_print_template is the template code SF's console shows (fm_150_standard_...)";
    return nullptr;
  }
  return std::make_unique<SfExpress>(
      config["url"].get<std::string>(), config["partner_id"].get<std::string>(),
      config["check_word"].get<std::string>(), config.value("monthly_card", ""), express_type,
      timeout_s, config.value("cloud_print_template", ""));
}

CarrierResult<std::vector<WaybillScans>> ReadSfRoutePush(const FormFields& form,
                                                         const std::string& check_word) {
  const std::string data = http::Field(form, "msgData");
  const std::string timestamp = http::Field(form, "timestamp");
  const std::string given = http::Field(form, "msgDigest");
  const std::string expected = Digest(data, timestamp, check_word);
  if (check_word.empty() || given.size() != expected.size() ||
      CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0) {
    return tl::unexpected(CarrierError{CarrierErrc::kUnauthorized,
                                       "the push's msgDigest does not match its msgData", ""});
  }
  const json body = json::parse(data, nullptr, false);
  const json* routes = nullptr;
  if (body.is_object() && body.contains("Body") && body["Body"].is_object() &&
      body["Body"].contains("WaybillRoute") && body["Body"]["WaybillRoute"].is_array()) {
    routes = &body["Body"]["WaybillRoute"];
  }
  if (routes == nullptr || routes->size() > 500) {
    return tl::unexpected(
        CarrierError{CarrierErrc::kProtocol,
                     "msgData is {\"Body\": {\"WaybillRoute\": [at most 500 routes]}}", ""});
  }
  std::vector<WaybillScans> out;
  for (const json& route : *routes) {
    if (!route.is_object() || !route.contains("mailno") || !route["mailno"].is_string()) {
      return tl::unexpected(
          CarrierError{CarrierErrc::kProtocol, "a WaybillRoute has no mailno", ""});
    }
    const std::string waybill = route["mailno"].get<std::string>();
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const WaybillScans& w) { return w.waybill == waybill; });
    if (it == out.end()) {
      out.push_back({"sf", waybill, {}});
      it = out.end() - 1;
    }
    auto event = SfExpress::ScanOf(waybill, route);
    if (event) it->events.push_back(*event);
  }
  return out;
}

}  // namespace keepsake::logistics
