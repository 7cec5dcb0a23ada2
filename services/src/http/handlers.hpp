// What every route handler shares: the server's state (ApiState), the request's context, the
// route row, and the replies and body readers that every handler uses. A resource's handlers
// are one class deriving from Handlers in http/routes/<resource>.cpp, next to its route rows.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <semaphore>
#include <set>
#include <string>
#include <vector>

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "http/rate_limit.hpp"
#include "keepsake/logistics/carrier.hpp"
#include "keepsake/logistics/shipment_repository.hpp"
#include "keepsake/orders/product_catalog.hpp"
#include "keepsake/orders/store.hpp"
#include "keepsake/services/config.hpp"
#include "keepsake/services/metrics.hpp"
#include "keepsake/services/paths.hpp"
#include "keepsake/services/problem.hpp"

namespace keepsake::services {

class JobRunner;
using nlohmann::json;
using orders::Role;

// The console's session cookie, and the header its requests that change something carry.
inline constexpr const char* kSessionCookie = "keepsake_session";
inline constexpr const char* kConsoleHeader = "X-Keepsake-Console";

inline constexpr int64_t kMaxId = 999'999'999'999'999'999;  // 18 digits, as the routes allow

// What the guard, the handlers and the logger share about the request on this thread
// (cpp-httplib runs a request's guard, handler and logger on one thread).
struct RequestState {
  std::string request_id;
  std::chrono::steady_clock::time_point started;
  std::string route = "(no route)";
  std::string role = "-";
  // set by the guard for a request with a body: its token was checked before the body was read
  std::optional<orders::Actor> actor;
  std::string client;   // the client's address (the proxy's header only from a trusted proxy)
  std::string session;  // the SHA-256 of the console session's cookie it came with, if any
};
extern thread_local RequestState tl_request;

struct Context {
  orders::Actor actor;
  std::string peer;
};

inline constexpr Role kChannel = Role::kChannel, kModeler = Role::kModeler, kCs = Role::kCs,
                      kLogistics = Role::kLogistics, kProduction = Role::kProduction,
                      kAdmin = Role::kAdmin;

// The server's state that handlers reach, for the server's life.
struct ApiState {
  ApiState(const ServerConfig& c, orders::Store& s, const orders::ProductCatalog& p, JobRunner* r)
      : config(c),
        store(s),
        catalog(p),
        runner(r),
        paths(c.data_dir),
        auth_failures(c.auth_failures_per_minute),
        personal_searches(c.personal_searches_per_minute),
        carriers(logistics::MakeCarriers(c.simulated_carrier, c.carriers_json)
                     .value_or(logistics::Carriers())) {}

