// libFuzzer: the JSON body of every API route that takes one, through the real handler (its
// parsing, its checks, the store behind it). The first byte picks the route; the rest is the
// body. Every answer must be a status, never a crash, a hang or a leak.
#include <cstdint>
#include <string>
#include <vector>

#include "api_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using keepsake::services::ApiServer;
  static keepsake::fuzz::ApiHarness harness;
  static const std::vector<const ApiServer::Impl::Route*> routes = [] {
    std::vector<const ApiServer::Impl::Route*> out;
    for (const auto& r : ApiServer::Impl::Routes()) {
      // the upload takes bytes, not JSON (the mesh and image fuzzers cover what it stores)
      if (std::string(r.method) == "POST" && std::string(r.path) != "/api/v1/assets") {
        out.push_back(&r);
      }
    }
    return out;
  }();
  if (size < 1) return 0;
  const auto& route = *routes[data[0] % routes.size()];
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  const int status = harness.Call(route, body, {{"Idempotency-Key", "fuzz-key"}});
  if (status >= 500 && status != 507) __builtin_trap();  // a 500 is a bug in our code
  return 0;
}
