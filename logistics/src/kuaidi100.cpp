// Kuaidi100 (快递100) for the couriers without an API of our own: e-waybills through
// label/order (method=order, cancel; sign = MD5(param + t + key + secret), upper case),
// tracking subscriptions through poll (schema=json, param with callbackurl and salt), real-time
// query through poll/query.do (sign = MD5(param + key + customer)), and the pushes it sends
// back (param, sign = MD5(param + salt)).
#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "carrier_adapters.hpp"
#include "carrier_http.hpp"
#include "keepsake/logistics/tracking.hpp"
#include "keepsake/orders/store.hpp"

namespace keepsake::logistics {

using nlohmann::json;
namespace http = carrier_http;

namespace {

struct Courier {
  const char* name;  // ours
  const char* com;   // Kuaidi100's
};
constexpr Courier kCouriers[] = {
    {"zto", "zhongtong"}, {"yto", "yuantong"}, {"sto", "shentong"}, {"jd", "jd"}, {"ems", "ems"}};

struct Account {
  std::string label_url, poll_url, query_url, key, secret, customer, salt, callback_url;
  int timeout_s = 15;
};

json Man(const Party& p) {
  return {{"name", p.name},
          {"mobile", p.phone},
          {"company", p.company},
          {"printAddr", p.province + p.city + p.district + p.address}};
}

// A string field of `j`, or "" (Kuaidi100 writes numbers as strings and strings as numbers).
std::string Text(const json& j, const char* name) {
  if (!j.is_object() || !j.contains(name)) return "";
  if (j[name].is_string()) return j[name].get<std::string>();
  if (j[name].is_number_integer()) return std::to_string(j[name].get<int64_t>());
  return "";
}

// One scan of Kuaidi100's data list: {time, ftime, context, status (resultv2 word), ...}.
std::optional<TrackingEvent> ScanOf(const std::string& waybill, const json& scan,
                                    const std::string& state_of_newest, bool newest) {
  const std::string time = Text(scan, "ftime").empty() ? Text(scan, "time") : Text(scan, "ftime");
  const std::string at = http::UtcFromChinaTime(time);
  if (at.empty()) return std::nullopt;
  std::string word = Text(scan, "status");
  // without resultv2 a scan has no word of its own: the newest takes the waybill's state
  if (word.empty() && newest) word = state_of_newest;
  const auto status = StatusFromKuaidi100Word(word);
  if (!status || status->empty()) return std::nullopt;
  const std::string context = Text(scan, "context");
  return TrackingEvent{http::ScanId("k100-", waybill + "|" + time + "|" + context), at, *status,
                       word, context.substr(0, 500)};
}

std::vector<TrackingEvent> ScansOf(const std::string& waybill, const json& result) {
  std::vector<TrackingEvent> events;
  const json data = result.value("data", json::array());
  if (!data.is_array()) return events;
  // Kuaidi100 lists the newest first
  for (size_t k = 0; k < data.size(); ++k) {
    auto event = ScanOf(waybill, data[k], Text(result, "state"), k == 0);
    if (event) events.push_back(*event);
  }
  return events;
}

class Kuaidi100Courier : public Carrier {
 public:
  Kuaidi100Courier(const Courier& courier, std::shared_ptr<const Account> account,
                   std::string partner_id, std::string partner_key)
      : courier_(courier),
        account_(std::move(account)),
        partner_id_(std::move(partner_id)),
        partner_key_(std::move(partner_key)) {}

  std::string Name() const override { return courier_.name; }

  CarrierResult<Booking> Book(const BookingRequest& r) override {
    json param = {{"partnerId", partner_id_},
                  {"partnerKey", partner_key_},
                  {"kuaidicom", courier_.com},
                  {"recMan", Man(r.recipient)},
                  {"sendMan", Man(r.sender)},
                  {"cargo", r.contents.substr(0, 60)},
                  {"count", r.parcels},
                  {"payType", "SHIPPER"},
                  {"expType", "标准快递"},
                  {"printType", "NON"},  // we draw the label; Kuaidi100 gives the codes
                  {"orderId", r.carrier_order_id},
                  {"needSubscribe", !account_->callback_url.empty()},
                  {"pollCallBackUrl", account_->callback_url},
                  {"salt", account_->salt},
                  {"resultv2", "1"}};
    if (r.weight_g > 0) param["weight"] = http::Kilograms(r.weight_g);
    auto data = LabelCall("order", param);
    if (!data) return tl::unexpected(data.error());
    Booking booking;
    booking.waybill = Text(*data, "kuaidinum");
    booking.routing_code = Text(*data, "bulkpen");
    booking.sorting_code = Text(*data, "destSortingCode");
    booking.carrier_label = Text(*data, "label");
    if (booking.waybill.empty()) {
      return tl::unexpected(CarrierError{CarrierErrc::kProtocol,
                                         "Kuaidi100 took the order but sent no kuaidinum", ""});
    }
    return booking;
  }