  ServerConfig config;
  orders::Store& store;
  const orders::ProductCatalog& catalog;
  JobRunner* runner;
  DataPaths paths;
  Metrics metrics;
  std::mutex inflight_mutex;
  std::set<std::string> inflight_keys;  // Idempotency-Keys of orders being created
  RateLimiter auth_failures;            // unknown or revoked tokens, per peer address
  RateLimiter personal_searches;        // searches by phone or name, per peer address
  // Argon2id checks of staff passwords at once (each takes 64 MiB for a tenth of a second)
  std::counting_semaphore<2> password_checks{2};
  json openapi;  // assets/openapi.json with the route table's roles merged in
  // the carriers this server offers (checked at start: serve refuses a wrong carriers file)
  logistics::Carriers carriers;
};

using HandlerFn = void (*)(ApiState&, const Context&, const httplib::Request&, httplib::Response&);

// One row of the route table.
struct Route {
  const char* method;
  const char* regex;  // cpp-httplib matches the whole path
  const char* path;   // template shown in logs, metrics and the route table
  std::vector<Role> roles;
  HandlerFn handler;
};

// A route row's handler: `Method` of a fresh `T` (a few references) over the server's state.
template <class T, void (T::*Method)(const Context&, const httplib::Request&, httplib::Response&)>
void Call(ApiState& api, const Context& ctx, const httplib::Request& req, httplib::Response& res) {
  T handlers(api);
  (handlers.*Method)(ctx, req, res);
}

// --- replies (free: the guard uses them too) ---------------------------------------------------

void Reply(httplib::Response& res, int status, const json& body);
void ReplyProblem(const httplib::Request& req, httplib::Response& res, const Problem& p);
void ReplyError(const httplib::Request& req, httplib::Response& res, const orders::Error& e);
// A carrier's refusal or silence as a problem (422 refused, 502 silent or unreadable, 409 a
// booking it will not name, 501 not done by this carrier), with our carrier order id.
void ReplyCarrierFailure(const httplib::Request& req, httplib::Response& res,
                         const logistics::CarrierError& e, const std::string& carrier_order_id);
// A 422 invalid_field naming the body field and what it takes.
void ReplyInvalid(const httplib::Request& req, httplib::Response& res, const std::string& message,
                  const std::string& field, std::vector<std::string> allowed = {});
// A 429 with Retry-After when `limiter` has no token left for the peer (taking one if `take`);
// false when the request may go on.
bool Limited(RateLimiter& limiter, bool take, const httplib::Request& req, httplib::Response& res,
             const std::string& what);
// The body as a JSON object (an empty one when absent and not `required`), free text checked
// for phone numbers; nullopt after a 400 or 422.
std::optional<json> Body(const httplib::Request& req, httplib::Response& res, bool required);
// The query parameter `name` as a decimal integer in [min, max] into `out` (left alone when
// the parameter is absent); false after a 400 that names the parameter and its range.
bool QueryInteger(const httplib::Request& req, httplib::Response& res, const char* name,
                  int64_t min, int64_t max, std::optional<int64_t>& out);
// The body's optional "version" (optimistic concurrency) into `out`; false (and a 422 reply)
// when it is there but not an integer.
bool BodyVersion(const json& body, const httplib::Request& req, httplib::Response& res,
                 std::optional<int64_t>& out);
// An order by its id (digits) or its number (KS00000042).
orders::Result<orders::Order> FindOrder(orders::Store& store, const std::string& key);

// The base of every resource's handlers: the state they read, and the helpers that need it.
class Handlers {
 public:
  explicit Handlers(ApiState& state)
      : api(state),
        config(state.config),
        store(state.store),
        catalog(state.catalog),
        runner(state.runner),
        paths(state.paths),
        shipping(state.store) {}

 protected:
  ApiState& api;
  const ServerConfig& config;
  orders::Store& store;
  const orders::ProductCatalog& catalog;
  JobRunner* runner;
  const DataPaths& paths;
  logistics::ShipmentRepository shipping;  // the parcels' rows (logistics), in the same store

  orders::Result<orders::Order> FindOrder(const std::string& key) {
    return services::FindOrder(store, key);
  }
  // The order that the path's {id} names, or nullopt after a 404.
  std::optional<orders::Order> LoadOrder(const httplib::Request& req, httplib::Response& res);
  // an audit row for a reveal, an export or a search by personal data; false (and a reply)
  // when it cannot be written, so nothing is shown unaudited
  bool Audit(const Context& ctx, const httplib::Request& req, httplib::Response& res,
             const std::string& action, std::optional<int64_t> order_id, const json& detail);
  // a ticket with its service-level clocks
  json TicketJson(const orders::Ticket& ticket) const;
  // a claim with each photo's check in the sandbox (queued, readable with its size, or why not)
  json ClaimJson(const orders::Claim& claim, Role viewer);
  // The carrier `name` this server offers, or nullptr after a 422 listing the offered ones.
  logistics::Carrier* OfferedCarrier(const std::string& name, const httplib::Request& req,
                                     httplib::Response& res);
  // A parcel (or a return) booked with `carrier`, which answers its waybill and codes, or, with
  // the waybill the courier gave (`shipment.tracking_number`), recorded as it is; replies 201
  // with the parcel (a booking's attempts and note beside it), or says why not: the carrier's
  // refusal or silence, a manual carrier without a waybill, a waybill a label cannot carry.
  void BookOrRecordParcel(logistics::Carrier& carrier, const logistics::NewShipment& shipment,
                          const Context& ctx, const httplib::Request& req, httplib::Response& res);
};

}  // namespace keepsake::services
