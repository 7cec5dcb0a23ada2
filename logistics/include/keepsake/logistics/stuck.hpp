// Which parcels are stuck: the lead's at-a-glance list. A parcel is stuck when it needs a
// person (attempt_failed, exception, returned, expired) or when it has stayed in a state longer
// than that state's limit (a label printed a day ago and never handed over, no scan for three
// days in transit). The limits are data (assets/logistics.json, "stuck_after_hours").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "keepsake/logistics/shipment.hpp"

namespace keepsake::logistics {

struct StuckLimits {
  std::map<std::string, int> hours;  // state -> hours it may last before the parcel is stuck
};

// The limits from logistics.json's "stuck_after_hours" object; states it does not name keep
// the defaults (created and label_printed 24 h, handed_over 48 h, in_transit 72 h,
// out_for_delivery 24 h, available_for_pickup 72 h).
StuckLimits StuckLimitsFromJson(const std::string& logistics_json);

// Why a parcel is stuck: its kind and numbers, for a page to word in its own language, and
// Text() in English ("no scan for 80 h in in_transit (limit 72 h)").
struct Stuck {
  std::string code;  // needs_person (a state that waits for someone), no_scan, waiting
  std::string state;
  int64_t hours = 0;    // in that state (no_scan, waiting)
  int64_t limit_h = 0;  // what the state may last
  std::string Text() const;
};

// Why the parcel is stuck, or nullopt. The clock runs from the newer of the last state change
// and the last scan.
std::optional<Stuck> StuckReason(const Shipment& parcel, int64_t now_ms, const StuckLimits& limits);

}  // namespace keepsake::logistics
