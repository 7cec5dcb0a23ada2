// Tracking rules without a server: carriers' codes to statuses, and the replay that makes the
// order of arrival irrelevant (shuffled, duplicated, late scans end in the same state).
#include "keepsake/logistics/tracking.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "keepsake/logistics/carrier.hpp"

namespace keepsake::logistics {
namespace {

TEST(Tracking, CarrierCodesBecomeStatuses) {
  EXPECT_EQ(StatusFromKuaidi100(0), "in_transit");
  EXPECT_EQ(StatusFromKuaidi100(1), "in_transit");
  EXPECT_EQ(StatusFromKuaidi100(2), "exception");
  EXPECT_EQ(StatusFromKuaidi100(3), "delivered");
  EXPECT_EQ(StatusFromKuaidi100(4), "returned");
  EXPECT_EQ(StatusFromKuaidi100(5), "out_for_delivery");
  EXPECT_EQ(StatusFromKuaidi100(14), "returned");
  EXPECT_FALSE(StatusFromKuaidi100(9));
  EXPECT_FALSE(StatusFromKuaidi100(99));
  EXPECT_EQ(StatusFromAfterShipTag("OutForDelivery"), "out_for_delivery");
  EXPECT_EQ(StatusFromAfterShipTag("AttemptFail"), "attempt_failed");
  EXPECT_EQ(StatusFromAfterShipTag("InfoReceived"), "");  // changes nothing
  EXPECT_FALSE(StatusFromAfterShipTag("Teleported"));
}

std::vector<logistics::TrackingEvent> Scans() {
  return {{"a", "2026-11-20T08:00:00.000Z", "in_transit", "0", ""},
          {"b", "2026-11-20T20:00:00.000Z", "in_transit", "0", ""},
          {"c", "2026-11-21T07:30:00.000Z", "out_for_delivery", "5", ""},
          {"d", "2026-11-21T11:00:00.000Z", "attempt_failed", "AttemptFail", ""},
          {"e", "2026-11-22T08:00:00.000Z", "out_for_delivery", "5", ""},
          {"f", "2026-11-22T10:15:00.000Z", "delivered", "3", ""}};
}

std::string Replay(std::vector<logistics::TrackingEvent> events) {
  std::stable_sort(events.begin(), events.end(),
                   [](const auto& x, const auto& y) { return x.at < y.at; });
  return ReplayTracking(events);
}

TEST(Tracking, ShuffledAndDuplicatedScansEndInTheSameState) {
  EXPECT_EQ(Replay(Scans()), "delivered");
  std::mt19937 rng(1123);
  for (int round = 0; round < 50; ++round) {
    auto events = Scans();
    const auto again = Scans();
    events.insert(events.end(), again.begin(), again.end());  // every scan twice
    std::shuffle(events.begin(), events.end(), rng);
    EXPECT_EQ(Replay(events), "delivered") << round;
  }
  // a late in_transit (its time after the delivery: a carrier's mistake) changes nothing
  auto late = Scans();
  late.push_back({"g", "2026-11-23T09:00:00.000Z", "in_transit", "0", ""});
  EXPECT_EQ(Replay(late), "delivered");
  // an exception with nothing after it is where the parcel is
  auto stuck = Scans();
  stuck.resize(2);
  stuck.push_back({"x", "2026-11-21T02:00:00.000Z", "exception", "2", ""});
  EXPECT_EQ(Replay(stuck), "exception");
}

TEST(Tracking, TheOrderFollowsItsParcels) {
  const auto follow = OrderEventForParcels;
  EXPECT_EQ(follow("packed", {"in_transit"}), "ship");
  EXPECT_EQ(follow("packed", {"handed_over"}), "ship");  // handed to the courier: it has left
  EXPECT_EQ(follow("packed", {"handed_over", "label_printed"}), "");  // one still here
  EXPECT_EQ(follow("packed", {"handed_over", "cancelled"}), "ship");
  // a split: the part sent ahead arrived, the rest is still on the bench
  EXPECT_EQ(follow("packed", {"delivered", "label_printed"}), "");
  EXPECT_EQ(follow("in_production", {"delivered"}), "");
  EXPECT_EQ(follow("ready_to_pack", {"handed_over"}), "");        // packing comes first
  EXPECT_EQ(follow("shipped", {"delivered", "in_transit"}), "");  // one parcel still coming
  EXPECT_EQ(follow("shipped", {"delivered", "delivered"}), "deliver");
  EXPECT_EQ(follow("shipped", {"exception"}), "delivery_exception");
  EXPECT_EQ(follow("delivery_exception", {"delivered"}), "deliver");
  EXPECT_EQ(follow("delivered", {"in_transit"}), "");
  // sent again: the replaced parcel is left out by the caller; the new one has left
  EXPECT_EQ(follow("delivery_exception", {"handed_over"}), "reship");
  EXPECT_EQ(follow("delivery_exception", {"label_printed"}), "");
  EXPECT_EQ(follow("delivery_exception", {"exception", "handed_over"}), "");
}

TEST(Carrier, WaybillNumbersAreWhatALabelCanCarry) {
  auto manual = MakeCarrier("manual");
  ASSERT_TRUE(manual);
  EXPECT_TRUE(manual->CheckWaybill("SF1234567890"));
  EXPECT_FALSE(manual->CheckWaybill("SF12"));            // too short
  EXPECT_FALSE(manual->CheckWaybill("SF 1234567890"));   // a space
  EXPECT_FALSE(manual->CheckWaybill("顺丰1234567890"));  // not ASCII
  EXPECT_FALSE(manual->Books());
  EXPECT_FALSE(manual->Book({}));  // the lead types it
  auto simulated = MakeCarrier("simulated");
  ASSERT_TRUE(simulated);
  BookingRequest request;
  request.carrier_order_id = "KS00000042-P1";
  auto issued = simulated->Book(request);
  ASSERT_TRUE(issued);
  EXPECT_TRUE(simulated->CheckWaybill(issued->waybill));
  EXPECT_EQ(MakeCarrier("pigeon"), nullptr);
}

}  // namespace
}  // namespace keepsake::logistics
