// The HTTP API. Routes are one table (kRoutes) naming method, path, roles and handler; the
// pre-routing guard runs before cpp-httplib reads a body, so an oversize, chunked or compressed
// upload is refused without being read. RFC 9457 problems come from problem.cpp.
#include "keepsake/services/api_server.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "api_json.hpp"
#include "api_server_impl.hpp"
#include "edge_checks.hpp"
#include "keepsake/imaging/format.hpp"
#include "keepsake/logistics/shipment_state_machine.hpp"
#include "keepsake/mesh/format.hpp"
#include "keepsake/services/asset_files.hpp"
#include "keepsake/services/crypto.hpp"
#include "keepsake/services/job_runner.hpp"
#include "keepsake/services/mesh_command.hpp"
#include "keepsake/services/metrics.hpp"
#include "keepsake/services/paths.hpp"
#include "keepsake/services/print_command.hpp"
#include "keepsake/services/problem.hpp"

namespace keepsake::services {

namespace fs = std::filesystem;
using nlohmann::json;
using orders::Role;

thread_local RequestState tl_request;

namespace {
constexpr size_t kMaxHeaderFields = 100;
constexpr int64_t kMaxId = 999'999'999'999'999'999;  // 18 digits, as the route patterns allow
constexpr int kListenBacklog = 1024;
}  // namespace

namespace {

// cpp-httplib 0.11.4's ThreadPool queue is unbounded; this one blocks the accept loop when
// `capacity` connections are already waiting, so overload turns into TCP backpressure instead
// of unbounded memory.
class BoundedThreadPool : public httplib::TaskQueue {
 public:
  // `waiting` counts the connections in the queue (shared: the connection reaper reads it and
  // may outlive the pool by a moment, which cpp-httplib deletes when it stops listening).
  BoundedThreadPool(size_t threads, size_t capacity, std::shared_ptr<std::atomic<size_t>> waiting)
      : capacity_(capacity), waiting_(std::move(waiting)) {
    for (size_t i = 0; i < threads; ++i) {
      threads_.emplace_back([this] { Work(); });
    }
  }
  ~BoundedThreadPool() override = default;

  void enqueue(std::function<void()> fn) override {
    std::unique_lock<std::mutex> lock(mutex_);
    space_.wait(lock, [&] { return queue_.size() < capacity_ || shutdown_; });
    if (shutdown_) return;
    queue_.push_back(std::move(fn));
    *waiting_ = queue_.size();
    work_.notify_one();
  }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      shutdown_ = true;
    }
    work_.notify_all();
    space_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        work_.wait(lock, [&] { return !queue_.empty() || shutdown_; });
        if (shutdown_ && queue_.empty()) return;
        fn = std::move(queue_.front());
        queue_.pop_front();
        *waiting_ = queue_.size();
        space_.notify_one();
      }
      fn();
    }
  }

  size_t capacity_;
  std::shared_ptr<std::atomic<size_t>> waiting_;
  std::mutex mutex_;
  std::condition_variable work_;
  std::condition_variable space_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
  bool shutdown_ = false;
};

}  // namespace

