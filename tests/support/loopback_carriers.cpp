#include "loopback_carriers.hpp"

#include <openssl/evp.h>

#include <chrono>
#include <cstdio>

namespace keepsake::testing {

using nlohmann::json;

namespace {

std::string Md5Raw(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<char*>(digest), size);
}

// java.net.URLEncoder.encode(text, "UTF-8")
std::string JavaEncode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-' || c == '*' || c == '_';
    if (keep) {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += {'%', hex[c >> 4], hex[c & 15]};
    }
  }
  return out;
}

std::map<std::string, std::string> Form(const std::string& body) {
  httplib::Params params;
  httplib::detail::parse_query_text(body, params);
  return {params.begin(), params.end()};
}

void Json(httplib::Response& res, const json& body) {
  res.set_content(body.dump(), "application/json;charset=UTF-8");
}

// SF's gateway answer around a service's own: apiResultData is a JSON text.
json SfAnswer(const json& service) {
  return {{"apiResultCode", "A1000"},
          {"apiErrorMsg", ""},
          {"apiResponseID", "00017B1D6E3B4E3F"},
          {"apiResultData", service.dump()}};
}
json SfFailure(const std::string& code, const std::string& words) {
  return SfAnswer(
      {{"success", false}, {"errorCode", code}, {"errorMsg", words}, {"msgData", nullptr}});
}

std::string CityCode(const std::string& city) {
  if (city.find("北京") != std::string::npos) return "010";
  if (city.find("杭州") != std::string::npos) return "571";
  if (city.find("上海") != std::string::npos) return "021";
  return "755";
}

}  // namespace

std::string SfDigest(const std::string& msg_data, const std::string& timestamp,
                     const std::string& check_word) {
  const std::string digest = Md5Raw(JavaEncode(msg_data + timestamp + check_word));
  unsigned char out[32];
  const int n = EVP_EncodeBlock(out, reinterpret_cast<const unsigned char*>(digest.data()),
                                static_cast<int>(digest.size()));
  return std::string(reinterpret_cast<char*>(out), static_cast<size_t>(n));
}

std::string Md5Upper(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : Md5Raw(text)) out += {hex[c >> 4], hex[c & 15]};
  return out;
}

std::string FormBody(const std::vector<std::pair<std::string, std::string>>& fields) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += name + "=";
    for (unsigned char c : value) {
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        out += static_cast<char>(c);
      } else {
        out += {'%', hex[c >> 4], hex[c & 15]};
      }
    }
  }
  return out;
}

LoopbackCarriers::LoopbackCarriers() {
  server_.Post("/std/service",
               [this](const httplib::Request& q, httplib::Response& r) { Sf(q, r); });
  server_.Get(R"(/print/([A-Za-z0-9]+)\.pdf)",
              [this](const httplib::Request& q, httplib::Response& r) { SfPrintFile(q, r); });
  server_.Post("/label/order",
               [this](const httplib::Request& q, httplib::Response& r) { K100Label(q, r); });
  server_.Post("/poll",
               [this](const httplib::Request& q, httplib::Response& r) { K100Poll(q, r); });
  server_.Post("/poll/query.do",
               [this](const httplib::Request& q, httplib::Response& r) { K100Query(q, r); });
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

LoopbackCarriers::~LoopbackCarriers() {
  server_.stop();
  thread_.join();
}

json LoopbackCarriers::CarriersFile(const std::string& check_word, const std::string& callback,
                                    bool cloud_print) const {
  const std::string base = "http://127.0.0.1:" + std::to_string(port_);
  json sf = {{"url", base + "/std/service"},
             {"partner_id", kSfPartner},
             {"check_word", check_word},
             {"monthly_card", "7551234567"},
             {"timeout_s", 2}};
  if (cloud_print) sf["cloud_print_template"] = std::string("fm_150_standard_") + kSfPartner;
  return {{"sf", sf},
          {"kuaidi100",
           {{"label_url", base + "/label/order"},
            {"poll_url", base + "/poll"},
            {"query_url", base + "/poll/query.do"},
            {"key", kK100Key},
            {"secret", kK100Secret},
            {"customer", kK100Customer},
            {"salt", kK100Salt},
            {"callback_url", callback},
            {"timeout_s", 2},
            {"couriers",
             {{"zto", {{"partner_id", "zto-net-1"}, {"partner_key", "zto-pw"}}},
              {"yto", json::object()}}}}}};
}

void LoopbackCarriers::SetSfRoutes(const std::string& waybill, json routes) {
  std::lock_guard<std::mutex> lock(mutex_);
  sf_routes_[waybill] = std::move(routes);
}

void LoopbackCarriers::SetK100Scans(const std::string& waybill, json data,
                                    const std::string& state) {
  std::lock_guard<std::mutex> lock(mutex_);
  k100_scans_[waybill] = {std::move(data), state};
}

std::vector<LoopbackCarriers::Booked> LoopbackCarriers::Orders() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return orders_;
}

