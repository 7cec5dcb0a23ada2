// Which parcels are stuck, by the clock: each state's limit from logistics.json, the clock
// running from the newer of the last change and the last scan.
#include "keepsake/logistics/stuck.hpp"

#include <gtest/gtest.h>

#include "keepsake/orders/sla.hpp"

namespace keepsake::logistics {
namespace {

constexpr int64_t kHour = 3'600'000;

logistics::Shipment Parcel(const std::string& state, const std::string& updated,
                           const std::string& scanned = "") {
  logistics::Shipment s;
  s.state = state;
  s.updated_at = updated;
  s.last_scan_at = scanned;
  return s;
}

TEST(Stuck, EachStateHasItsLimitAndAScanRestartsTheClock) {
  const StuckLimits limits = StuckLimitsFromJson(R"({"stuck_after_hours": {"in_transit": 48}})");
  const int64_t now = orders::UnixMsFromIso("2026-11-30T12:00:00Z");
  // label printed 30 h ago and never handed over (default limit 24 h)
  auto waiting = StuckReason(Parcel("label_printed", "2026-11-29T06:00:00.000Z"), now, limits);
  ASSERT_TRUE(waiting);
  EXPECT_EQ(waiting->Text(), "waiting for 30 h in label_printed (limit 24 h)");
  EXPECT_EQ(waiting->code, "waiting");
  EXPECT_EQ(waiting->hours, 30);
  EXPECT_EQ(waiting->limit_h, 24);
  EXPECT_FALSE(StuckReason(Parcel("label_printed", "2026-11-30T00:00:00.000Z"), now, limits));
  // in transit since 3 days, limit 48 h from the file; a scan 10 h ago restarts the clock
  auto silent = StuckReason(Parcel("in_transit", "2026-11-27T12:00:00.000Z"), now, limits);
  ASSERT_TRUE(silent);
  EXPECT_EQ(silent->Text(), "no scan for 72 h in in_transit (limit 48 h)");
  EXPECT_EQ(silent->code, "no_scan");
  EXPECT_FALSE(StuckReason(Parcel("in_transit", "2026-11-27T12:00:00.000Z", "2026-11-30T02:00:00Z"),
                           now, limits));
  // states that need a person are stuck at once; delivered never is
  EXPECT_EQ(StuckReason(Parcel("attempt_failed", "2026-11-30T11:59:00.000Z"), now, limits)->Text(),
            "needs a person: attempt_failed");
  EXPECT_FALSE(StuckReason(Parcel("delivered", "2026-10-01T00:00:00.000Z"), now, limits));
  EXPECT_EQ(now - orders::UnixMsFromIso("2026-11-30T11:00:00Z"), kHour);
}

TEST(Stuck, ABrokenOrPartialFileKeepsTheDefaults) {
  const int64_t now = orders::UnixMsFromIso("2026-11-30T12:00:00Z");
  for (const char* text : {"not json", "{}", R"({"stuck_after_hours": {"created": -3}})",
                           R"({"stuck_after_hours": "soon"})"}) {
    const StuckLimits limits = StuckLimitsFromJson(text);
    EXPECT_EQ(limits.hours.at("created"), 24) << text;
    EXPECT_TRUE(StuckReason(Parcel("created", "2026-11-29T10:00:00.000Z"), now, limits)) << text;
  }
}

}  // namespace
}  // namespace keepsake::logistics
