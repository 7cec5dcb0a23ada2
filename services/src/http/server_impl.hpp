// Private to the HTTP room: the server itself. The guard (pre-routing: sizes, encodings, the
// token before the body), dispatch with object-level access for channels, and the shared state
// that every handler reaches (ApiState, http/handlers.hpp).
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <httplib.h>

#include "http/connection_reaper.hpp"
#include "http/handlers.hpp"
#include "keepsake/services/api_server.hpp"

namespace keepsake::services {

struct ApiServer::Impl {
  using Route = services::Route;
  static const std::vector<Route>& Routes();

  Impl(const ServerConfig& c, orders::Store& s, const orders::ProductCatalog& p, JobRunner* r)
      : state(c, s, p, r), config(state.config), store(state.store), server(MakeServer()) {}

  ApiState state;
  const ServerConfig& config;
  orders::Store& store;
  std::string tls_error;  // why the certificate or key could not be used ("" when they could)
  std::unique_ptr<httplib::Server> server;  // an SSLServer when config.tls_cert is set
  int port = -1;                            // bound
  // connections waiting for a handler thread; slow clients that hold a thread are closed
  std::shared_ptr<std::atomic<size_t>> waiting_connections =
      std::make_shared<std::atomic<size_t>>(0);
  std::unique_ptr<ConnectionReaper> reaper;  // from Listen() on

  // Plain, or TLS 1.2+ with forward-secret AEAD ciphers only, from config.tls_cert and
  // tls_key (a failure to load them is kept in tls_error and Bind() refuses).
  std::unique_ptr<httplib::Server> MakeServer();
  void Configure();
  httplib::Server::HandlerResponse Guard(const httplib::Request& req, httplib::Response& res);
  // The route that the method and path name, as cpp-httplib will match it, or nullptr.
  static const Route* MatchRoute(const httplib::Request& req);
  // The token's actor for `route` (which has roles), or nullopt after a 401, 403 or 429 reply.
  // Only unknown tokens are rate limited: a valid token is looked up first and always passes.
  std::optional<orders::Actor> Authenticate(const Route& route, const httplib::Request& req,
                                            httplib::Response& res);
  // The socket's peer, or, when the peer is a trusted proxy, the last address its
  // X-Forwarded-For names that is not itself a trusted proxy.
  std::string ClientAddress(const httplib::Request& req) const;
  void Dispatch(const Route& route, const httplib::Request& req, httplib::Response& res);
  // For a channel's token: the not-found message when the route's object (an order, or its
  // item, job, ticket or claim) belongs to another channel; nullopt when it may go on.
  std::optional<std::string> OtherChannelsObject(const Context& ctx, const Route& route,
                                                 const httplib::Request& req);
  // Runs the route's handler, unless the object is another channel's (404); a body field of
  // the wrong JSON type becomes a 400.
  void Handle(const Route& route, const Context& ctx, const httplib::Request& req,
              httplib::Response& res);
};

// assets/openapi.json with who may call each route, its path parameters and its problem
// answers merged in from the route table (http/openapi.cpp).
json MergeRouteTable(json doc, const std::vector<Route>& routes);

// GET /console/...: the staff console's static files (http/console_files.cpp).
void ServeConsoleFile(const ServerConfig& config, const httplib::Request& req,
                      httplib::Response& res);

}  // namespace keepsake::services