int LoopbackCarriers::Calls(const std::string& service) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = calls_.find(service);
  return it == calls_.end() ? 0 : it->second;
}

std::vector<json> LoopbackCarriers::Subscriptions() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return subscriptions_;
}

void LoopbackCarriers::Sf(const httplib::Request& req, httplib::Response& res) {
  auto form = Form(req.body);
  const std::string service = form["serviceCode"];
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++calls_[service];
  }
  for (const char* field : {"partnerID", "requestID", "serviceCode", "timestamp", "msgData"}) {
    if (form[field].empty()) {
      return Json(res, {{"apiResultCode", "A1001"},
                        {"apiErrorMsg", std::string("必传参数不可为空: ") + field}});
    }
  }
  if (form["partnerID"] != kSfPartner ||
      form["msgDigest"] != SfDigest(form["msgData"], form["timestamp"], kSfCheckWord)) {
    return Json(res, {{"apiResultCode", "A1006"}, {"apiErrorMsg", "数字签名无效"}});
  }
  const json data = json::parse(form["msgData"], nullptr, false);
  if (!data.is_object())
    return Json(res, {{"apiResultCode", "A1002"}, {"apiErrorMsg", "请求报文格式错误"}});
  std::unique_lock<std::mutex> lock(mutex_);
  auto find = [&](const std::string& order_id) -> Booked* {
    for (Booked& b : orders_) {
      if (b.carrier == "sf" && b.order_id == order_id) return &b;
    }
    return nullptr;
  };
  auto order_answer = [&](const Booked& b) {
    const json& contacts = b.request["contactInfoList"];
    const std::string dest = CityCode(contacts[1].value("city", ""));
    return json{
        {"orderId", b.order_id},
        {"originCode", "021"},
        {"destCode", dest},
        {"filterResult", 2},
        {"remark", ""},
        {"waybillNoInfoList", json::array({{{"waybillType", 1}, {"waybillNo", b.waybill}}})},
        {"routeLabelInfo",
         json::array({{{"code", "1000"},
                       {"message", ""},
                       {"routeLabelData",
                        {{"waybillNo", b.waybill},
                         {"sourceTransferCode", "021WT"},
                         {"destRouteLabel", dest + "WT-" + dest + "AB"},
                         {"codingMapping", "F32"},
                         {"proName", "顺丰标快"},
                         {"twoDimensionCode", "MMM={'k1':'" + dest + "WT','k2':'" + dest +
                                                  "AB','k5':'" + b.waybill + "'}"}}}}})}};
  };
  if (service == "EXP_RECE_CREATE_ORDER") {
    const std::string order_id = data.value("orderId", "");
    if (find(order_id) != nullptr) return Json(res, SfFailure("8016", "重复下单"));
    const json contacts = data.value("contactInfoList", json::array());
    if (contacts.size() != 2 || contacts[1].value("address", "").empty() ||
        contacts[1].value("mobile", "").empty()) {
      return Json(res, SfFailure("1010", "到件方地址或联系电话不能为空"));
    }
    if (contacts[1].value("province", "").find("西藏") != std::string::npos) {
      // SF takes the order but says it cannot deliver there: filterResult 3
      return Json(res,
                  SfAnswer({{"success", true},
                            {"errorCode", "S0000"},
                            {"msgData",
                             {{"orderId", order_id}, {"filterResult", 3}, {"remark", "超范围"}}}}));
    }
    Booked b{"sf", order_id, "SF" + std::to_string(next_waybill_++), data, false};
    orders_.push_back(b);
    const json answer =
        SfAnswer({{"success", true}, {"errorCode", "S0000"}, {"msgData", order_answer(b)}});
    const int lose = lose_next_s_.exchange(0);
    lock.unlock();
    // booked, but the answer comes after the caller has given up
    if (lose > 0) std::this_thread::sleep_for(std::chrono::seconds(lose));
    return Json(res, answer);
  }
  if (service == "EXP_RECE_SEARCH_ORDER_RESP") {
    const Booked* b = find(data.value("orderId", ""));
    if (b == nullptr) return Json(res, SfFailure("8018", "未获取到订单信息"));
    return Json(
        res, SfAnswer({{"success", true}, {"errorCode", "S0000"}, {"msgData", order_answer(*b)}}));
  }
  if (service == "EXP_RECE_UPDATE_ORDER") {
    Booked* b = find(data.value("orderId", ""));
    if (b == nullptr) return Json(res, SfFailure("8018", "未获取到订单信息"));
    if (data.value("dealType", 0) == 2) b->cancelled = true;
    return Json(res, SfAnswer({{"success", true},
                               {"errorCode", "S0000"},
                               {"msgData", {{"orderId", b->order_id}, {"resStatus", 2}}}}));
  }
  if (service == "EXP_RECE_SEARCH_ROUTES") {
    json resps = json::array();
    for (const json& number : data.value("trackingNumber", json::array())) {
      auto it = sf_routes_.find(number.get<std::string>());
      resps.push_back(
          {{"mailNo", number}, {"routes", it == sf_routes_.end() ? json::array() : it->second}});
    }
    return Json(res, SfAnswer({{"success", true},
                               {"errorCode", "S0000"},
                               {"msgData", {{"routeResps", resps}}}}));
  }
  if (service == "COM_RECE_CLOUD_PRINT_WAYBILLS") {
    // version 2.0, synchronous, a PDF per waybill: errors carry errorMessage, files a URL
    // and a token to fetch it with
    auto failure = [&](const std::string& words) {
      return Json(res, SfAnswer({{"success", false},
                                 {"errorCode", "2001"},
                                 {"errorMessage", words},
                                 {"obj", nullptr}}));
    };
    if (data.value("templateCode", "") != std::string("fm_150_standard_") + kSfPartner)
      return failure("模板编码不存在");
    if (data.value("version", "") != "2.0" || data.value("fileType", "") != "pdf" ||
        !data.value("sync", false))
      return failure("version, fileType or sync invalid");
    const json documents = data.value("documents", json::array());
    if (documents.size() != 1 || !documents[0].is_object()) return failure("documents 不能为空");
    const std::string waybill = documents[0].value("masterWaybillNo", "");
    const Booked* booked = nullptr;
    for (const Booked& b : orders_) {
      if (b.carrier == "sf" && b.waybill == waybill) booked = &b;
    }
    if (booked == nullptr) return failure("运单号不存在: " + waybill);
    const json& contacts = booked->request["contactInfoList"];
    const std::string dest = CityCode(contacts[1].value("city", ""));
    const std::string phone = contacts[1].value("mobile", "");
    const std::string token = "AUTH_tkv12_" + std::to_string(next_waybill_++);
    sf_files_[token] = {
        waybill, CloudPrintPdf(waybill, dest + "WT-" + dest + "AB",
                               phone.substr(0, 3) + "****" + phone.substr(phone.size() - 4))};
    const std::string base = "http://127.0.0.1:" + std::to_string(port_);
    return Json(res,
                SfAnswer({{"success", true},
                          {"requestId", form["requestID"]},
                          {"errorCode", nullptr},
                          {"errorMessage", nullptr},
                          {"obj",
                           {{"clientCode", kSfPartner},
                            {"templateCode", data["templateCode"]},
                            {"fileType", "pdf"},
                            {"files", json::array({{{"url", base + "/print/" + waybill + ".pdf"},
                                                    {"token", token},
                                                    {"waybillNo", waybill},
                                                    {"seqNo", 1},
                                                    {"areaNo", 1},
                                                    {"pageNo", 1}}})}}}}));
  }
  return Json(res, {{"apiResultCode", "A1004"}, {"apiErrorMsg", "无对应服务权限"}});
}

