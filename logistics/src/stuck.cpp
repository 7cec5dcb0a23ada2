#include "keepsake/logistics/stuck.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "keepsake/logistics/shipment_state_machine.hpp"
#include "keepsake/orders/sla.hpp"

namespace keepsake::logistics {

StuckLimits StuckLimitsFromJson(const std::string& logistics_json) {
  StuckLimits limits{{{"created", 24},
                      {"label_printed", 24},
                      {"handed_over", 48},
                      {"in_transit", 72},
                      {"out_for_delivery", 24},
                      {"available_for_pickup", 72}}};
  const nlohmann::json settings = nlohmann::json::parse(logistics_json, nullptr, false);
  if (!settings.is_object() || !settings.contains("stuck_after_hours") ||
      !settings["stuck_after_hours"].is_object()) {
    return limits;
  }
  for (const auto& [state, hours] : settings["stuck_after_hours"].items()) {
    if (hours.is_number_integer() && hours.get<int>() > 0) limits.hours[state] = hours.get<int>();
  }
  return limits;
}

std::string Stuck::Text() const {
  if (code == "needs_person") return "needs a person: " + state;
  return std::string(code == "no_scan" ? "no scan for " : "waiting for ") + std::to_string(hours) +
         " h in " + state + " (limit " + std::to_string(limit_h) + " h)";
}

std::optional<Stuck> StuckReason(const Shipment& parcel, int64_t now_ms,
                                 const StuckLimits& limits) {
  namespace S = shipment_state;
  if (parcel.state == S::kAttemptFailed || parcel.state == S::kException ||
      parcel.state == S::kReturned || parcel.state == S::kExpired) {
    return Stuck{"needs_person", parcel.state, 0, 0};
  }
  const auto limit = limits.hours.find(parcel.state);
  if (limit == limits.hours.end()) return std::nullopt;
  const int64_t since = std::max(orders::UnixMsFromIso(parcel.updated_at),
                                 orders::UnixMsFromIso(parcel.last_scan_at));  // -1 when none
  const int64_t hours = (now_ms - since) / 3'600'000;
  if (hours < limit->second) return std::nullopt;
  const bool scanned = parcel.state != S::kCreated && parcel.state != S::kLabelPrinted;
  return Stuck{scanned ? "no_scan" : "waiting", parcel.state, hours, limit->second};
}

}  // namespace keepsake::logistics
