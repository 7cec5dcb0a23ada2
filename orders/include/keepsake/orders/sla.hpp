// Service levels of customer-service tickets, as the service contract sets them (data:
// assets/sla.json): a first response within N minutes for every ticket, and a resolution
// within the hours of the ticket's level (1 most urgent). The resolution clock pauses while the
// ticket waits for the customer. Pure functions of a ticket and a time: the list views, the
// breach sweep and the tests all use the same arithmetic.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "keepsake/orders/error.hpp"
#include "keepsake/orders/types.hpp"

namespace keepsake::orders {

struct SlaPolicy {
  int first_response_minutes = 5;
  std::array<int, 4> resolution_hours{2, 4, 6, 24};  // levels 1-4
  int claim_window_days = 30;                        // warranty claims: days after delivery
  int complete_days_after_delivery = 7;  // a delivered order completes by itself after these

  // {"first_response_minutes": 5, "resolution_hours": {"1": 2, "2": 4, "3": 6, "4": 24}}.
  // Errors: kInvalidArgument naming what is wrong.
  static Result<SlaPolicy> Parse(const std::string& json_text);
  static Result<SlaPolicy> Load(const std::string& path);
};

struct SlaStatus {
  std::string first_response_due;  // ISO 8601 UTC
  std::string resolution_due;      // ISO 8601 UTC; empty while the clock is paused
  bool paused = false;             // waiting for the customer
  int64_t resolution_ms_left = 0;  // negative once breached; frozen while paused or resolved
  bool first_response_breached = false;
  bool resolution_breached = false;
};

// The ticket's due times and breaches at `now_ms`.
SlaStatus ComputeSla(const Ticket& ticket, const SlaPolicy& policy, int64_t now_ms);

// The p-th percentile (0..1) of `values` by the nearest-rank method; 0 for none.
double Percentile(std::vector<double> values, double p);

// ISO 8601 UTC ("2026-11-23T15:11:37.123Z", milliseconds optional) to Unix milliseconds;
// -1 when the text is not such a time.
int64_t UnixMsFromIso(const std::string& iso);
std::string IsoFromUnixMs(int64_t ms);

}  // namespace keepsake::orders
