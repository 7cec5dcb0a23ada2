#include "keepsake/logistics/carrier.hpp"

#include <chrono>
#include <cstdio>
#include <regex>

#include <nlohmann/json.hpp>

#include "carrier_adapters.hpp"
#include "logistics_settings.hpp"

namespace keepsake::logistics {

namespace {

CarrierError NotSupported(const std::string& carrier, const std::string& what) {
  return {CarrierErrc::kNotSupported, carrier + " " + what, ""};
}

class ManualCarrier : public Carrier {
 public:
  std::string Name() const override { return "manual"; }
  bool Books() const override { return false; }
  CarrierResult<Booking> Book(const BookingRequest&) override {
    return tl::unexpected(NotSupported("the manual carrier",
                                       "books nothing: type or scan the courier's waybill number"));
  }
};

// Numbers like SIM + 12 digits, unique per order, parcel and moment; a routing code from the
// recipient's city, so that the demo's labels look like a courier's.
class SimulatedCarrier : public Carrier {
 public:
  std::string Name() const override { return "simulated"; }
  CarrierResult<Booking> Book(const BookingRequest& r) override {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    long long digits = 0;
    for (char c : r.carrier_order_id) {
      if (c >= '0' && c <= '9') digits = (digits * 10 + (c - '0')) % 100000000;
    }
    char number[32];
    std::snprintf(number, sizeof number, "SIM%08lld%04lld", digits,
                  static_cast<long long>(now % 10000));
    Booking booking;
    booking.waybill = number;
    return booking;
  }
  CarrierResult<void> Cancel(const std::string&, const std::string&) override { return {}; }
};

// The carriers file's real carriers added to `carriers`; nlohmann's type errors are thrown.
tl::expected<Carriers, std::string> ReadCarriersFile(Carriers carriers,
                                                     const std::string& credentials_json) {
  const nlohmann::json file = nlohmann::json::parse(credentials_json, nullptr, false);
  if (!file.is_object())
    return tl::unexpected(std::string("the carriers file is not a JSON object"));
  for (const auto& [name, part] : file.items()) {
    if (name != "sf" && name != "kuaidi100" && name != "comment") {
      return tl::unexpected("the carriers file has \"" + name +
                            "\": it takes sf and kuaidi100 (and a comment)");
    }
  }
  std::string error;
  if (file.contains("sf")) {
    auto sf = MakeSfExpress(file["sf"], error);
    if (!sf) return tl::unexpected(error);
    carriers.sf_check_word = file["sf"]["check_word"].get<std::string>();
    carriers.Add(std::move(sf));
  }
  if (file.contains("kuaidi100")) {
    auto couriers = MakeKuaidi100(file["kuaidi100"], error);
    if (couriers.empty()) return tl::unexpected(error);
    carriers.kuaidi100_salt = file["kuaidi100"]["salt"].get<std::string>();
    for (auto& c : couriers) carriers.Add(std::move(c));
  }
  return carriers;
}

}  // namespace

std::string Carrier::DisplayName() const { return CarrierDisplayName(Name()); }

CarrierResult<void> Carrier::Cancel(const std::string&, const std::string&) {
  return tl::unexpected(NotSupported(DisplayName(),
                                     "cannot cancel through Keepsake: call the "
                                     "courier and keep the parcel"));
}

CarrierResult<std::vector<TrackingEvent>> Carrier::Track(const std::string&, const std::string&) {
  return tl::unexpected(NotSupported(DisplayName(), "has no tracking query"));
}

CarrierResult<void> Carrier::Subscribe(const std::string&, const std::string&) {
  return tl::unexpected(NotSupported(DisplayName(), "pushes no tracking to Keepsake"));
}

tl::expected<void, std::string> Carrier::CheckWaybill(const std::string& number) const {
  if (number.size() < 6 || number.size() > 40) {
    return tl::unexpected("a waybill number has 6 to 40 characters; this one has " +
                          std::to_string(number.size()));
  }
  for (size_t i = 0; i < number.size(); ++i) {
    // Code 128 (sets A and B) carries printable ASCII; a label could not show anything else
    const auto c = static_cast<unsigned char>(number[i]);
    if (c < 0x21 || c > 0x7E) {
      return tl::unexpected(
          "a waybill number has letters, digits and signs only (no spaces, no "
          "other scripts): a label's Code 128 cannot carry character " +
          std::to_string(i + 1));
    }
  }
  return {};
}

Carrier* Carriers::Find(const std::string& name) const {
  for (const auto& c : carriers_) {
    if (c->Name() == name) return c.get();
  }
  return nullptr;
}

std::vector<std::string> Carriers::Names() const {
  std::vector<std::string> names;
  for (const auto& c : carriers_) names.push_back(c->Name());
  return names;
}

CarrierResult<std::vector<WaybillScans>> Carriers::ReadSfPush(const FormFields& form) const {
  if (sf_check_word.empty()) {
    return tl::unexpected(CarrierError{CarrierErrc::kUnauthorized,
                                       "SF Express is not configured on this server", ""});
  }
  return ReadSfRoutePush(form, sf_check_word);
}

CarrierResult<std::vector<WaybillScans>> Carriers::ReadKuaidi100Push(const FormFields& form) const {
  if (kuaidi100_salt.empty()) {
    return tl::unexpected(
        CarrierError{CarrierErrc::kUnauthorized, "Kuaidi100 is not configured on this server", ""});
  }
  return logistics::ReadKuaidi100Push(form, kuaidi100_salt);
}

tl::expected<Carriers, std::string> MakeCarriers(bool allow_simulated,
                                                 const std::string& credentials_json) {
  Carriers carriers;
  carriers.Add(std::make_unique<ManualCarrier>());
  if (allow_simulated) carriers.Add(std::make_unique<SimulatedCarrier>());
  if (credentials_json.empty()) return carriers;
  try {
    return ReadCarriersFile(std::move(carriers), credentials_json);
  } catch (const nlohmann::json::exception& e) {
    // a field of the wrong type (a number where a text belongs); the message names no value
    return tl::unexpected("the carriers file has a field of the wrong type (" +
                          std::string(e.what()) + ")");
  }
}

std::string CarrierDisplayName(const std::string& name) {
  static const std::pair<const char*, const char*> names[] = {
      {"sf", "SF Express 顺丰速运"},     {"zto", "ZTO Express 中通快递"},
      {"yto", "YTO Express 圆通速递"},   {"sto", "STO Express 申通快递"},
      {"jd", "JD Logistics 京东物流"},   {"ems", "China Post EMS"},
      {"simulated", "Simulated Express"}};
  for (const auto& [n, display] : names) {
    if (name == n) return display;
  }
  return name;
}

std::unique_ptr<Carrier> MakeCarrier(const std::string& name) {
  if (name == "manual") return std::make_unique<ManualCarrier>();
  if (name == "simulated") return std::make_unique<SimulatedCarrier>();
  return nullptr;
}

tl::expected<std::map<std::string, std::string>, std::string> CutOffTimes(
    const std::string& assets_dir) {
  auto settings = LogisticsSettings(assets_dir);
  if (!settings) return tl::unexpected(settings.error().message);
  std::map<std::string, std::string> times{{"default", "18:00"}};
  const nlohmann::json& cut_off = settings->value("cut_off", nlohmann::json::object());
  if (!cut_off.is_object())
    return tl::unexpected(std::string("logistics.json: cut_off must be an object"));
  for (const auto& [carrier, at] : cut_off.items()) {
    static const std::regex kClock("([01][0-9]|2[0-3]):[0-5][0-9]");
    const std::string text = at.is_string() ? at.get<std::string>() : "";
    const bool clock = std::regex_match(text, kClock);
    if (!clock) {
      return tl::unexpected("logistics.json: cut_off." + carrier + " must be a time of day, HH:MM");
    }
    times[carrier] = text;
  }
  return times;
}

}  // namespace keepsake::logistics
