// SF Express and Kuaidi100 as loopback servers for the tests: they take the requests in the
// shapes the carriers document, check the signatures as the carriers do (written here again,
// apart from Keepsake's adapters: a digest both got wrong the same way would pass otherwise,
// so the SF one is also checked against a third implementation), remember what they booked
// (an order id booked twice is refused, as the real ones do), and answer with the carriers'
// errors on cue: an address outside the service area, a lost answer (the order is booked but
// the answer comes after the caller's deadline), a cloud-print file whose token is refused.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace keepsake::testing {

// SF's msgDigest: Base64(MD5(java.net.URLEncoder.encode(text, "UTF-8"))).
std::string SfDigest(const std::string& msg_data, const std::string& timestamp,
                     const std::string& check_word);
// Kuaidi100's signs: upper-case hex MD5.
std::string Md5Upper(const std::string& text);
// application/x-www-form-urlencoded, every byte but A-Z a-z 0-9 escaped.
std::string FormBody(const std::vector<std::pair<std::string, std::string>>& fields);

class LoopbackCarriers {
 public:
  static constexpr const char* kSfPartner = "KEEPSAKE_TEST";
  static constexpr const char* kSfCheckWord = "sfCheckWordForTheLoopback0123456";
  static constexpr const char* kK100Key = "k100-key-loopback";
  static constexpr const char* kK100Secret = "k100-secret-loopback";
  static constexpr const char* kK100Customer = "K100CUSTOMERLOOPBACK";
  static constexpr const char* kK100Salt = "k100-salt-loopback-0123456789";

  LoopbackCarriers();
  ~LoopbackCarriers();
  int port() const { return port_; }
  // The carriers file for `keepsake serve --carriers` pointing here; `check_word` to try a
  // wrong one.
  // `cloud_print`: SF is asked for its own label (a cloud-print template) with each booking.
  nlohmann::json CarriersFile(const std::string& check_word = kSfCheckWord,
                              const std::string& callback = "", bool cloud_print = false) const;

  // The next create call is booked, but its answer waits `seconds` (past the caller's deadline).
  void LoseNextAnswer(int seconds) { lose_next_s_ = seconds; }
  // The next cloud-print file is refused its token (401), as an expired one is.
  void RefuseNextLabelToken() { refuse_token_ = true; }
  // The label SF's cloud print draws for a booked waybill: a 100 x 150 mm PDF written here by
  // hand (Helvetica, no embedded font), saying "SF CLOUD PRINT", the waybill, the routing code
  // and the recipient's masked phone, so that a test tells it from Keepsake's drawing.
  static std::string CloudPrintPdf(const std::string& waybill, const std::string& route,
                                   const std::string& masked_phone);
  // Routes SF answers for `waybill` to a route query, as SF's JSON routes.
  void SetSfRoutes(const std::string& waybill, nlohmann::json routes);
  // Kuaidi100's answer to a real-time query of `waybill` (its data list, newest first).
  void SetK100Scans(const std::string& waybill, nlohmann::json data, const std::string& state);

  struct Booked {
    std::string carrier;  // sf or the Kuaidi100 com
    std::string order_id;
    std::string waybill;
    nlohmann::json request;  // the msgData / param as received
    bool cancelled = false;
  };
  std::vector<Booked> Orders() const;
  int Calls(const std::string& service) const;  // by SF serviceCode or Kuaidi100 method
  std::vector<nlohmann::json> Subscriptions() const;

 private:
  void Sf(const httplib::Request& req, httplib::Response& res);
  void SfPrintFile(const httplib::Request& req, httplib::Response& res);
  void K100Label(const httplib::Request& req, httplib::Response& res);
  void K100Poll(const httplib::Request& req, httplib::Response& res);
  void K100Query(const httplib::Request& req, httplib::Response& res);

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::vector<Booked> orders_;
  std::map<std::string, int> calls_;
  std::map<std::string, nlohmann::json> sf_routes_;
  std::map<std::string, std::pair<nlohmann::json, std::string>> k100_scans_;
  std::vector<nlohmann::json> subscriptions_;
  std::atomic<int> lose_next_s_{0};
  std::atomic<bool> refuse_token_{false};
  std::map<std::string, std::pair<std::string, std::string>> sf_files_;  // token: waybill, pdf
  long long next_waybill_ = 1000000000001LL;
};

}  // namespace keepsake::testing
