// The HTTP API (/api/v1/...) on cpp-httplib: JSON in and out, problem+json errors, bearer
// tokens with roles, and a pre-routing guard that closes the holes of cpp-httplib 0.11.4
// (no chunked or compressed bodies, Content-Length required and checked before the body is
// read, the peer address taken from the socket only, a bounded handler pool, timeouts).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "keepsake/orders/product_catalog.hpp"
#include "keepsake/orders/role.hpp"
#include "keepsake/orders/store.hpp"
#include "keepsake/services/config.hpp"

namespace keepsake::services {

class JobRunner;

// One row of the route table: every route names the roles that may call it. An empty list
// means the route is public (only /healthz).
struct RouteInfo {
  std::string method;
  std::string path;  // template, e.g. /api/v1/orders/{id}
  std::vector<orders::Role> roles;
};

// The route table as served; tests walk it (every route x every role).
std::vector<RouteInfo> ApiRoutes();

class ApiServer {
 public:
  ApiServer(const ServerConfig& config, orders::Store& store, const orders::ProductCatalog& catalog,
            JobRunner* runner);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds config.host:config.port (port 0 picks a free one). Returns the bound port or -1
  // (TlsError() says when the certificate or key was the reason).
  int Bind();
  std::string TlsError() const;
  // Serves until Stop(). Returns false if the socket failed.
  bool Listen();
  void Stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace keepsake::services