const std::vector<ApiServer::Impl::Route>& ApiServer::Impl::Routes() {
  const std::vector<Role> everyone = {kChannel, kModeler, kCs, kLogistics, kProduction, kAdmin};
  static const std::vector<Route> routes = {
      {"GET", "/healthz", "/healthz", {}, &Impl::Healthz},
      // signed by the aggregator instead of a bearer token (checked in the handler)
      {"POST", "/api/v1/tracking/push", "/api/v1/tracking/push", {}, &Impl::TrackingPush},
      {"GET", "/metrics", "/metrics", {kAdmin}, &Impl::MetricsText},
      {"GET", "/api/v1/openapi.json", "/api/v1/openapi.json", {}, &Impl::OpenApi},
      {"GET", "/api/v1/session", "/api/v1/session", everyone, &Impl::Session},
      {"GET", "/api/v1/state-machines", "/api/v1/state-machines", everyone, &Impl::StateMachines},
      {"GET", "/api/v1/products", "/api/v1/products", everyone, &Impl::Products},
      {"POST",
       "/api/v1/assets",
       "/api/v1/assets",
       {kChannel, kCs, kModeler, kAdmin},
       &Impl::UploadAsset},
      {"GET", "/api/v1/assets/([0-9a-f]{64})", "/api/v1/assets/{id}", everyone, &Impl::GetAsset},
      {"GET",
       "/api/v1/assets/([0-9a-f]{64})/file",
       "/api/v1/assets/{id}/file",
       {kChannel, kModeler, kCs, kProduction, kAdmin},
       &Impl::AssetFile},
      {"POST", "/api/v1/orders", "/api/v1/orders", {kChannel}, &Impl::CreateOrder},
      {"GET", "/api/v1/orders", "/api/v1/orders", everyone, &Impl::ListOrders},
      {"GET", "/api/v1/orders/([A-Za-z0-9]{1,32})", "/api/v1/orders/{id}", everyone,
       &Impl::GetOrder},
      {"GET", "/api/v1/orders/([A-Za-z0-9]{1,32})/events", "/api/v1/orders/{id}/events", everyone,
       &Impl::OrderEvents},
      {"POST",
       "/api/v1/orders/([A-Za-z0-9]{1,32})/cancel",
       "/api/v1/orders/{id}/cancel",
       {kChannel, kCs, kAdmin},
       &Impl::CancelOrder},
      {"POST",
       "/api/v1/orders/([A-Za-z0-9]{1,32})/hold",
       "/api/v1/orders/{id}/hold",
       {kCs, kAdmin, kLogistics},
       &Impl::HoldOrder},
      {"POST",
       "/api/v1/orders/([A-Za-z0-9]{1,32})/resume",
       "/api/v1/orders/{id}/resume",
       {kCs, kAdmin},
       &Impl::ResumeOrder},
      {"POST",
       "/api/v1/orders/([A-Za-z0-9]{1,32})/transitions",
       "/api/v1/orders/{id}/transitions",
       {kCs, kLogistics, kProduction, kAdmin},
       &Impl::OrderTransition},
      {"GET", "/api/v1/items/([0-9]{1,18})", "/api/v1/items/{id}", everyone, &Impl::GetItem},
      {"POST",
       "/api/v1/items/([0-9]{1,18})/transitions",
       "/api/v1/items/{id}/transitions",
       {kChannel, kModeler, kCs, kProduction, kAdmin},
       &Impl::ItemTransition},
      {"GET", "/api/v1/items/([0-9]{1,18})/jobs", "/api/v1/items/{id}/jobs", everyone,
       &Impl::ItemJobs},
      {"GET", "/api/v1/jobs/([0-9]{1,18})", "/api/v1/jobs/{id}", everyone, &Impl::GetJob},
      {"GET",
       "/api/v1/review/queue",
       "/api/v1/review/queue",
       {kModeler, kAdmin},
       &Impl::ReviewQueue},
      // customer service
      {"GET",
       "/api/v1/orders/([A-Za-z0-9]{1,32})/overview",
       "/api/v1/orders/{id}/overview",
       {kCs, kAdmin},
       &Impl::OrderOverview},
      {"POST",
       "/api/v1/orders/([A-Za-z0-9]{1,32})/reveal",
       "/api/v1/orders/{id}/reveal",
       {kCs},
       &Impl::RevealCustomer},
      {"POST",
       "/api/v1/orders/([A-Za-z0-9]{1,32})/address",
       "/api/v1/orders/{id}/address",
       {kCs, kChannel},
       &Impl::ChangeAddress},
      {"POST",
       "/api/v1/orders/([A-Za-z0-9]{1,32})/notes",
       "/api/v1/orders/{id}/notes",
       {kCs, kAdmin, kModeler, kLogistics, kProduction},
       &Impl::AddOrderNote},
      {"POST",
       "/api/v1/orders/([A-Za-z0-9]{1,32})/shipments",
       "/api/v1/orders/{id}/shipments",
       {kLogistics},
       &Impl::CreateShipment},
      {"GET",
       "/api/v1/orders/([A-Za-z0-9]{1,32})/shipments",
       "/api/v1/orders/{id}/shipments",
       {kLogistics, kCs, kAdmin, kChannel},
       &Impl::OrderShipments},
      {"POST",
       "/api/v1/shipments/([0-9]{1,18})/transitions",
       "/api/v1/shipments/{id}/transitions",
       {kLogistics},
       &Impl::ShipmentTransition},
      {"POST",
       "/api/v1/shipments/([0-9]{1,18})/simulate",
       "/api/v1/shipments/{id}/simulate",
       {kLogistics, kAdmin},
       &Impl::SimulateTracking},
      {"POST", "/api/v1/labels", "/api/v1/labels", {kLogistics}, &Impl::PrintLabels},
      {"POST",
       "/api/v1/packing-slips",
       "/api/v1/packing-slips",
       {kLogistics},
       &Impl::PrintPackingSlips},
      {"GET",
       "/api/v1/packing/queue",
       "/api/v1/packing/queue",
       {kLogistics, kCs, kAdmin},
       &Impl::PackingQueue},
      {"GET",
       "/api/v1/shipments/stuck",
       "/api/v1/shipments/stuck",
       {kLogistics, kCs, kAdmin},
       &Impl::StuckShipments},
      {"POST", "/api/v1/tickets", "/api/v1/tickets", {kCs, kAdmin, kChannel}, &Impl::OpenTicket},
      {"GET", "/api/v1/tickets", "/api/v1/tickets", {kCs, kAdmin}, &Impl::ListTickets},
      {"GET",
       "/api/v1/tickets/([0-9]{1,18})",
       "/api/v1/tickets/{id}",
       {kCs, kAdmin},
       &Impl::GetTicket},
      {"POST",
       "/api/v1/tickets/([0-9]{1,18})/messages",
       "/api/v1/tickets/{id}/messages",
       {kCs, kAdmin, kChannel},
       &Impl::TicketMessage},
      {"POST",
       "/api/v1/tickets/([0-9]{1,18})/transitions",
       "/api/v1/tickets/{id}/transitions",
       {kCs, kAdmin, kChannel, kModeler, kLogistics, kProduction},
       &Impl::TicketTransition},
      {"GET", "/api/v1/audit", "/api/v1/audit", {kAdmin}, &Impl::ListAudit},
      {"GET", "/api/v1/audit/export", "/api/v1/audit/export", {kAdmin}, &Impl::ExportAudit},
      {"POST", "/api/v1/admin/purge", "/api/v1/admin/purge", {kAdmin}, &Impl::Purge},
      {"GET", "/api/v1/webhooks", "/api/v1/webhooks", {kAdmin}, &Impl::ListWebhooks},
      {"POST", "/api/v1/claims", "/api/v1/claims", {kCs, kAdmin, kChannel}, &Impl::OpenClaim},
      {"GET",
       "/api/v1/reports/monthly",
       "/api/v1/reports/monthly",
       {kAdmin, kCs},
       &Impl::MonthlyReport},
      {"GET", "/api/v1/claims", "/api/v1/claims", {kCs, kAdmin}, &Impl::ListClaims},
      {"GET",
       "/api/v1/claims/([0-9]{1,18})",
       "/api/v1/claims/{id}",
       {kCs, kAdmin, kChannel},
       &Impl::GetClaim},
      {"POST",
       "/api/v1/claims/([0-9]{1,18})/transitions",
       "/api/v1/claims/{id}/transitions",
       {kCs, kAdmin, kLogistics},
       &Impl::DecideClaim},
  };
  return routes;
}

std::vector<RouteInfo> ApiRoutes() {
  std::vector<RouteInfo> out;
  for (const auto& r : ApiServer::Impl::Routes()) out.push_back({r.method, r.path, r.roles});
  return out;
}

// --- guard, auth, dispatch --------------------------------------------------------------------

httplib::Server::HandlerResponse ApiServer::Impl::Guard(const httplib::Request& req,
                                                        httplib::Response& res) {
  using HR = httplib::Server::HandlerResponse;
  tl_request = RequestState{
      NewRequestId(), std::chrono::steady_clock::now(), "(no route)", "-", {}, ClientAddress(req)};
  if (reaper) reaper->RequestStarted(req.remote_addr, req.remote_port);
  res.set_header("X-Request-Id", tl_request.request_id);
  res.set_header("X-Content-Type-Options", "nosniff");
  auto refuse = [&](ApiErrc code, const std::string& detail) {
    // The body was not read: the connection cannot carry another request after this one.
    res.set_header("Connection", "close");
    ReplyProblem(req, res, ToProblem(code, detail));
    return HR::Handled;
  };
  // cpp-httplib keeps every header line it is sent (each up to 8 KB); the connection reaper
  // bounds how many bytes a head may have, this how many fields we look at
  if (req.headers.size() > kMaxHeaderFields) {
    return refuse(ApiErrc::kHeadersTooLarge,
                  std::to_string(req.headers.size()) + " header fields; at most " +
                      std::to_string(kMaxHeaderFields) + " are accepted");
  }
  if (req.has_header("Transfer-Encoding")) {
    return refuse(ApiErrc::kLengthRequired,
                  "chunked or other transfer encodings are not accepted; send the body with a "
                  "Content-Length");
  }
  if (req.has_header("Content-Encoding")) {
    return refuse(ApiErrc::kUnsupportedEncoding,
                  "compressed request bodies are not accepted; send the file as it is");
  }
  // We never take HTML forms. cpp-httplib parses a form-encoded body itself and refuses it
  // over 8 KB, and curl's --data-binary sends that type by default; uploads are typed by their
  // bytes and JSON routes parse JSON, so the header is dropped before the body is read. (The
  // request object is not const where cpp-httplib creates it.)
  if (req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0) {
    const_cast<httplib::Request&>(req).headers.erase("Content-Type");
  }
  const size_t lengths = req.get_header_value_count("Content-Length");
  if (lengths > 1) return refuse(ApiErrc::kBadRequest, "more than one Content-Length header");
  const bool has_body_method = req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
  if (lengths == 0) {
    if (has_body_method) {
      return refuse(ApiErrc::kLengthRequired, req.method + " needs a Content-Length header");
    }
    return HR::Unhandled;
  }
  const std::string value = req.get_header_value("Content-Length");
  if (value.empty() || value.size() > 18 ||
      value.find_first_not_of("0123456789") != std::string::npos) {
    return refuse(ApiErrc::kBadRequest, "Content-Length must be a decimal number");
  }
  const int64_t length = std::stoll(value);
  const int64_t limit =
      req.path == "/api/v1/assets" ? config.max_upload_bytes : config.max_json_bytes;
  if (length > limit) {
    return refuse(ApiErrc::kPayloadTooLarge, "the body is " + value + " bytes; the limit here is " +
                                                 std::to_string(limit) + " bytes");
  }
  if (length == 0) return HR::Unhandled;
  // Who sends a body is known before a byte of it is read: a caller without a valid token
  // for the route costs us a head, never an upload.
  const Route* route = MatchRoute(req);
  if (route == nullptr) return refuse(ApiErrc::kNoRoute, "no such endpoint; see docs/api.md");
  tl_request.route = route->path;
  if (!route->roles.empty()) {
    auto actor = Authenticate(*route, req, res);
    if (!actor) {
      res.set_header("Connection", "close");
      return HR::Handled;
    }
    tl_request.actor = std::move(actor);
  }
  if (reaper) reaper->BodyStarted(req.remote_addr, req.remote_port, length);
  return HR::Unhandled;
}

