// libFuzzer: a carrier aggregator's tracking push, signed as the aggregator signs it, through
// the real handler: JSON parsing, status codes and tags, the replay of scans through the
// shipment table, the order following its parcels.
#include <cstdint>
#include <string>

#include "api_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using keepsake::services::ApiServer;
  static keepsake::fuzz::ApiHarness harness;
  static const ApiServer::Impl::Route* push = [] {
    for (const auto& r : ApiServer::Impl::Routes()) {
      if (std::string(r.path) == "/api/v1/tracking/push") return &r;
    }
    return static_cast<const ApiServer::Impl::Route*>(nullptr);
  }();
  const std::string body(reinterpret_cast<const char*>(data), size);
  const std::string signature =
      keepsake::orders::HmacSha256Hex(keepsake::fuzz::ApiHarness::kTrackingSecret, body);
  const int status = harness.Call(*push, body, {{"X-Keepsake-Tracking-Signature", signature}});
  if (status >= 500) __builtin_trap();  // a 500 is a bug in our code
  return 0;
}
