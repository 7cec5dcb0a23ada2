// Service-level arithmetic: due times for every level, the pause while waiting for the
// customer, the first-response clock, and the policy file's checks.
#include <gtest/gtest.h>

#include "keepsake/orders/sla.hpp"
#include "test_support.hpp"

namespace keepsake::orders {
namespace {

constexpr int64_t kMinute = 60'000, kHour = 60 * kMinute;
const int64_t kCreated = UnixMsFromIso("2026-11-23T09:00:00.000Z");

Ticket At(int level) {
  Ticket t;
  t.level = level;
  t.state = "open";
  t.created_at = IsoFromUnixMs(kCreated);
  return t;
}

TEST(Sla, ResolutionDueByLevelFromTheContract) {
  const SlaPolicy policy;  // 5 minutes; 2, 4, 6, 24 hours
  const std::array<const char*, 4> due = {"2026-11-23T11:00:00.000Z", "2026-11-23T13:00:00.000Z",
                                          "2026-11-23T15:00:00.000Z", "2026-11-24T09:00:00.000Z"};
  for (int level = 1; level <= 4; ++level) {
    const SlaStatus s = ComputeSla(At(level), policy, kCreated + kMinute);
    EXPECT_EQ(s.resolution_due, due[level - 1]) << level;
    EXPECT_EQ(s.first_response_due, "2026-11-23T09:05:00.000Z");
    EXPECT_FALSE(s.resolution_breached);
    EXPECT_FALSE(s.first_response_breached);
  }
  // one minute past level 1's two hours: breached
  const SlaStatus late = ComputeSla(At(1), policy, kCreated + 2 * kHour + kMinute);
  EXPECT_TRUE(late.resolution_breached);
  EXPECT_EQ(late.resolution_ms_left, -kMinute);
  EXPECT_TRUE(late.first_response_breached);  // nobody answered
}

TEST(Sla, FirstResponseInTimeOrLate) {
  const SlaPolicy policy;
  Ticket t = At(3);
  t.first_response_at = IsoFromUnixMs(kCreated + 4 * kMinute);
  EXPECT_FALSE(ComputeSla(t, policy, kCreated + kHour).first_response_breached);
  t.first_response_at = IsoFromUnixMs(kCreated + 6 * kMinute);
  EXPECT_TRUE(ComputeSla(t, policy, kCreated + kHour).first_response_breached);
  // resolved within the 5 minutes without a message: answered in time
  Ticket settled = At(3);
  settled.resolved_at = IsoFromUnixMs(kCreated + 3 * kMinute);
  EXPECT_FALSE(ComputeSla(settled, policy, kCreated + kHour).first_response_breached);
}

TEST(Sla, TheClockPausesWhileWaitingForTheCustomer) {
  const SlaPolicy policy;
  Ticket t = At(2);  // 4 hours
  // waited 3 hours for the customer (over), and waiting again since 30 minutes
  t.paused_ms = 3 * kHour;
  t.paused_since = IsoFromUnixMs(kCreated + 5 * kHour);
  SlaStatus s = ComputeSla(t, policy, kCreated + 5 * kHour + 30 * kMinute);
  EXPECT_TRUE(s.paused);
  EXPECT_TRUE(s.resolution_due.empty());
  EXPECT_EQ(s.resolution_ms_left, 2 * kHour);  // 2 h used of 4
  EXPECT_FALSE(s.resolution_breached);
  // back from the customer: the due time moves by the pauses
  t.paused_ms = 3 * kHour + 30 * kMinute;
  t.paused_since.clear();
  s = ComputeSla(t, policy, kCreated + 5 * kHour + 30 * kMinute);
  EXPECT_EQ(s.resolution_due, IsoFromUnixMs(kCreated + 4 * kHour + 3 * kHour + 30 * kMinute));
  // resolved: the clock stops at the resolution
  t.resolved_at = IsoFromUnixMs(kCreated + 6 * kHour);
  s = ComputeSla(t, policy, kCreated + 100 * kHour);
  EXPECT_FALSE(s.resolution_breached);
  EXPECT_EQ(s.resolution_ms_left, 4 * kHour - (6 * kHour - 3 * kHour - 30 * kMinute));
}

TEST(Sla, PercentileByNearestRank) {
  std::vector<double> ten;
  for (int i = 10; i >= 1; --i) ten.push_back(i);
  EXPECT_EQ(Percentile(ten, 0.5), 5);
  EXPECT_EQ(Percentile(ten, 0.9), 9);
  EXPECT_EQ(Percentile(ten, 1.0), 10);
  EXPECT_EQ(Percentile({7}, 0.9), 7);
  EXPECT_EQ(Percentile({}, 0.5), 0);
}

TEST(Sla, PolicyFileIsChecked) {
  EXPECT_TRUE(SlaPolicy::Load(keepsake::testing::SourceDir() + "/assets/sla.json"));
  auto missing = SlaPolicy::Parse(R"({"first_response_minutes": 5, "resolution_hours": {"1": 2}})");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("level 2"), std::string::npos);
  EXPECT_FALSE(SlaPolicy::Parse(R"({"first_response_minutes": 0})"));
  EXPECT_EQ(UnixMsFromIso("2026-11-23 09:00"), -1);
  EXPECT_EQ(UnixMsFromIso("2026-11-23T09:00:00+08:00"), -1);
  EXPECT_EQ(IsoFromUnixMs(UnixMsFromIso("2026-02-28T23:59:59.999Z")), "2026-02-28T23:59:59.999Z");
}

}  // namespace
}  // namespace keepsake::orders
