#include "keepsake/logistics/carrier.hpp"

#include <chrono>
#include <cstdio>

namespace keepsake::logistics {

namespace {

class ManualCarrier : public Carrier {
 public:
  std::string Name() const override { return "manual"; }
  tl::expected<std::string, std::string> IssueWaybill(const std::string&, int) override {
    return tl::unexpected(std::string(
        "the manual carrier issues no numbers: type or scan the courier's waybill number"));
  }
};

// Numbers like SIM + 12 digits, unique per order, parcel and moment.
class SimulatedCarrier : public Carrier {
 public:
  std::string Name() const override { return "simulated"; }
  tl::expected<std::string, std::string> IssueWaybill(const std::string& order_number,
                                                      int parcel) override {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    long long digits = 0;
    for (char c : order_number) {
      if (c >= '0' && c <= '9') digits = digits * 10 + (c - '0');
    }
    char number[32];
    std::snprintf(number, sizeof number, "SIM%06lld%02d%04lld", digits % 1000000, parcel % 100,
                  static_cast<long long>(now % 10000));
    return std::string(number);
  }
};

}  // namespace

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

std::unique_ptr<Carrier> MakeCarrier(const std::string& name) {
  if (name == "manual") return std::make_unique<ManualCarrier>();
  if (name == "simulated") return std::make_unique<SimulatedCarrier>();
  return nullptr;
}

std::vector<std::string> CarrierNames() { return {"manual", "simulated"}; }

}  // namespace keepsake::logistics
