#include "keepsake/services/metrics.hpp"

#include <array>
#include <sstream>

namespace keepsake::services {

namespace {
constexpr std::array<double, 12> kBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                            0.1,   0.25,   0.5,   1,    2.5,   5};

// A client chooses the method it sends: labels come from a fixed set, so no request can forge
// a series or grow the page.
std::string MethodLabel(const std::string& method) {
  for (const char* known : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}) {
    if (method == known) return known;
  }
  return "other";
}

// A label value as the text exposition format escapes it: backslash, quote, line feed.
std::string Escaped(const std::string& value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

void Metrics::ObserveRequest(const std::string& raw_method, const std::string& raw_route,
                             int status, double seconds) {
  const std::string method = MethodLabel(raw_method);
  const std::string route = Escaped(raw_route);
  if (status < 100 || status > 599) status = 0;
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{method, route, status}];
  Series& s = latency_[{method, route}];
  if (s.buckets.empty()) s.buckets.assign(kBounds.size(), 0);
  ++s.count;
  s.sum += seconds;
  for (size_t i = 0; i < kBounds.size(); ++i) {
    if (seconds <= kBounds[i]) ++s.buckets[i];
  }
}

std::string Metrics::Render(const std::map<std::string, int64_t>& jobs) const {
  std::ostringstream out;
  std::lock_guard<std::mutex> lock(mutex_);
  out << "# HELP keepsake_http_requests_total HTTP requests by method, route and status.\n"
      << "# TYPE keepsake_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    const auto& [method, route, status] = key;
    out << "keepsake_http_requests_total{method=\"" << method << "\",route=\"" << route
        << "\",status=\"" << status << "\"} " << count << "\n";
  }
  out << "# HELP keepsake_http_request_duration_seconds Time to answer a request.\n"
      << "# TYPE keepsake_http_request_duration_seconds histogram\n";
  for (const auto& [key, s] : latency_) {
    const std::string labels = "method=\"" + key.first + "\",route=\"" + key.second + "\"";
    for (size_t i = 0; i < kBounds.size(); ++i) {
      out << "keepsake_http_request_duration_seconds_bucket{" << labels << ",le=\"" << kBounds[i]
          << "\"} " << s.buckets[i] << "\n";
    }
    out << "keepsake_http_request_duration_seconds_bucket{" << labels << ",le=\"+Inf\"} " << s.count
        << "\n"
        << "keepsake_http_request_duration_seconds_sum{" << labels << "} " << s.sum << "\n"
        << "keepsake_http_request_duration_seconds_count{" << labels << "} " << s.count << "\n";
  }
  out << "# HELP keepsake_jobs Jobs in the durable queue by state.\n"
      << "# TYPE keepsake_jobs gauge\n";
  for (const auto& [state, count] : jobs) {
    out << "keepsake_jobs{state=\"" << state << "\"} " << count << "\n";
  }
  return out.str();
}

}  // namespace keepsake::services
