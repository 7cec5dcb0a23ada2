// The HTTP server: the pre-routing guard runs before cpp-httplib reads a body, so an oversize,
// chunked or compressed upload is refused without being read; then the token and role, the
// channel's reach, and the route's handler (http/routes/). RFC 9457 problems: problem.cpp.
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "http/bounded_thread_pool.hpp"
#include "http/edge_checks.hpp"
#include "http/routes/routes.hpp"
#include "http/server_impl.hpp"
#include "keepsake/orders/crypto.hpp"

namespace keepsake::services {

namespace fs = std::filesystem;

namespace {
constexpr size_t kMaxHeaderFields = 100;
constexpr int kListenBacklog = 1024;
}  // namespace

const std::vector<Route>& ApiServer::Impl::Routes() { return AllRoutes(); }

std::vector<RouteInfo> ApiRoutes() {
  std::vector<RouteInfo> out;
  for (const auto& r : AllRoutes()) out.push_back({r.method, r.path, r.roles});
  return out;
}

httplib::Server::HandlerResponse ApiServer::Impl::Guard(const httplib::Request& req,
                                                        httplib::Response& res) {
  using HR = httplib::Server::HandlerResponse;
  tl_request = RequestState{orders::NewRequestId(),
                            std::chrono::steady_clock::now(),
                            "(no route)",
                            "-",
                            {},
                            ClientAddress(req),
                            {}};
  if (reaper) reaper->RequestStarted(req.remote_addr, req.remote_port);
  res.set_header("X-Request-Id", tl_request.request_id);
  res.set_header("X-Content-Type-Options", "nosniff");
  // over TLS, browsers are told to come back only over TLS (the console and its token)
  if (!config.tls_cert.empty()) {
    res.set_header("Strict-Transport-Security", "max-age=31536000");
  }
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

namespace {

// The value of the console's session cookie, or empty.
std::string SessionCookie(const httplib::Request& req) {
  const std::string cookies = req.get_header_value("Cookie");
  const std::string name = std::string(kSessionCookie) + "=";
  for (size_t at = 0; at < cookies.size();) {
    while (at < cookies.size() && (cookies[at] == ' ' || cookies[at] == ';')) ++at;
    const size_t end = std::min(cookies.find(';', at), cookies.size());
    if (cookies.compare(at, name.size(), name) == 0) {
      return cookies.substr(at + name.size(), end - at - name.size());
    }
    at = end;
  }
  return "";
}

}  // namespace

std::optional<orders::Actor> ApiServer::Impl::Authenticate(const Route& route,
                                                           const httplib::Request& req,
                                                           httplib::Response& res) {
  const std::string header = req.get_header_value("Authorization");
  const std::string cookie = header.empty() ? SessionCookie(req) : "";
  const std::string prefix = "Bearer ";
  if (cookie.empty() &&
      (header.size() <= prefix.size() || header.compare(0, prefix.size(), prefix) != 0)) {
    ReplyProblem(req, res,
                 ToProblem(ApiErrc::kUnauthenticated,
                           "sign in on the console, or send 'Authorization: Bearer <token>' "
                           "(a token from 'keepsake token create')"));
    return std::nullopt;
  }
  std::optional<orders::Actor> actor;
  if (!cookie.empty()) {
    // the console: a session a staff account signed in to
    const std::string hash = orders::TokenHash(cookie);
    auto session = store.Staff().FindSession(hash, orders::NowUnixMs(), config.session_idle_ms,
                                             config.session_max_ms);
    if (!session && session.error().code != orders::Errc::kNotFound) {
      ReplyError(req, res, session.error());
      return std::nullopt;
    }
    if (!session) {
      if (Limited(state.auth_failures, true, req, res,
                  "too many unknown sessions from your address")) {
        return std::nullopt;
      }
      ReplyProblem(
          req, res,
          ToProblem(
              ApiErrc::kUnauthenticated,
              "your console session has ended (signed out, or unused for " +
                  std::to_string(config.session_idle_ms / 60000) + " minutes, or started over " +
                  std::to_string(config.session_max_ms / 3600000) + " hours ago); sign in again"));
      return std::nullopt;
    }
    // A cookie goes with every request the browser makes to us, whichever page asks; the
    // console's own requests carry this header, which a page elsewhere cannot add to a
    // request without our consent (CORS). SameSite=Strict is the first guard, this the second.
    if (req.method != "GET" && req.method != "HEAD" &&
        req.get_header_value(kConsoleHeader) != "1") {
      ReplyProblem(req, res,
                   ToProblem(ApiErrc::kForbidden,
                             std::string("a signed-in request that changes something must carry "
                                         "the header ") +
                                 kConsoleHeader + ": 1 (the console sends it)"));
      return std::nullopt;
    }
    tl_request.session = hash;
    actor = orders::Actor{session->name, session->role};
  } else {
    auto token = store.Access().FindToken(orders::TokenHash(header.substr(prefix.size())));
    if (!token) {
      if (token.error().code != orders::Errc::kNotFound) {
        ReplyError(req, res, token.error());
        return std::nullopt;
      }
      // an address that keeps sending unknown tokens is guessing: it waits before the next try
      if (Limited(state.auth_failures, true, req, res,
                  "too many unknown tokens from your address")) {
        return std::nullopt;
      }
      ReplyProblem(req, res,
                   ToProblem(ApiErrc::kUnauthenticated, "the token is unknown or revoked"));
      return std::nullopt;
    }
    actor = orders::Actor{token->name, token->role};
  }
  tl_request.role = std::string(orders::RoleName(actor->role));
  if (std::find(route.roles.begin(), route.roles.end(), actor->role) == route.roles.end()) {
    std::string allowed;
    for (Role r : route.roles)
      allowed += (allowed.empty() ? "" : ", ") + std::string(orders::RoleName(r));
    ReplyProblem(req, res,
                 ToProblem(ApiErrc::kForbidden,
                           route.method + std::string(" ") + route.path + " is for: " + allowed));
    return std::nullopt;
  }
  return actor;
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
    auto order = store.Orders().GetOrder(order_id);
    return !order || order->channel == ctx.actor.name;
  };
  const std::string_view path = route.path;
  const auto starts = [&](std::string_view prefix) {
    return path.substr(0, prefix.size()) == prefix;
  };
  const std::string key = req.matches.size() > 1 ? req.matches[1].str() : std::string();
  if (starts("/api/v1/orders/{id}")) {
    auto order = FindOrder(store, key);
    if (order && order->channel != ctx.actor.name) return "order " + key + " does not exist";
  } else if (starts("/api/v1/items/{id}")) {
    auto item = store.Orders().GetItem(std::stoll(key));
    if (item && !mine(item->order_id)) return "item " + key + " does not exist";
  } else if (starts("/api/v1/jobs/{id}")) {
    auto job = store.Jobs().GetJob(std::stoll(key));
    if (job) {
      auto item = store.Orders().GetItem(job->item_id);
      if (item && !mine(item->order_id)) return "job " + key + " does not exist";
    }
  } else if (starts("/api/v1/tickets/{id}")) {
    auto ticket = store.Tickets().GetTicket(std::stoll(key));
    const bool theirs = ticket && (ticket->order_id ? !mine(*ticket->order_id)
                                                    : ticket->opened_by != ctx.actor.name);
    if (theirs) return "ticket " + key + " does not exist";
  } else if (starts("/api/v1/claims/{id}")) {
    auto claim = store.Claims().GetClaim(std::stoll(key));
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
      auto order = FindOrder(store, order_key);
      if (order && order->channel != ctx.actor.name) {
        return "order " + order_key + " does not exist";
      }
    }
    if (path == "/api/v1/claims" && body.contains("item") && body["item"].is_number_integer()) {
      auto item = store.Orders().GetItem(body["item"].get<int64_t>());
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
    route.handler(state, ctx, req, res);
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

std::unique_ptr<httplib::Server> ApiServer::Impl::MakeServer() {
  if (config.tls_cert.empty()) return std::make_unique<httplib::Server>();
  return std::make_unique<httplib::SSLServer>([this](SSL_CTX& ctx) {
    SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(
        &ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    // TLS 1.2: ECDHE key exchange and AEAD ciphers only (TLS 1.3's suites are all of that kind)
    SSL_CTX_set_cipher_list(&ctx, "ECDHE+AESGCM:ECDHE+CHACHA20");
    if (SSL_CTX_use_certificate_chain_file(&ctx, config.tls_cert.c_str()) != 1) {
      tls_error = "cannot read the TLS certificate " + config.tls_cert + " (PEM, the chain)";
    } else if (SSL_CTX_use_PrivateKey_file(&ctx, config.tls_key.c_str(), SSL_FILETYPE_PEM) != 1) {
      tls_error = "cannot read the TLS key " + config.tls_key + " (PEM)";
    } else if (SSL_CTX_check_private_key(&ctx) != 1) {
      tls_error = "the TLS key " + config.tls_key + " is not the certificate's";
    }
    return tls_error.empty();
  });
}

void ApiServer::Impl::Configure() {
  server->new_task_queue = [this] {
    return new BoundedThreadPool(static_cast<size_t>(config.http_threads),
                                 static_cast<size_t>(config.http_queue), waiting_connections);
  };
  server->set_read_timeout(config.read_timeout_s, 0);
  server->set_write_timeout(config.write_timeout_s, 0);
  server->set_keep_alive_timeout(2);  // an idle connection gives its thread back soon
  // Headers and body go out in separate writes: without TCP_NODELAY, Nagle and delayed ACKs
  // add 40 ms to each keep-alive request.
  server->set_tcp_nodelay(true);
  server->set_keep_alive_max_count(1000);
  server->set_payload_max_length(static_cast<size_t>(config.max_upload_bytes));
  server->set_pre_routing_handler(
      [this](const httplib::Request& req, httplib::Response& res) { return Guard(req, res); });
  server->set_exception_handler(
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
  server->set_error_handler(httplib::Server::HandlerWithResponse(
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
  server->set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    if (reaper) reaper->RequestEnded(req.remote_addr, req.remote_port);
    // a head cpp-httplib refused itself (a line over 8 KB) never reached the guard
    if (tl_request.request_id.empty()) {
      tl_request = RequestState{orders::NewRequestId(),
                                std::chrono::steady_clock::now(),
                                "(no route)",
                                "-",
                                {},
                                req.remote_addr,
                                {}};
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - tl_request.started)
            .count();
    state.metrics.ObserveRequest(req.method, tl_request.route, res.status, seconds);
    // The raw path and query are not logged: a search could carry personal data.
    spdlog::info("request_id={} method={} route={} status={} ms={:.2f} role={}",
                 tl_request.request_id, req.method, tl_request.route, res.status, seconds * 1000,
                 tl_request.role);
    tl_request = RequestState{};
  });
  std::ifstream api_doc(fs::path(config.assets_dir) / "openapi.json");
  const json base = json::parse(api_doc, nullptr, false);
  if (base.is_object() && base.contains("paths")) {
    state.openapi = MergeRouteTable(base, Routes());
  } else {
    spdlog::warn("event=openapi_missing path={}/openapi.json", config.assets_dir);
  }
  if (!config.console_dir.empty()) {
    server->Get("/console(/.*)?", [this](const httplib::Request& req, httplib::Response& res) {
      ServeConsoleFile(config, req, res);
    });
  }
  for (const Route& route : Routes()) {
    auto handler = [this, &route](const httplib::Request& req, httplib::Response& res) {
      Dispatch(route, req, res);
    };
    if (std::string_view(route.method) == "GET") {
      server->Get(route.regex, handler);
    } else if (std::string_view(route.method) == "DELETE") {
      server->Delete(route.regex, handler);
    } else {
      server->Post(route.regex, handler);
    }
  }
}

// --- ApiServer ---------------------------------------------------------------------------------

ApiServer::ApiServer(const ServerConfig& config, orders::Store& store,
                     const orders::ProductCatalog& catalog, JobRunner* runner)
    : impl_(std::make_unique<Impl>(config, store, catalog, runner)) {
  impl_->Configure();
}

ApiServer::~ApiServer() = default;

std::string ApiServer::TlsError() const { return impl_->tls_error; }

int ApiServer::Bind() {
  if (!impl_->tls_error.empty() || !impl_->server->is_valid()) return -1;
  // Debian builds cpp-httplib as a library that listens with a backlog of 5: a burst of 50
  // connections overflowed it, and clients whose handshake the kernel dropped waited out their
  // read timeout. The listening socket is noted as it is made and listened on again with a
  // backlog the kernel caps at net.core.somaxconn.
  int listening = -1;
  impl_->server->set_socket_options([&listening](socket_t sock) {
    httplib::default_socket_options(sock);
    listening = sock;
  });
  if (impl_->config.port == 0) {
    impl_->port = impl_->server->bind_to_any_port(impl_->config.host);
  } else {
    impl_->port = impl_->server->bind_to_port(impl_->config.host, impl_->config.port)
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
  const bool ok = impl_->server->listen_after_bind();
  impl_->reaper->Stop();
  return ok;
}

void ApiServer::Stop() { impl_->server->stop(); }

}  // namespace keepsake::services