const ApiServer::Impl::Route* ApiServer::Impl::MatchRoute(const httplib::Request& req) {
  static const std::vector<std::regex> patterns = [] {
    std::vector<std::regex> out;
    for (const Route& r : Routes()) out.emplace_back(r.regex);
    return out;
  }();
  const auto& routes = Routes();
  for (size_t i = 0; i < routes.size(); ++i) {
    if (req.method == routes[i].method && std::regex_match(req.path, patterns[i])) {
      return &routes[i];
    }
  }
  return nullptr;
}

std::string ApiServer::Impl::ClientAddress(const httplib::Request& req) const {
  const auto trusted = [&](const std::string& address) {
    return std::find(config.trusted_proxies.begin(), config.trusted_proxies.end(), address) !=
           config.trusted_proxies.end();
  };
  if (!trusted(req.remote_addr) || !req.has_header("X-Forwarded-For")) return req.remote_addr;
  // "client, proxy1, proxy2": the right-most entry a trusted proxy did not add is the client
  std::string list = req.get_header_value("X-Forwarded-For");
  std::string client = req.remote_addr;
  while (!list.empty()) {
    const size_t comma = list.rfind(',');
    std::string entry = list.substr(comma == std::string::npos ? 0 : comma + 1);
    list.resize(comma == std::string::npos ? 0 : comma);
    entry.erase(0, entry.find_first_not_of(' '));
    entry.erase(entry.find_last_not_of(' ') + 1);
    if (entry.empty() || entry.size() > 45 ||
        entry.find_first_not_of("0123456789abcdefABCDEF.:") != std::string::npos) {
      break;  // not an address: stop at the last one we could believe
    }
    client = entry;
    if (!trusted(entry)) break;
  }
  return client;
}

std::optional<orders::Actor> ApiServer::Impl::Authenticate(const Route& route,
                                                           const httplib::Request& req,
                                                           httplib::Response& res) {
  const std::string header = req.get_header_value("Authorization");
  const std::string prefix = "Bearer ";
  if (header.size() <= prefix.size() || header.compare(0, prefix.size(), prefix) != 0) {
    ReplyProblem(req, res,
                 ToProblem(ApiErrc::kUnauthenticated,
                           "send 'Authorization: Bearer <token>'; create a token with "
                           "'keepsake token create'"));
    return std::nullopt;
  }
  auto token = store.FindToken(TokenHash(header.substr(prefix.size())));
  if (!token) {
    if (token.error().code != orders::Errc::kNotFound) {
      ReplyError(req, res, token.error());
      return std::nullopt;
    }
    // an address that keeps sending unknown tokens is guessing: it waits before the next try
    if (Limited(auth_failures, true, req, res, "too many unknown tokens from your address")) {
      return std::nullopt;
    }
    ReplyProblem(req, res, ToProblem(ApiErrc::kUnauthenticated, "the token is unknown or revoked"));
    return std::nullopt;
  }
  tl_request.role = std::string(orders::RoleName(token->role));
  if (std::find(route.roles.begin(), route.roles.end(), token->role) == route.roles.end()) {
    std::string allowed;
    for (Role r : route.roles)
      allowed += (allowed.empty() ? "" : ", ") + std::string(orders::RoleName(r));
    ReplyProblem(req, res,
                 ToProblem(ApiErrc::kForbidden,
                           route.method + std::string(" ") + route.path + " is for: " + allowed));
    return std::nullopt;
  }
  return orders::Actor{token->name, token->role};
}

void ApiServer::Impl::Dispatch(const Route& route, const httplib::Request& req,
                               httplib::Response& res) {
  tl_request.route = route.path;
  if (reaper) reaper->BodyRead(req.remote_addr, req.remote_port);
  Context ctx{orders::Actor{"anonymous", Role::kSystem}, tl_request.client};
  if (route.roles.empty()) return Handle(route, ctx, req, res);
  if (tl_request.actor) {
    ctx.actor = *tl_request.actor;  // checked by the guard, before the body was read
    return Handle(route, ctx, req, res);
  }
  auto actor = Authenticate(route, req, res);
  if (!actor) return;
  ctx.actor = std::move(*actor);
  Handle(route, ctx, req, res);
}

// Object-level access. A channel's token reaches only the orders its channel placed (a channel
// is the name its tokens are created with), and their items, jobs, tickets and claims: another
// channel's object answers exactly as one that does not exist, so its existence is not told
// either. The object comes from the route's path ({id}) or, for opening a ticket or a claim,
// from the body; what cannot be found is left to the handler's own 404.
std::optional<std::string> ApiServer::Impl::OtherChannelsObject(const Context& ctx,
                                                                const Route& route,
                                                                const httplib::Request& req) {
  if (ctx.actor.role != Role::kChannel) return std::nullopt;
  const auto mine = [&](int64_t order_id) {
    auto order = store.GetOrder(order_id);
    return !order || order->channel == ctx.actor.name;
  };
  const std::string_view path = route.path;
  const auto starts = [&](std::string_view prefix) {
    return path.substr(0, prefix.size()) == prefix;
  };
  const std::string key = req.matches.size() > 1 ? req.matches[1].str() : std::string();
  if (starts("/api/v1/orders/{id}")) {
    auto order = FindOrder(key);
    if (order && order->channel != ctx.actor.name) return "order " + key + " does not exist";
  } else if (starts("/api/v1/items/{id}")) {
    auto item = store.GetItem(std::stoll(key));
    if (item && !mine(item->order_id)) return "item " + key + " does not exist";
  } else if (starts("/api/v1/jobs/{id}")) {
    auto job = store.GetJob(std::stoll(key));
    if (job) {
      auto item = store.GetItem(job->item_id);
      if (item && !mine(item->order_id)) return "job " + key + " does not exist";
    }
  } else if (starts("/api/v1/tickets/{id}")) {
    auto ticket = store.GetTicket(std::stoll(key));
    const bool theirs = ticket && (ticket->order_id ? !mine(*ticket->order_id)
                                                    : ticket->opened_by != ctx.actor.name);
    if (theirs) return "ticket " + key + " does not exist";
  } else if (starts("/api/v1/claims/{id}")) {
    auto claim = store.GetClaim(std::stoll(key));
    if (claim && !mine(claim->order_id)) return "claim " + key + " does not exist";
  } else if (std::string_view(route.method) == "POST" &&
             (path == "/api/v1/tickets" || path == "/api/v1/claims")) {
    const json body = ParseBoundedJson(req.body).value_or(json());
    if (!body.is_object()) return std::nullopt;  // the handler says what is wrong with it
    if (path == "/api/v1/tickets" && body.contains("order") &&
        (body["order"].is_string() || body["order"].is_number_integer())) {
      const std::string order_key = body["order"].is_string()
                                        ? body["order"].get<std::string>()
                                        : std::to_string(body["order"].get<int64_t>());
      auto order = FindOrder(order_key);
      if (order && order->channel != ctx.actor.name) {
        return "order " + order_key + " does not exist";
      }
    }
    if (path == "/api/v1/claims" && body.contains("item") && body["item"].is_number_integer()) {
      auto item = store.GetItem(body["item"].get<int64_t>());
      if (item && !mine(item->order_id)) {
        return "item " + std::to_string(body["item"].get<int64_t>()) + " does not exist";
      }
    }
  }
  return std::nullopt;
}