void LoopbackCarriers::SfPrintFile(const httplib::Request& req, httplib::Response& res) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++calls_["cloud print file"];
  auto it = sf_files_.find(req.get_header_value("X-Auth-token"));
  if (refuse_token_.exchange(false) || it == sf_files_.end() ||
      it->second.first != req.matches[1].str()) {
    res.status = 401;
    return Json(res, {{"message", "token invalid or expired"}});
  }
  res.set_content(it->second.second, "application/pdf");
}

std::string LoopbackCarriers::CloudPrintPdf(const std::string& waybill, const std::string& route,
                                            const std::string& masked_phone) {
  // a page of 100 x 150 mm in points, text in Helvetica (a PDF reader's own font)
  const std::string text = "BT /F1 14 Tf 20 380 Td (SF CLOUD PRINT) Tj 0 -30 Td (" + waybill +
                           ") Tj /F1 28 Tf 0 -50 Td (" + route + ") Tj /F1 12 Tf 0 -40 Td (" +
                           masked_phone + ") Tj ET";
  const std::vector<std::string> objects = {
      "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 283.46 425.20] /Resources << /Font << /F1 "
      "5 0 R >> >> /Contents 4 0 R >>",
      "<< /Length " + std::to_string(text.size()) + " >>\nstream\n" + text + "\nendstream",
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"};
  std::string pdf = "%PDF-1.4\n";
  std::vector<size_t> offsets;
  for (size_t k = 0; k < objects.size(); ++k) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(k + 1) + " 0 obj\n" + objects[k] + "\nendobj\n";
  }
  const size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (size_t offset : offsets) {
    char line[24];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", offset);
    pdf += line;
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) +
         " /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

void LoopbackCarriers::K100Label(const httplib::Request& req, httplib::Response& res) {
  auto form = Form(req.body);
  const std::string method = form["method"];
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++calls_[method];
  }
  if (form["key"] != kK100Key ||
      form["sign"] != Md5Upper(form["param"] + form["t"] + kK100Key + kK100Secret)) {
    return Json(res, {{"success", false}, {"code", 30002}, {"message", "签名错误"}});
  }
  const json param = json::parse(form["param"], nullptr, false);
  std::lock_guard<std::mutex> lock(mutex_);
  if (method == "order") {
    const std::string order_id = param.value("orderId", "");
    for (const Booked& b : orders_) {
      if (b.carrier != "sf" && b.order_id == order_id) {
        return Json(res, {{"success", false}, {"code", 30006}, {"message", "重复下单"}});
      }
    }
    const std::string address = param["recMan"].value("printAddr", "");
    if (address.find("西藏") != std::string::npos) {
      return Json(res, {{"success", false}, {"code", 30003}, {"message", "收件地址超出派送范围"}});
    }
    Booked b{param.value("kuaidicom", ""), order_id, "75" + std::to_string(next_waybill_++), param,
             false};
    orders_.push_back(b);
    return Json(res, {{"success", true},
                      {"code", 200},
                      {"message", "success"},
                      {"data",
                       {{"taskId", "T" + b.waybill},
                        {"kuaidinum", b.waybill},
                        {"kuaidicom", b.carrier},
                        {"bulkpen", "杭州转 西湖 A12"},
                        {"orgCode", "021"},
                        {"destCode", "571"},
                        {"destSortingCode", "571-A12"},
                        {"label", ""}}}});
  }
  if (method == "cancel") {
    for (Booked& b : orders_) {
      if (b.waybill == param.value("kuaidinum", "")) {
        b.cancelled = true;
        return Json(res, {{"success", true}, {"code", 200}, {"message", "success"}});
      }
    }
    return Json(res, {{"success", false}, {"code", 30004}, {"message", "单号不存在"}});
  }
  Json(res, {{"success", false}, {"code", 30001}, {"message", "method 不支持"}});
}