  CarrierResult<void> Cancel(const std::string& carrier_order_id,
                             const std::string& waybill) override {
    auto data = LabelCall("cancel", {{"partnerId", partner_id_},
                                     {"partnerKey", partner_key_},
                                     {"kuaidicom", courier_.com},
                                     {"kuaidinum", waybill},
                                     {"orderId", carrier_order_id},
                                     {"reason", "cancelled by the shop"}});
    if (!data) return tl::unexpected(data.error());
    return {};
  }

  CarrierResult<std::vector<TrackingEvent>> Track(const std::string& waybill,
                                                  const std::string& phone_last4) override {
    const std::string param = json{
        {"com", courier_.com},
        {"num", waybill},
        {"phone", phone_last4},
        {"resultv2", "1"}}.dump();
    auto answer =
        http::PostForJson("Kuaidi100", account_->query_url,
                          {{"customer", account_->customer},
                           {"sign", http::Md5Hex(param + account_->key + account_->customer, true)},
                           {"param", param}},
                          account_->timeout_s);
    if (!answer) return tl::unexpected(answer.error());
    const json& body = *answer;
    if (Text(body, "status") != "200") {
      // {"result": false, "returnCode": "400", "message": "..."}
      return tl::unexpected(Refusal(Text(body, "returnCode"), Text(body, "message")));
    }
    return ScansOf(waybill, body);
  }

  CarrierResult<void> Subscribe(const std::string& waybill,
                                const std::string& phone_last4) override {
    if (account_->callback_url.empty()) {
      return tl::unexpected(CarrierError{
          CarrierErrc::kNotSupported,
          "kuaidi100.callback_url is not set in the carriers file: Kuaidi100 has nowhere to push",
          ""});
    }
    const json param = {{"company", courier_.com},
                        {"number", waybill},
                        {"key", account_->key},
                        {"parameters",
                         {{"callbackurl", account_->callback_url},
                          {"salt", account_->salt},
                          {"resultv2", "1"},
                          {"phone", phone_last4}}}};
    auto answer =
        http::PostForJson("Kuaidi100", account_->poll_url,
                          {{"schema", "json"}, {"param", param.dump()}}, account_->timeout_s);
    if (!answer) return tl::unexpected(answer.error());
    const json& body = *answer;
    const std::string code = Text(body, "returnCode");
    // 200 taken; 501 already subscribed (a retry): both mean pushes will come
    if (code == "200" || code == "501") return {};
    return tl::unexpected(Refusal(code, Text(body, "message")));
  }

 private:
  static CarrierError Refusal(const std::string& code, const std::string& message) {
    const bool duplicate = message.find("重复") != std::string::npos;
    const bool credentials = message.find("签名") != std::string::npos ||
                             message.find("sign") != std::string::npos ||
                             message.find("授权") != std::string::npos;
    return {duplicate     ? CarrierErrc::kDuplicate
            : credentials ? CarrierErrc::kUnauthorized
                          : CarrierErrc::kRefused,
            "Kuaidi100: " + message + " (code " + code + ")" +
                (credentials ? ": check key, secret and customer in the carriers file" : "") +
                (duplicate ? ": the order is in Kuaidi100 already; cancel it there or type its "
                             "waybill as the manual carrier"
                           : ""),
            code};
  }

  // One label/order call; the answer's data, or why there is none.
  CarrierResult<json> LabelCall(const std::string& method, const json& param_json) {
    const std::string param = param_json.dump();
    const std::string t = std::to_string(orders::NowUnixMs());
    auto answer = http::PostForJson(
        "Kuaidi100", account_->label_url,
        {{"method", method},
         {"key", account_->key},
         {"t", t},
         {"sign", http::Md5Hex(param + t + account_->key + account_->secret, true)},
         {"param", param}},
        account_->timeout_s);
    if (!answer) return tl::unexpected(answer.error());
    const json& body = *answer;
    if (!body.value("success", false)) {
      const std::string code = Text(body, "code");
      if (code.size() == 3 && code[0] == '5') {
        return tl::unexpected(http::Unavailable("Kuaidi100", "failed on its side (" + code + ")"));
      }
      return tl::unexpected(Refusal(code, Text(body, "message")));
    }
    return body.contains("data") && body["data"].is_object() ? body["data"] : json::object();
  }