void ApiServer::Impl::Handle(const Route& route, const Context& ctx, const httplib::Request& req,
                             httplib::Response& res) {
  try {
    if (auto hidden = OtherChannelsObject(ctx, route, req)) {
      return ReplyError(req, res, orders::Error{orders::Errc::kNotFound, *hidden, {}, {}});
    }
    (this->*route.handler)(ctx, req, res);
  } catch (const json::type_error&) {
    // a body field of another JSON type than the handler reads ("description": 3): the
    // caller's mistake, not ours (found by fuzz_tracking_push)
    res = httplib::Response();
    ReplyProblem(req, res,
                 ToProblem(ApiErrc::kMalformedJson,
                           "a field of the body has the wrong JSON type (a number where text "
                           "belongs, or the other way round)"));
  }
}

namespace {

// assets/openapi.json describes what each route takes and answers; who may call it, its path
// parameters and its problem answers come from the route table here, so they cannot drift.
json MergeRouteTable(json doc, const std::vector<ApiServer::Impl::Route>& routes) {
  static const std::regex placeholder(R"(\{([a-z_]+)\})");
  static const std::regex group(R"(\(([^()]*)\))");
  for (const auto& route : routes) {
    std::string method = route.method;
    std::transform(method.begin(), method.end(), method.begin(), ::tolower);
    const json::json_pointer where = json::json_pointer("/paths") / route.path / method;
    if (!doc.contains(where)) continue;  // OpenApiTest names the undocumented route
    json& op = doc[where];
    json roles = json::array();
    for (Role r : route.roles) roles.push_back(std::string(orders::RoleName(r)));
    op["x-roles"] = roles;
    op["security"] =
        route.roles.empty() ? json::array() : json::array({{{"bearer", json::array()}}});
    const std::string who = route.roles.empty() ? "public" : "roles: " + json(roles).dump();
    op["description"] = op.value("description", "") + (op.contains("description") ? "\n\n" : "") +
                        "Who may call it: " + who + ".";
    // the nth {name} of the template is the nth group of the route's regex
    const std::string path = route.path, regex = route.regex;
    auto names = std::sregex_iterator(path.begin(), path.end(), placeholder);
    auto groups = std::sregex_iterator(regex.begin(), regex.end(), group);
    for (; names != std::sregex_iterator() && groups != std::sregex_iterator(); ++names, ++groups) {
      op["parameters"].push_back(
          {{"name", (*names)[1].str()},
           {"in", "path"},
           {"required", true},
           {"schema", {{"type", "string"}, {"pattern", "^" + (*groups)[1].str() + "$"}}}});
    }
    json& responses = op["responses"];
    const auto problem = [&](const char* status) {
      if (!responses.contains(status)) {
        responses[status] = {{"$ref", "#/components/responses/Problem"}};
      }
    };
    if (!route.roles.empty()) {
      problem("401");
      problem("403");
    }
    if (method == "post") {
      problem("400");
      problem("422");
    }
    problem("500");
  }
  return doc;
}

}  // namespace

void ApiServer::Impl::Configure() {
  server.new_task_queue = [this] {
    return new BoundedThreadPool(static_cast<size_t>(config.http_threads),
                                 static_cast<size_t>(config.http_queue), waiting_connections);
  };
  server.set_read_timeout(config.read_timeout_s, 0);
  server.set_write_timeout(config.write_timeout_s, 0);
  server.set_keep_alive_timeout(2);  // an idle connection gives its thread back soon
  // Headers and body go out in separate writes: without TCP_NODELAY, Nagle and delayed ACKs
  // add 40 ms to each keep-alive request.
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(1000);
  server.set_payload_max_length(static_cast<size_t>(config.max_upload_bytes));
  server.set_pre_routing_handler(
      [this](const httplib::Request& req, httplib::Response& res) { return Guard(req, res); });
  server.set_exception_handler(
      [this](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("request_id={} event=unhandled_exception route={} error=\"{}\"",
                      tl_request.request_id, tl_request.route, what);
        ReplyProblem(req, res, ToProblem(ApiErrc::kInternal, ""));
      });
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        ApiErrc code = ApiErrc::kBadRequest;
        std::string detail = "the request could not be understood";
        if (res.status == 404) {
          code = ApiErrc::kNoRoute;
          detail = "no such endpoint; see docs/api.md for the routes";
        } else if (res.status == 413) {
          code = ApiErrc::kPayloadTooLarge;
          detail = "the body is larger than the limit";
        } else if (res.status >= 500) {
          code = ApiErrc::kInternal;
        }
        Problem p = ToProblem(code, detail);
        p.status = res.status;
        ReplyProblem(req, res, p);
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    if (reaper) reaper->RequestEnded(req.remote_addr, req.remote_port);
    // a head cpp-httplib refused itself (a line over 8 KB) never reached the guard
    if (tl_request.request_id.empty()) {
      tl_request = RequestState{
          NewRequestId(), std::chrono::steady_clock::now(), "(no route)", "-", {}, req.remote_addr};
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - tl_request.started)
            .count();
    metrics.ObserveRequest(req.method, tl_request.route, res.status, seconds);
    // The raw path and query are not logged: a search could carry personal data.
    spdlog::info("request_id={} method={} route={} status={} ms={:.2f} role={}",
                 tl_request.request_id, req.method, tl_request.route, res.status, seconds * 1000,
                 tl_request.role);
    tl_request = RequestState{};
  });
  std::ifstream api_doc(fs::path(config.assets_dir) / "openapi.json");
  const json base = json::parse(api_doc, nullptr, false);
  if (base.is_object() && base.contains("paths")) {
    openapi = MergeRouteTable(base, Routes());
  } else {
    spdlog::warn("event=openapi_missing path={}/openapi.json", config.assets_dir);
  }
  if (!config.console_dir.empty()) {
    server.Get("/console(/.*)?", [this](const httplib::Request& req, httplib::Response& res) {
      ConsoleFile(req, res);
    });
  }
  for (const Route& route : Routes()) {
    auto handler = [this, &route](const httplib::Request& req, httplib::Response& res) {
      Dispatch(route, req, res);
    };
    if (std::string_view(route.method) == "GET") {
      server.Get(route.regex, handler);
    } else {
      server.Post(route.regex, handler);
    }
  }
}