void LoopbackCarriers::K100Poll(const httplib::Request& req, httplib::Response& res) {
  auto form = Form(req.body);
  const json param = json::parse(form["param"], nullptr, false);
  std::lock_guard<std::mutex> lock(mutex_);
  ++calls_["poll"];
  if (form["schema"] != "json" || !param.is_object() || param.value("key", "") != kK100Key) {
    return Json(res, {{"result", false}, {"returnCode", "600"}, {"message", "您不是合法的订阅者"}});
  }
  if (param["parameters"].value("callbackurl", "").empty()) {
    return Json(
        res, {{"result", false}, {"returnCode", "700"}, {"message", "订阅方的订阅数据存在错误"}});
  }
  for (const json& s : subscriptions_) {
    if (s.value("number", "") == param.value("number", "")) {
      return Json(res, {{"result", false}, {"returnCode", "501"}, {"message", "重复订阅"}});
    }
  }
  subscriptions_.push_back(param);
  Json(res, {{"result", true}, {"returnCode", "200"}, {"message", "提交成功"}});
}

void LoopbackCarriers::K100Query(const httplib::Request& req, httplib::Response& res) {
  auto form = Form(req.body);
  std::lock_guard<std::mutex> lock(mutex_);
  ++calls_["query"];
  if (form["customer"] != kK100Customer ||
      form["sign"] != Md5Upper(form["param"] + kK100Key + kK100Customer)) {
    return Json(res, {{"result", false}, {"returnCode", "601"}, {"message", "签名验证失败"}});
  }
  const json param = json::parse(form["param"], nullptr, false);
  auto it = k100_scans_.find(param.value("num", ""));
  if (it == k100_scans_.end()) {
    return Json(
        res, {{"result", false}, {"returnCode", "500"}, {"message", "查询无结果，请隔段时间再查"}});
  }
  Json(res, {{"message", "ok"},
             {"nu", param.value("num", "")},
             {"ischeck", it->second.second == "3" ? "1" : "0"},
             {"com", param.value("com", "")},
             {"status", "200"},
             {"condition", "F00"},
             {"state", it->second.second},
             {"data", it->second.first}});
}

}  // namespace keepsake::testing