  Courier courier_;
  std::shared_ptr<const Account> account_;
  std::string partner_id_, partner_key_;
};

}  // namespace

std::string Kuaidi100Com(const std::string& carrier) {
  for (const Courier& c : kCouriers) {
    if (carrier == c.name) return c.com;
  }
  return "";
}

std::string CarrierOfKuaidi100Com(const std::string& com) {
  for (const Courier& c : kCouriers) {
    if (com == c.com) return c.name;
  }
  return "";
}

std::optional<std::string> StatusFromKuaidi100Word(const std::string& word) {
  // resultv2 words (and their sub-states) by their main state, and the state numbers
  static const std::pair<const char*, const char*> words[] = {{"揽收", "in_transit"},
                                                              {"在途", "in_transit"},
                                                              {"转投", "in_transit"},
                                                              {"清关", "in_transit"},
                                                              {"派件", "out_for_delivery"},
                                                              {"签收", "delivered"},
                                                              {"疑难", "exception"},
                                                              {"退签", "returned"},
                                                              {"退回", "returned"},
                                                              {"拒签", "returned"},
                                                              {"待清关", "in_transit"},
                                                              {"已揽件", "in_transit"},
                                                              {"待揽收", ""},
                                                              {"下单", ""},
                                                              {"已下单", ""}};
  for (const auto& [w, status] : words) {
    if (word == w) return std::string(status);
  }
  // a sub-state ("派件中", "已签收", "本人签收") by the main word in it
  for (const char* main : {"签收", "派件", "退回", "退签", "拒签", "疑难", "在途", "揽收"}) {
    if (word.find(main) != std::string::npos) {
      return StatusFromKuaidi100Word(main);
    }
  }
  if (!word.empty() && std::all_of(word.begin(), word.end(), ::isdigit) && word.size() <= 3) {
    return StatusFromKuaidi100(std::stoi(word));
  }
  return std::nullopt;
}

std::vector<std::unique_ptr<Carrier>> MakeKuaidi100(const json& config, std::string& error) {
  std::vector<std::unique_ptr<Carrier>> out;
  auto account = std::make_shared<Account>();
  const std::pair<const char*, std::string*> fields[] = {{"label_url", &account->label_url},
                                                         {"poll_url", &account->poll_url},
                                                         {"query_url", &account->query_url},
                                                         {"key", &account->key},
                                                         {"secret", &account->secret},
                                                         {"customer", &account->customer},
                                                         {"salt", &account->salt}};
  for (const auto& [name, target] : fields) {
    if (!config.contains(name) || !config[name].is_string() ||
        config[name].get<std::string>().empty()) {
      error = std::string("kuaidi100.") + name + " is required (a non-empty text)";
      return out;
    }
    *target = config[name].get<std::string>();
  }
  account->callback_url = config.value("callback_url", "");
  account->timeout_s = config.value("timeout_s", 15);
  if (account->timeout_s < 1 || account->timeout_s > 120) {
    error = "kuaidi100.timeout_s is 1 to 120 seconds";
    return out;
  }
  if (!config.contains("couriers") || !config["couriers"].is_object() ||
      config["couriers"].empty()) {
    error = "kuaidi100.couriers names the couriers of the account: zto, yto, sto, jd, ems";
    return out;
  }
  for (const auto& [name, courier] : config["couriers"].items()) {
    const Courier* known = nullptr;
    for (const Courier& c : kCouriers) {
      if (name == c.name) known = &c;
    }
    if (known == nullptr || !courier.is_object()) {
      error = "kuaidi100.couriers." + name +
              " is not a courier Keepsake knows (zto, yto, sto, "
              "jd, ems), or not an object";
      out.clear();
      return out;
    }
    out.push_back(std::make_unique<Kuaidi100Courier>(
        *known, account, courier.value("partner_id", ""), courier.value("partner_key", "")));
  }
  return out;
}

CarrierResult<std::vector<WaybillScans>> ReadKuaidi100Push(const FormFields& form,
                                                           const std::string& salt) {
  const std::string param = http::Field(form, "param");
  const std::string given = http::Field(form, "sign");
  const std::string expected = http::Md5Hex(param + salt, true);
  if (salt.empty() || given.size() != expected.size() ||
      CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0) {
    return tl::unexpected(
        CarrierError{CarrierErrc::kUnauthorized, "the push's sign does not match its param", ""});
  }
  const json body = json::parse(param, nullptr, false);
  if (!body.is_object() || !body.contains("lastResult") || !body["lastResult"].is_object()) {
    return tl::unexpected(
        CarrierError{CarrierErrc::kProtocol, "param is {\"status\", \"lastResult\": {...}}", ""});
  }
  const json& result = body["lastResult"];
  const std::string carrier = CarrierOfKuaidi100Com(Text(result, "com"));
  const std::string waybill = Text(result, "nu");
  if (carrier.empty() || waybill.empty()) {
    return tl::unexpected(CarrierError{
        CarrierErrc::kProtocol,
        "lastResult names no courier Keepsake books (com " + Text(result, "com") + ") or no nu",
        ""});
  }
  if (result.contains("data") && result["data"].is_array() && result["data"].size() > 500) {
    return tl::unexpected(
        CarrierError{CarrierErrc::kProtocol, "lastResult.data holds at most 500 scans", ""});
  }
  return std::vector<WaybillScans>{{carrier, waybill, ScansOf(waybill, result)}};
}

}  // namespace keepsake::logistics