// --- helpers ---------------------------------------------------------------------------------

bool ApiServer::Impl::Limited(RateLimiter& limiter, bool take, const httplib::Request& req,
                              httplib::Response& res, const std::string& what) {
  if (limiter.per_minute() == 0) return false;
  const std::string& client = tl_request.client.empty() ? req.remote_addr : tl_request.client;
  const bool refused = take ? !limiter.Take(client) : limiter.Exhausted(client);
  if (!refused) return false;
  const int wait = std::max(1, limiter.RetryAfterSeconds(client));
  res.set_header("Retry-After", std::to_string(wait));
  spdlog::warn("request_id={} event=rate_limited what=\"{}\"", tl_request.request_id, what);
  ReplyProblem(
      req, res,
      ToProblem(ApiErrc::kTooManyRequests, what + "; try again in " + std::to_string(wait) + " s"));
  return true;
}

std::optional<json> ApiServer::Impl::Body(const httplib::Request& req, httplib::Response& res,
                                          bool required) {
  if (req.body.empty()) {
    if (!required) return json::object();
    ReplyProblem(req, res, ToProblem(ApiErrc::kMalformedJson, "a JSON body is required"));
    return std::nullopt;
  }
  auto body = ParseBoundedJson(req.body);
  if (!body) {
    ReplyProblem(req, res, ToProblem(ApiErrc::kMalformedJson, body.error()));
    return std::nullopt;
  }
  if (!body->is_object()) {
    ReplyProblem(req, res, ToProblem(ApiErrc::kMalformedJson, "the body must be a JSON object"));
    return std::nullopt;
  }
  // every reason, note, subject, message and description, checked here once for all routes
  if (auto field = FreeTextWithPersonalData(*body)) {
    ReplyProblem(
        req, res,
        ToProblem(ApiErrc::kPersonalDataInText,
                  *field + " goes on the timeline, tickets, notifications or the audit log, "
                           "which hold no personal data: leave the phone number out (seven "
                           "or more digits look like one)",
                  *field));
    return std::nullopt;
  }
  return std::move(*body);
}

bool ApiServer::Impl::QueryInteger(const httplib::Request& req, httplib::Response& res,
                                   const char* name, int64_t min, int64_t max,
                                   std::optional<int64_t>& out) {
  if (!req.has_param(name)) return true;
  auto value = ParseBoundedInteger(req.get_param_value(name), min, max);
  if (!value) {
    ReplyProblem(req, res,
                 ToProblem(ApiErrc::kInvalidQuery,
                           std::string(name) + " is a whole number from " + std::to_string(min) +
                               " to " + std::to_string(max),
                           name));
    return false;
  }
  out = value;
  return true;
}

orders::Result<orders::Order> ApiServer::Impl::FindOrder(const std::string& key) {
  return !key.empty() && key.find_first_not_of("0123456789") == std::string::npos && key.size() < 18
             ? store.GetOrder(std::stoll(key))
             : store.GetOrderByNumber(key);
}

bool ApiServer::Impl::BodyVersion(const json& body, const httplib::Request& req,
                                  httplib::Response& res, std::optional<int64_t>& out) {
  if (!body.contains("version")) return true;
  if (!body["version"].is_number_integer()) {
    ReplyError(
        req, res,
        orders::Error{orders::Errc::kInvalidArgument, "version must be an integer", "version", {}});
    return false;
  }
  out = body["version"].get<int64_t>();
  return true;
}

std::optional<orders::Order> ApiServer::Impl::LoadOrder(const httplib::Request& req,
                                                        httplib::Response& res) {
  orders::Result<orders::Order> order = FindOrder(req.matches[1]);
  if (!order) {
    ReplyError(req, res, order.error());
    return std::nullopt;
  }
  return *order;
}

// --- handlers --------------------------------------------------------------------------------

void ApiServer::Impl::Healthz(const Context&, const httplib::Request&, httplib::Response& res) {
  Reply(res, 200, {{"status", "ok"}});
}

// Who the token belongs to and which routes its role may call: the console builds its
// navigation from this, so it shows only what the role may do.
void ApiServer::Impl::Session(const Context& ctx, const httplib::Request&, httplib::Response& res) {
  json routes = json::array();
  for (const Route& r : Routes()) {
    if (std::find(r.roles.begin(), r.roles.end(), ctx.actor.role) != r.roles.end()) {
      routes.push_back(std::string(r.method) + " " + r.path);
    }
  }
  Reply(res, 200,
        {{"name", ctx.actor.name},
         {"role", std::string(orders::RoleName(ctx.actor.role))},
         {"routes", routes}});
}

void ApiServer::Impl::OpenApi(const Context&, const httplib::Request& req, httplib::Response& res) {
  if (openapi.is_null()) {
    return ReplyProblem(req, res, ToProblem(ApiErrc::kInternal, "the API document is missing"));
  }
  res.status = 200;
  res.set_content(openapi.dump(), "application/json");
}

// The console is static files: our pages from console/app and three.js from the npm package,
// at /console/vendor/three/. Only plain names with a known extension are served, looked up
// below those two folders (a resolved path that leaves them is refused: symlinks, "..").
void ApiServer::Impl::ConsoleFile(const httplib::Request& req, httplib::Response& res) {
  tl_request.route = "/console";
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".png", "image/png"},
      {".svg", "image/svg+xml"},
      {".json", "application/json"}};
  static const std::regex kPlainPath("(/[A-Za-z0-9_.-]+)*/?");
  const std::string rest = req.matches[1].str();
  if (rest.empty()) {  // relative module paths need the trailing slash
    res.status = 308;
    res.set_header("Location", "/console/");
    return;
  }
  const std::string vendor = "/vendor/three/";
  fs::path root = fs::path(config.console_dir) / "app";
  std::string relative = rest == "/" ? "index.html" : rest.substr(1);
  if (rest.rfind(vendor, 0) == 0) {
    root = fs::path(config.console_dir) / "node_modules" / "three";
    relative = rest.substr(vendor.size());
    if (relative.rfind("build/", 0) != 0 && relative.rfind("examples/jsm/", 0) != 0) relative = "";
  }
  const auto type = kTypes.find(fs::path(relative).extension().string());
  std::error_code ec;
  const fs::path base = fs::canonical(root, ec);
  const fs::path file = fs::weakly_canonical(root / relative, ec);
  const bool inside = !ec && file.native().rfind(base.native() + "/", 0) == 0;
  // the path is already percent-decoded here: "..%2f" arrives as "../", and no segment may
  // step up or stay put, even where the result would stay inside the folder
  const bool dotted = ("/" + relative + "/").find("/../") != std::string::npos ||
                      ("/" + relative + "/").find("/./") != std::string::npos;
  std::ifstream in;
  if (std::regex_match(rest, kPlainPath) && !dotted && type != kTypes.end() && inside &&
      fs::is_regular_file(file, ec)) {
    in.open(file, std::ios::binary);
  }
  if (!in.is_open() || !in) {
    return ReplyProblem(
        req, res, ToProblem(ApiErrc::kNoRoute, "the console has no such file; open /console/"));
  }
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (rest.rfind(vendor + "examples/", 0) == 0) {
    // three's add-ons import the bare name 'three', which only an import map resolves, and
    // Chromium takes import maps only inline, which the CSP forbids: point them at the module
    for (size_t at = 0; (at = body.find(" from 'three';", at)) != std::string::npos;) {
      body.replace(at, 14, " from '/console/vendor/three/build/three.module.js';");
    }
  }
  res.status = 200;
  // the console talks only to this server; no inline scripts; pictures come as blob: URLs
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' blob: data:; frame-src 'self' blob:; "
                 "connect-src 'self' blob:; "
                 "object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
  res.set_header("Cache-Control", "no-cache");
  res.set_content(body, type->second.c_str());
}

