// The API's handlers in process, for the fuzzers: a store in a temporary folder with one order
// and one parcel, a token per role, and a call that runs a route exactly as the server would
// after its guard (bearer token, role check, the handler reading the body).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <httplib.h>

#include "http/server_impl.hpp"
#include "keepsake/logistics/shipment_repository.hpp"
#include "keepsake/orders/crypto.hpp"
#include "keepsake/orders/product_catalog.hpp"
#include "keepsake/orders/sla.hpp"
#include "keepsake/orders/store.hpp"
#include "keepsake/services/paths.hpp"
#include "scratch_folder.hpp"

namespace keepsake::fuzz {

class ApiHarness {
 public:
  static constexpr const char* kTrackingSecret = "fuzzing-tracking-secret";

  ApiHarness() {
    config_.data_dir = MakeScratchFolder("api");
    config_.assets_dir = KEEPSAKE_SOURCE_DIR "/assets";
    config_.tracking_secret = kTrackingSecret;
    config_.auth_failures_per_minute = 0;
    config_.personal_searches_per_minute = 0;
    services::DataPaths(config_.data_dir).Create();
    // customers are encrypted under a data key: a fixed one serves the scratch store
    auto opened = orders::Store::Open(orders::StoreOptions{
        services::DataPaths(config_.data_dir).Database().string(), 4, 3, std::string(32, 'k')});
    if (!opened) {
      std::fprintf(stderr, "the fuzzing store cannot be opened: %s\n",
                   opened.error().message.c_str());
      std::abort();
    }
    store_ = std::move(*opened);
    catalog_ = std::make_unique<orders::ProductCatalog>(
        *orders::ProductCatalog::Load(config_.assets_dir + "/products.json"));
    config_.sla = *orders::SlaPolicy::Load(config_.assets_dir + "/sla.json");
    for (orders::Role role : orders::kTokenRoles) {
      const std::string token = orders::NewApiToken();
      (void)store_->Access().CreateToken(orders::TokenHash(token), role, "fuzz");
      tokens_[role] = token;
    }
    orders::NewOrder order;
    order.channel_ref = "fuzz-1";
    order.customer = {
        "王小明", "13800000001", {"浙江省", "杭州市", "西湖区", "文三路 1 号", "1 室"}};
    order.items.push_back(orders::NewItem{"postcard-cn", "", {}, "新年快乐"});
    auto created = store_->Orders().CreateOrder(
        order, *catalog_, orders::Actor{"fuzz", orders::Role::kChannel},
        {"fuzz", "fuzz-1", "fuzz-1"}, [](const orders::Order&) { return std::string("{}"); });
    if (created) {
      (void)logistics::ShipmentRepository(*store_).CreateShipment(
          {created->order.id, "manual", "SF1234567890", 100, "100x100x50"},
          orders::Actor{"fuzz", orders::Role::kLogistics});
    }
    impl_ = std::make_unique<services::ApiServer::Impl>(config_, *store_, *catalog_, nullptr);
  }

  // Runs `route` with `body`; ids in the path are 1 (or the order KS00000001).
  int Call(const services::ApiServer::Impl::Route& route, const std::string& body,
           httplib::Headers extra = {}) {
    std::string path = route.path;
    for (size_t at; (at = path.find("{id}")) != std::string::npos;) path.replace(at, 4, "1");
    httplib::Request req;
    req.method = route.method;
    req.path = path;
    req.body = body;
    req.remote_addr = "127.0.0.1";
    req.headers = std::move(extra);
    if (!route.roles.empty()) {
      req.headers.emplace("Authorization", "Bearer " + tokens_[route.roles.front()]);
    }
    static std::map<std::string, std::regex> compiled;
    auto [it, fresh] = compiled.try_emplace(route.regex);
    if (fresh) it->second = std::regex(route.regex);
    std::regex_match(req.path, req.matches, it->second);
    httplib::Response res;
    impl_->Dispatch(route, req, res);
    return res.status;
  }

 private:
  services::ServerConfig config_;
  std::unique_ptr<orders::Store> store_;
  std::unique_ptr<orders::ProductCatalog> catalog_;
  std::map<orders::Role, std::string> tokens_;
  std::unique_ptr<services::ApiServer::Impl> impl_;
};

}  // namespace keepsake::fuzz
