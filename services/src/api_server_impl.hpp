// Private to the API: the server's state, its route table and its handlers, shared by
// api_server.cpp (guard, dispatch, orders, items, assets, jobs) and api_support.cpp (customer
// service: search, tickets, reveal, audit, purge).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "connection_reaper.hpp"
#include "keepsake/orders/product_catalog.hpp"
#include "keepsake/orders/sla.hpp"
#include "keepsake/orders/store.hpp"
#include "keepsake/services/api_server.hpp"
#include "keepsake/services/job_runner.hpp"
#include "keepsake/services/metrics.hpp"
#include "keepsake/services/paths.hpp"
#include "keepsake/services/problem.hpp"
#include "rate_limit.hpp"

namespace keepsake::services {

using nlohmann::json;
using orders::Role;

// What the guard, the handlers and the logger share about the request on this thread
// (cpp-httplib runs a request's guard, handler and logger on one thread).
struct RequestState {
  std::string request_id;
  std::chrono::steady_clock::time_point started;
  std::string route = "(no route)";
  std::string role = "-";
  // set by the guard for a request with a body: its token was checked before the body was read
  std::optional<orders::Actor> actor;
  std::string client;  // the client's address (the proxy's header only from a trusted proxy)
};
extern thread_local RequestState tl_request;

struct Context {
  orders::Actor actor;
  std::string peer;
};

inline constexpr Role kChannel = Role::kChannel, kModeler = Role::kModeler, kCs = Role::kCs,
                      kLogistics = Role::kLogistics, kProduction = Role::kProduction,
                      kAdmin = Role::kAdmin;

struct ApiServer::Impl {
  using Handler = void (Impl::*)(const Context&, const httplib::Request&, httplib::Response&);
  struct Route {
    const char* method;
    const char* regex;  // cpp-httplib matches the whole path
    const char* path;   // template shown in logs, metrics and the route table
    std::vector<Role> roles;
    Handler handler;
  };
  static const std::vector<Route>& Routes();

  Impl(const ServerConfig& c, orders::Store& s, const orders::ProductCatalog& p, JobRunner* r)
      : config(c),
        store(s),
        catalog(p),
        runner(r),
        paths(c.data_dir),
        auth_failures(c.auth_failures_per_minute),
        personal_searches(c.personal_searches_per_minute) {}

  ServerConfig config;
  orders::Store& store;
  const orders::ProductCatalog& catalog;
  JobRunner* runner;
  DataPaths paths;
  Metrics metrics;
  httplib::Server server;
  std::mutex inflight_mutex;
  std::set<std::string> inflight_keys;
  int port = -1;  // bound
  // connections waiting for a handler thread; slow clients that hold a thread are closed
  std::shared_ptr<std::atomic<size_t>> waiting_connections =
      std::make_shared<std::atomic<size_t>>(0);
  std::unique_ptr<ConnectionReaper> reaper;  // from Listen() on
  RateLimiter auth_failures;                 // unknown or revoked tokens, per peer address
  RateLimiter personal_searches;             // searches by phone or name, per peer address
  // A 429 with Retry-After when `limiter` has no token left for the peer (taking one if
  // `take`); false when the request may go on.
  bool Limited(RateLimiter& limiter, bool take, const httplib::Request& req, httplib::Response& res,
               const std::string& what);

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

  // replies
  void Reply(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
  }
  void ReplyProblem(const httplib::Request& req, httplib::Response& res, const Problem& p) {
    res.status = p.status;
    res.set_content(ProblemBody(p, req.path, tl_request.request_id), "application/problem+json");
    if (p.status == 401) res.set_header("WWW-Authenticate", "Bearer");
  }
  void ReplyError(const httplib::Request& req, httplib::Response& res, const orders::Error& e) {
    if (e.code == orders::Errc::kStorage || e.code == orders::Errc::kDiskFull) {
      spdlog::error("request_id={} event=storage_error error=\"{}\"", tl_request.request_id,
                    e.message);
    }
    ReplyProblem(req, res, ToProblem(e));
  }
  std::optional<json> Body(const httplib::Request& req, httplib::Response& res, bool required);
  // The query parameter `name` as a decimal integer in [min, max] into `out` (left alone when
  // the parameter is absent); false after a 400 that names the parameter and its range.
  bool QueryInteger(const httplib::Request& req, httplib::Response& res, const char* name,
                    int64_t min, int64_t max, std::optional<int64_t>& out);
  std::optional<orders::Order> LoadOrder(const httplib::Request& req, httplib::Response& res);
  // An order by its id (digits) or its number (KS00000042).
  orders::Result<orders::Order> FindOrder(const std::string& key);
  // The body's optional "version" (optimistic concurrency) into `out`; false (and a 422
  // reply) when it is there but not an integer.
  bool BodyVersion(const json& body, const httplib::Request& req, httplib::Response& res,
                   std::optional<int64_t>& out);