void ApiServer::Impl::MetricsText(const Context&, const httplib::Request& req,
                                  httplib::Response& res) {
  auto jobs = store.CountJobsByState();
  if (!jobs) return ReplyError(req, res, jobs.error());
  res.status = 200;
  res.set_content(metrics.Render(*jobs), "text/plain; version=0.0.4");
}

void ApiServer::Impl::StateMachines(const Context&, const httplib::Request&,
                                    httplib::Response& res) {
  Reply(res, 200,
        {{"order", api_json::StateMachineJson(orders::OrderStateMachine())},
         {"item", api_json::StateMachineJson(orders::ItemStateMachine())},
         {"ticket", api_json::StateMachineJson(orders::TicketStateMachine())},
         {"claim", api_json::StateMachineJson(orders::ClaimStateMachine())},
         {"shipment", api_json::StateMachineJson(logistics::ShipmentStateMachine())}});
}

void ApiServer::Impl::Products(const Context&, const httplib::Request&, httplib::Response& res) {
  json products = json::array();
  for (const orders::Product& p : catalog.Products()) {
    json options = json::object();
    for (const orders::ProductOption& o : p.options) {
      options[o.name] = {{"values", o.values}, {"default", o.default_value}};
    }
    products.push_back({{"id", p.id},
                        {"title", p.title},
                        {"kind", p.kind == orders::ProductKind::kFigure ? "figure" : "print2d"},
                        {"options", options}});
  }
  Reply(res, 200, {{"products", products}});
}

void ApiServer::Impl::UploadAsset(const Context&, const httplib::Request& req,
                                  httplib::Response& res) {
  if (req.body.empty()) {
    return ReplyProblem(req, res, ToProblem(ApiErrc::kBadRequest, "the upload is empty"));
  }
  std::string kind, format;
  if (auto image = imaging::SniffImageFormat(req.body)) {
    kind = "image";
    format = std::string(imaging::ImageFormatName(*image));
  } else if (auto mesh = mesh::SniffMeshFormat(req.body)) {
    kind = "mesh";
    format = std::string(mesh::MeshFormatName(*mesh));
  } else {
    return ReplyProblem(
        req, res,
        ToProblem(ApiErrc::kUnsupportedMediaType,
                  "the file is none of the accepted types (decided by content, not by name): "
                  "meshes GLB, glTF, OBJ, FBX, PLY, STL, OFF or a ZIP with an OBJ; images PNG, "
                  "JPEG, WebP"));
  }
  bool disk_full = false;
  const std::optional<std::string> sha = StoreAssetBytes(paths, req.body, &disk_full);
  if (!sha) {
    spdlog::error("request_id={} event=asset_write_failed disk_full={}", tl_request.request_id,
                  disk_full);
    return disk_full ? ReplyError(req, res, orders::Error{orders::Errc::kDiskFull, "", "", {}})
                     : ReplyProblem(req, res, ToProblem(ApiErrc::kInternal, ""));
  }
  auto asset = store.RecordAsset(
      orders::Asset{*sha, kind, format, static_cast<int64_t>(req.body.size()), ""});
  if (!asset) return ReplyError(req, res, asset.error());
  Reply(res, 201, api_json::AssetJson(*asset));
}

void ApiServer::Impl::GetAsset(const Context&, const httplib::Request& req,
                               httplib::Response& res) {
  auto asset = store.GetAsset(req.matches[1]);
  if (!asset) return ReplyError(req, res, asset.error());
  Reply(res, 200, api_json::AssetJson(*asset));
}

void ApiServer::Impl::AssetFile(const Context&, const httplib::Request& req,
                                httplib::Response& res) {
  auto asset = store.GetAsset(req.matches[1]);
  if (!asset) return ReplyError(req, res, asset.error());
  const fs::path file = paths.AssetFile(asset->id);
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  if (ec) {
    spdlog::error("request_id={} event=asset_file_missing", tl_request.request_id);
    return ReplyProblem(req, res, ToProblem(ApiErrc::kInternal, ""));
  }
  // streamed in chunks: a 100 MB model does not sit in memory per download
  auto stream = std::make_shared<std::ifstream>(file, std::ios::binary);
  // pictures show in the console (previews); everything else downloads. Every format here was
  // decided by sniffing the bytes, and nosniff keeps browsers to that.
  static const std::map<std::string, std::string> kPictureTypes = {
      {"png", "image/png"}, {"jpeg", "image/jpeg"}, {"webp", "image/webp"}};
  const auto picture = kPictureTypes.find(asset->format);
  const bool inline_picture = picture != kPictureTypes.end();
  res.set_header("Content-Disposition", std::string(inline_picture ? "inline" : "attachment") +
                                            "; filename=\"" + asset->id.substr(0, 12) + "." +
                                            asset->format + "\"");
  res.set_content_provider(
      static_cast<size_t>(size), inline_picture ? picture->second : "application/octet-stream",
      [stream](size_t offset, size_t length, httplib::DataSink& sink) {
        std::vector<char> buffer(std::min<size_t>(length, 1 << 16));
        stream->seekg(static_cast<std::streamoff>(offset));
        stream->read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        const auto got = stream->gcount();
        if (got <= 0) return false;
        sink.write(buffer.data(), static_cast<size_t>(got));
        return true;
      });
}

