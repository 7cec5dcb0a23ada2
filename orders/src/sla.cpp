#include "keepsake/orders/sla.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace keepsake::orders {

using nlohmann::json;

Result<SlaPolicy> SlaPolicy::Parse(const std::string& json_text) {
  const json doc = json::parse(json_text, nullptr, false);
  if (!doc.is_object()) return Fail(Errc::kInvalidArgument, "the SLA policy must be a JSON object");
  SlaPolicy policy;
  if (!doc.contains("first_response_minutes") ||
      !doc["first_response_minutes"].is_number_integer() ||
      doc["first_response_minutes"].get<int>() <= 0) {
    return Fail(Errc::kInvalidArgument, "first_response_minutes must be a positive integer");
  }
  policy.first_response_minutes = doc["first_response_minutes"].get<int>();
  const json hours = doc.value("resolution_hours", json());
  for (int level = 1; level <= 4; ++level) {
    const std::string key = std::to_string(level);
    if (!hours.is_object() || !hours.contains(key) || !hours[key].is_number_integer() ||
        hours[key].get<int>() <= 0) {
      return Fail(Errc::kInvalidArgument,
                  "resolution_hours must give a positive number of hours for levels 1 to 4 "
                  "(level " +
                      key + " is missing)");
    }
    policy.resolution_hours[level - 1] = hours[key].get<int>();
  }
  if (doc.contains("claim_window_days")) {
    if (!doc["claim_window_days"].is_number_integer() || doc["claim_window_days"].get<int>() < 0) {
      return Fail(Errc::kInvalidArgument, "claim_window_days must be a whole number of days");
    }
    policy.claim_window_days = doc["claim_window_days"].get<int>();
  }
  if (doc.contains("complete_days_after_delivery")) {
    if (!doc["complete_days_after_delivery"].is_number_integer() ||
        doc["complete_days_after_delivery"].get<int>() < 0) {
      return Fail(Errc::kInvalidArgument, "complete_days_after_delivery must be whole days");
    }
    policy.complete_days_after_delivery = doc["complete_days_after_delivery"].get<int>();
  }
  return policy;
}

Result<SlaPolicy> SlaPolicy::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(Errc::kNotFound, "cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto policy = Parse(text.str());
  if (!policy) return Fail(Errc::kInvalidArgument, path + ": " + policy.error().message);
  return policy;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  // nearest rank: the smallest value with at least p of the values at or below it
  const auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

int64_t UnixMsFromIso(const std::string& iso) {
  std::tm t{};
  int ms = 0;
  char zone = 0;
  int consumed = 0;
  if (std::sscanf(iso.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &t.tm_year, &t.tm_mon, &t.tm_mday,
                  &t.tm_hour, &t.tm_min, &t.tm_sec, &consumed) != 6) {
    return -1;
  }
  const char* rest = iso.c_str() + consumed;
  if (*rest == '.') {
    int digits = 0;
    if (std::sscanf(rest, ".%3d%n", &ms, &digits) != 1 || digits != 4) return -1;
    rest += digits;
  }
  zone = *rest;
  if (zone != 'Z' || rest[1] != '\0') return -1;
  if (t.tm_mon < 1 || t.tm_mon > 12 || t.tm_mday < 1 || t.tm_mday > 31 || t.tm_hour > 23 ||
      t.tm_min > 59 || t.tm_sec > 60) {
    return -1;
  }
  t.tm_year -= 1900;
  t.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&t)) * 1000 + ms;
}

std::string IsoFromUnixMs(int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

SlaStatus ComputeSla(const Ticket& ticket, const SlaPolicy& policy, int64_t now_ms) {
  SlaStatus s;
  const int64_t created = UnixMsFromIso(ticket.created_at);
  const int64_t first_due = created + int64_t{policy.first_response_minutes} * 60'000;
  s.first_response_due = IsoFromUnixMs(first_due);
  // resolving a ticket answers it too (a call settled on the phone needs no message after)
  const std::string& first =
      ticket.first_response_at.empty() ? ticket.resolved_at : ticket.first_response_at;
  const int64_t answered = first.empty() ? -1 : UnixMsFromIso(first);
  s.first_response_breached = answered >= 0 ? answered > first_due : now_ms > first_due;

  const int level = std::clamp(ticket.level, 1, 4);
  const int64_t allowed = int64_t{policy.resolution_hours[level - 1]} * 3'600'000;
  // the clock stops when the ticket is resolved, and does not run while it waits for the
  // customer (paused_ms holds the pauses already over, paused_since the current one)
  const int64_t end = ticket.resolved_at.empty() ? now_ms : UnixMsFromIso(ticket.resolved_at);
  int64_t paused = ticket.paused_ms;
  s.paused = !ticket.paused_since.empty();
  if (s.paused) paused += std::max<int64_t>(0, end - UnixMsFromIso(ticket.paused_since));
  const int64_t used = end - created - paused;
  s.resolution_ms_left = allowed - used;
  s.resolution_breached = s.resolution_ms_left < 0;
  if (!s.paused) s.resolution_due = IsoFromUnixMs(created + allowed + paused);
  return s;
}

}  // namespace keepsake::orders