  // handlers
  void Healthz(const Context&, const httplib::Request&, httplib::Response&);
  void Session(const Context&, const httplib::Request&, httplib::Response&);
  void OpenApi(const Context&, const httplib::Request&, httplib::Response&);
  // GET /console/...: the staff console's static files (not an API route)
  void ConsoleFile(const httplib::Request&, httplib::Response&);
  json openapi;  // assets/openapi.json with the route table's roles merged in (Configure)
  void MetricsText(const Context&, const httplib::Request&, httplib::Response&);
  void StateMachines(const Context&, const httplib::Request&, httplib::Response&);
  void Products(const Context&, const httplib::Request&, httplib::Response&);
  void UploadAsset(const Context&, const httplib::Request&, httplib::Response&);
  void GetAsset(const Context&, const httplib::Request&, httplib::Response&);
  void AssetFile(const Context&, const httplib::Request&, httplib::Response&);
  void CreateOrder(const Context&, const httplib::Request&, httplib::Response&);
  void ListOrders(const Context&, const httplib::Request&, httplib::Response&);
  void GetOrder(const Context&, const httplib::Request&, httplib::Response&);
  void OrderEvents(const Context&, const httplib::Request&, httplib::Response&);
  void CancelOrder(const Context& c, const httplib::Request& q, httplib::Response& r) {
    OrderEvent(c, q, r, "cancel");
  }
  void HoldOrder(const Context& c, const httplib::Request& q, httplib::Response& r) {
    OrderEvent(c, q, r, "hold");
  }
  void ResumeOrder(const Context& c, const httplib::Request& q, httplib::Response& r) {
    OrderEvent(c, q, r, "resume");
  }
  void OrderTransition(const Context& c, const httplib::Request& q, httplib::Response& r) {
    OrderEvent(c, q, r, "");
  }
  void OrderEvent(const Context&, const httplib::Request&, httplib::Response&,
                  const std::string& fixed_event);
  void GetItem(const Context&, const httplib::Request&, httplib::Response&);
  void ItemTransition(const Context&, const httplib::Request&, httplib::Response&);
  void ItemJobs(const Context&, const httplib::Request&, httplib::Response&);
  void GetJob(const Context&, const httplib::Request&, httplib::Response&);
  void ReviewQueue(const Context&, const httplib::Request&, httplib::Response&);
  // customer service (api_support.cpp)
  void OrderOverview(const Context&, const httplib::Request&, httplib::Response&);
  void RevealCustomer(const Context&, const httplib::Request&, httplib::Response&);
  void OpenTicket(const Context&, const httplib::Request&, httplib::Response&);
  void ListTickets(const Context&, const httplib::Request&, httplib::Response&);
  void GetTicket(const Context&, const httplib::Request&, httplib::Response&);
  void TicketMessage(const Context&, const httplib::Request&, httplib::Response&);
  void TicketTransition(const Context&, const httplib::Request&, httplib::Response&);
  void ListAudit(const Context&, const httplib::Request&, httplib::Response&);
  void ExportAudit(const Context&, const httplib::Request&, httplib::Response&);
  void Purge(const Context&, const httplib::Request&, httplib::Response&);
  void ListWebhooks(const Context&, const httplib::Request&, httplib::Response&);
  void OpenClaim(const Context&, const httplib::Request&, httplib::Response&);
  void ListClaims(const Context&, const httplib::Request&, httplib::Response&);
  void GetClaim(const Context&, const httplib::Request&, httplib::Response&);
  void DecideClaim(const Context&, const httplib::Request&, httplib::Response&);
  void MonthlyReport(const Context&, const httplib::Request&, httplib::Response&);
  void ChangeAddress(const Context&, const httplib::Request&, httplib::Response&);
  void AddOrderNote(const Context&, const httplib::Request&, httplib::Response&);
  void CreateShipment(const Context&, const httplib::Request&, httplib::Response&);
  void TrackingPush(const Context&, const httplib::Request&, httplib::Response&);
  void ShipmentTransition(const Context&, const httplib::Request&, httplib::Response&);
  void SimulateTracking(const Context&, const httplib::Request&, httplib::Response&);
  void PrintLabels(const Context&, const httplib::Request&, httplib::Response&);
  void OrderShipments(const Context&, const httplib::Request&, httplib::Response&);
  void PrintPackingSlips(const Context&, const httplib::Request&, httplib::Response&);
  void PackingQueue(const Context&, const httplib::Request&, httplib::Response&);
  void StuckShipments(const Context&, const httplib::Request&, httplib::Response&);
  static json ShipmentJson(const orders::Shipment& shipment);
  // an audit row for a reveal, an export or a search by personal data; false (and a reply)
  // when it cannot be written, so nothing is shown unaudited
  bool Audit(const Context& ctx, const httplib::Request& req, httplib::Response& res,
             const std::string& action, std::optional<int64_t> order_id, const json& detail);
  json TicketJson(const orders::Ticket& ticket) const;
  // with each photo's check in the sandbox (queued, readable with its size, or the reason)
  json ClaimJson(const orders::Claim& claim, Role viewer);
};

}  // namespace keepsake::services