void ApiServer::Impl::CreateOrder(const Context& ctx, const httplib::Request& req,
                                  httplib::Response& res) {
  const std::string key = req.get_header_value("Idempotency-Key");
  if (key.empty() || key.size() > 255 ||
      std::any_of(key.begin(), key.end(), [](char c) { return c < 0x21 || c > 0x7e; })) {
    return ReplyProblem(req, res,
                        ToProblem(ApiErrc::kMissingHeader,
                                  "POST /api/v1/orders needs an Idempotency-Key header of 1-255 "
                                  "visible ASCII characters",
                                  "Idempotency-Key"));
  }
  auto body = Body(req, res, true);
  if (!body) return;
  auto order = api_json::ParseNewOrder(*body);
  if (!order) return ReplyError(req, res, order.error());

  // Requests with the same key running at once: the first proceeds, the others get 409.
  const std::string scoped = ctx.actor.name + "\n" + key;
  {
    std::lock_guard<std::mutex> lock(inflight_mutex);
    if (!inflight_keys.insert(scoped).second) {
      return ReplyError(req, res,
                        orders::Error{orders::Errc::kIdempotencyInFlight,
                                      "a request with this Idempotency-Key is still being "
                                      "processed; retry in a moment",
                                      "Idempotency-Key",
                                      {}});
    }
  }
  struct Release {
    Impl* impl;
    std::string key;
    ~Release() {
      std::lock_guard<std::mutex> lock(impl->inflight_mutex);
      impl->inflight_keys.erase(key);
    }
  } release{this, scoped};

  // The hash is of the canonical JSON (sorted keys, no spaces): formatting does not matter.
  const orders::IdempotencyKey idem{ctx.actor.name, key, Sha256Hex(body->dump())};
  const Role viewer = ctx.actor.role;
  auto created = store.CreateOrder(*order, catalog, ctx.actor, idem, [&](const orders::Order& o) {
    return api_json::OrderJson(o, viewer).dump();
  });
  if (!created) return ReplyError(req, res, created.error());
  if (created->replayed) res.set_header("Idempotent-Replayed", "true");
  res.set_header("Location", "/api/v1/orders/" + std::to_string(created->order.id));
  res.status = 201;
  res.set_content(created->response, "application/json");
  if (!created->replayed && runner != nullptr) runner->Wake();
}

void ApiServer::Impl::ListOrders(const Context& ctx, const httplib::Request& req,
                                 httplib::Response& res) {
  orders::OrderFilter filter;
  auto text = [&](const char* name) -> std::optional<std::string> {
    if (!req.has_param(name)) return std::nullopt;
    return req.get_param_value(name);
  };
  filter.state = text("state");
  filter.channel_ref = text("channel_ref");
  filter.created_from = text("created_from");
  filter.created_to = text("created_to");
  filter.number = text("number");
  filter.tracking_number = text("tracking_number");
  filter.phone = text("phone");
  filter.phone_last4 = text("phone_last4");
  filter.name = text("name");
  // a channel lists only the orders it placed
  if (ctx.actor.role == Role::kChannel) filter.channel = ctx.actor.name;
  // a search by the customer's personal data is for customer service, and it is audited
  // (which fields were used and how many orders came back; never the values)
  const bool personal = filter.phone || filter.phone_last4 || filter.name;
  if (personal && ctx.actor.role != Role::kCs && ctx.actor.role != Role::kAdmin) {
    return ReplyProblem(
        req, res,
        ToProblem(ApiErrc::kForbidden, "searching by phone or name is for customer service"));
  }
  // one agent searches by hand; thousands of searches from one address are a bulk export
  if (personal && Limited(personal_searches, true, req, res,
                          "too many searches by phone or name from your address")) {
    return;
  }
  std::optional<int64_t> limit, cursor;
  if (!QueryInteger(req, res, "limit", 1, 1000, limit) ||
      !QueryInteger(req, res, "cursor", 1, kMaxId, cursor)) {
    return;
  }
  if (limit) filter.limit = static_cast<int>(*limit);
  filter.before_id = cursor;
  for (const char* name : {"created_from", "created_to"}) {
    if (req.has_param(name) && !ParseTimestamp(req.get_param_value(name))) {
      return ReplyProblem(
          req, res,
          ToProblem(ApiErrc::kInvalidQuery,
                    std::string(name) + " is a UTC time (2026-11-01T00:00:00Z) or a date "
                                        "(2026-11-01)",
                    name));
    }
  }
  auto page = store.ListOrders(filter);
  if (!page) return ReplyError(req, res, page.error());
  if (personal && !Audit(ctx, req, res, "orders.search_personal", std::nullopt,
                         {{"by", filter.phone ? "phone" : "phone_last4+name"},
                          {"results", page->orders.size()}})) {
    return;
  }
  json list = json::array();
  for (const orders::Order& o : page->orders)
    list.push_back(api_json::OrderJson(o, ctx.actor.role));
  json out = {{"orders", list}};
  out["next_cursor"] = page->next_cursor ? json(std::to_string(*page->next_cursor)) : json(nullptr);
  Reply(res, 200, out);
}

void ApiServer::Impl::GetOrder(const Context& ctx, const httplib::Request& req,
                               httplib::Response& res) {
  auto order = LoadOrder(req, res);
  if (!order) return;
  Reply(res, 200, api_json::OrderJson(*order, ctx.actor.role));
}

void ApiServer::Impl::OrderEvents(const Context&, const httplib::Request& req,
                                  httplib::Response& res) {
  auto order = LoadOrder(req, res);
  if (!order) return;
  auto events = store.OrderEvents(order->id);
  if (!events) return ReplyError(req, res, events.error());
  json list = json::array();
  for (const orders::Event& e : *events) list.push_back(api_json::EventJson(e));
  Reply(res, 200, {{"order", order->number}, {"events", list}});
}

void ApiServer::Impl::OrderEvent(const Context& ctx, const httplib::Request& req,
                                 httplib::Response& res, const std::string& fixed_event) {
  auto body = Body(req, res, false);
  if (!body) return;
  std::string event = fixed_event;
  if (event.empty()) {
    if (!body->contains("event") || !(*body)["event"].is_string()) {
      return ReplyError(
          req, res,
          orders::Error{
              orders::Errc::kInvalidArgument, "event is required (a string)", "event", {}});
    }
    event = (*body)["event"].get<std::string>();
  }
  std::string reason;
  if (body->contains("reason")) {
    if (!(*body)["reason"].is_string()) {
      return ReplyError(
          req, res,
          orders::Error{orders::Errc::kInvalidArgument, "reason must be a string", "reason", {}});
    }
    reason = (*body)["reason"].get<std::string>();
  }
  std::optional<int64_t> version;
  if (!BodyVersion(*body, req, res, version)) return;
  auto order = LoadOrder(req, res);
  if (!order) return;
  auto changed = store.TransitionOrder(order->id, event, ctx.actor, reason, version);
  if (!changed) return ReplyError(req, res, changed.error());
  Reply(res, 200, api_json::OrderJson(*changed, ctx.actor.role));
}

void ApiServer::Impl::GetItem(const Context& ctx, const httplib::Request& req,
                              httplib::Response& res) {
  auto item = store.GetItem(std::stoll(req.matches[1]));
  if (!item) return ReplyError(req, res, item.error());
  Reply(res, 200, api_json::ItemJson(*item, ctx.actor.role));
}

void ApiServer::Impl::ItemTransition(const Context& ctx, const httplib::Request& req,
                                     httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  orders::ItemChange change;
  for (auto [name, target] : {std::pair<const char*, std::string*>{"event", &change.event},
                              {"reason", &change.reason},
                              {"asset", &change.asset_id}}) {
    if (!body->contains(name)) continue;
    if (!(*body)[name].is_string()) {
      return ReplyError(
          req, res,
          orders::Error{
              orders::Errc::kInvalidArgument, std::string(name) + " must be a string", name, {}});
    }
    *target = (*body)[name].get<std::string>();
  }
  if (change.event.empty()) {
    return ReplyError(
        req, res, orders::Error{orders::Errc::kInvalidArgument, "event is required", "event", {}});
  }
  if (!BodyVersion(*body, req, res, change.expected_version)) return;
  if (body->contains("tuning")) {
    // a modeling engineer's fine-tuning goes with the rework's new preparation only
    if (change.event != "reprepare") {
      return ReplyError(req, res,
                        orders::Error{orders::Errc::kInvalidArgument,
                                      "tuning goes with the event reprepare only",
                                      "tuning",
                                      {}});
    }
    // a figure's tuning shapes the mesh; a print's lets a reviewer accept a low resolution
    auto current = store.GetItem(std::stoll(req.matches[1]));
    if (!current) return ReplyError(req, res, current.error());
    const orders::Product* product = catalog.Find(current->product);
    std::string refused;
    if (product != nullptr && product->kind == orders::ProductKind::kPrint2d) {
      auto tuning = ParsePrintTuning((*body)["tuning"].dump());
      if (!tuning) refused = tuning.error();
    } else {
      auto tuning = ParseMeshTuning((*body)["tuning"].dump());
      if (!tuning) refused = tuning.error();
    }
    if (!refused.empty()) {
      return ReplyError(req, res,
                        orders::Error{orders::Errc::kInvalidArgument, refused, "tuning", {}});
    }
    change.tuning = (*body)["tuning"].dump();
  }
  auto item = store.TransitionItem(std::stoll(req.matches[1]), change, ctx.actor);
  if (!item) return ReplyError(req, res, item.error());
  if (item->state == "preparing" && runner != nullptr) runner->Wake();
  Reply(res, 200, api_json::ItemJson(*item, ctx.actor.role));
}

void ApiServer::Impl::ItemJobs(const Context&, const httplib::Request& req,
                               httplib::Response& res) {
  const int64_t item_id = std::stoll(req.matches[1]);
  auto item = store.GetItem(item_id);
  if (!item) return ReplyError(req, res, item.error());
  auto jobs = store.JobsForItem(item_id);
  if (!jobs) return ReplyError(req, res, jobs.error());
  json list = json::array();
  for (const orders::Job& j : *jobs) list.push_back(api_json::JobJson(j));
  Reply(res, 200, {{"jobs", list}});
}

void ApiServer::Impl::GetJob(const Context&, const httplib::Request& req, httplib::Response& res) {
  auto job = store.GetJob(std::stoll(req.matches[1]));
  if (!job) return ReplyError(req, res, job.error());
  Reply(res, 200, api_json::JobJson(*job));
}

void ApiServer::Impl::ReviewQueue(const Context& ctx, const httplib::Request& req,
                                  httplib::Response& res) {
  std::optional<int64_t> limit = 50;
  if (!QueryInteger(req, res, "limit", 1, 200, limit)) return;
  auto queue = store.ReviewQueue(static_cast<int>(*limit));
  if (!queue) return ReplyError(req, res, queue.error());
  json items = json::array();
  for (const auto& [item, number] : *queue) {
    json entry = api_json::ItemJson(item, ctx.actor.role);
    entry["order"] = number;
    entry["waiting_since"] = item.updated_at;
    // what the engineer sorts by at a glance: the product's title and material, the height
    // that was prepared, and how many findings (figures) or warnings (prints) its newest
    // job reported
    const orders::Product* product = catalog.Find(item.product);
    const orders::Material* material =
        product != nullptr ? catalog.FindMaterial(product->material) : nullptr;
    entry["title"] = product != nullptr ? product->title : item.product;
    entry["material"] = material != nullptr ? json(material->title) : json(nullptr);
    entry["height_mm"] = nullptr;
    entry["warnings"] = 0;
    auto jobs = store.JobsForItem(item.id);
    if (jobs && !jobs->empty()) {
      const orders::Job& newest = *std::max_element(
          jobs->begin(), jobs->end(), [](const auto& a, const auto& b) { return a.id < b.id; });
      const json result = json::parse(newest.result, nullptr, false);
      if (result.is_object()) {
        if (result.contains("height_mm")) entry["height_mm"] = result["height_mm"];
        entry["warnings"] = result.value("findings", json::array()).size() +
                            result.value("warnings", json::array()).size();
        entry["job"] = newest.id;
        // a figure: the share of the customer's surface the repair left where it was
        if (result.contains("fidelity") && result["fidelity"].is_object() &&
            result["fidelity"].contains("share_within")) {
          entry["kept_share"] = result["fidelity"]["share_within"];
        }
        // a full-colour figure: how far its printed colour strays from the customer's (p95
        // CIEDE2000; under 3 is barely seen)
        if (result.contains("colour_fidelity") && result["colour_fidelity"].is_object()) {
          entry["colour_p95_de00"] = result["colour_fidelity"].value("p95_de00", 0.0);
        }
      }
    }
    items.push_back(entry);
  }
  Reply(res, 200, {{"items", items}});
}

// --- ApiServer ---------------------------------------------------------------------------------

ApiServer::ApiServer(const ServerConfig& config, orders::Store& store,
                     const orders::ProductCatalog& catalog, JobRunner* runner)
    : impl_(std::make_unique<Impl>(config, store, catalog, runner)) {
  impl_->Configure();
}

ApiServer::~ApiServer() = default;

int ApiServer::Bind() {
  // Debian builds cpp-httplib as a library that listens with a backlog of 5: a burst of 50
  // connections overflowed it, and clients whose handshake the kernel dropped waited out their
  // read timeout. The listening socket is noted as it is made and listened on again with a
  // backlog the kernel caps at net.core.somaxconn.
  int listening = -1;
  impl_->server.set_socket_options([&listening](socket_t sock) {
    httplib::default_socket_options(sock);
    listening = sock;
  });
  if (impl_->config.port == 0) {
    impl_->port = impl_->server.bind_to_any_port(impl_->config.host);
  } else {
    impl_->port = impl_->server.bind_to_port(impl_->config.host, impl_->config.port)
                      ? impl_->config.port
                      : -1;
  }
  if (impl_->port > 0 && listening >= 0 && ::listen(listening, kListenBacklog) != 0) {
    spdlog::warn("event=listen_backlog_unchanged error=\"{}\"", std::strerror(errno));
  }
  return impl_->port;
}

bool ApiServer::Listen() {
  ConnectionReaper::Limits limits;
  limits.head_deadline = std::chrono::seconds(impl_->config.request_head_timeout_s);
  limits.min_body_bytes_per_s = static_cast<uint64_t>(impl_->config.min_body_bytes_per_s);
  limits.body_grace = std::chrono::seconds(impl_->config.body_grace_s);
  impl_->reaper = std::make_unique<ConnectionReaper>(
      impl_->port, limits, [waiting = impl_->waiting_connections] { return waiting->load(); });
  impl_->reaper->Start();
  const bool ok = impl_->server.listen_after_bind();
  impl_->reaper->Stop();
  return ok;
}

void ApiServer::Stop() { impl_->server.stop(); }

}  // namespace keepsake::services
