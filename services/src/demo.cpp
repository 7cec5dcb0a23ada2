#include "keepsake/services/demo.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "keepsake/imaging/format.hpp"
#include "keepsake/logistics/booking.hpp"
#include "keepsake/logistics/carrier.hpp"
#include "keepsake/mesh/format.hpp"
#include "keepsake/orders/crypto.hpp"
#include "keepsake/orders/state_names.hpp"
#include "keepsake/services/asset_files.hpp"
#include "keepsake/services/paths.hpp"

namespace keepsake::services {

namespace fs = std::filesystem;
using orders::Actor;
using orders::Role;

namespace {

orders::Result<std::string> ImportDemoAsset(const ServerConfig& config, orders::Store& store,
                                            const std::string& name) {
  const fs::path source = fs::path(config.assets_dir) / "demo" / name;
  std::ifstream in(source, std::ios::binary);
  if (!in) return orders::Fail(orders::Errc::kNotFound, "demo asset missing: " + source.string());
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string content = buffer.str();
  std::string kind, format;
  if (auto image = imaging::SniffImageFormat(content)) {
    kind = "image";
    format = std::string(imaging::ImageFormatName(*image));
  } else if (auto mesh = mesh::SniffMeshFormat(content)) {
    kind = "mesh";
    format = std::string(mesh::MeshFormatName(*mesh));
  } else {
    return orders::Fail(orders::Errc::kInvalidArgument, "demo asset of unknown type: " + name);
  }
  const auto sha = StoreAssetBytes(DataPaths(config.data_dir), content);
  if (!sha) return orders::Fail(orders::Errc::kStorage, "cannot store demo asset " + name);
  auto asset =
      store.Orders().RecordAsset({*sha, kind, format, static_cast<int64_t>(content.size()), ""});
  if (!asset) return tl::unexpected(asset.error());
  return asset->id;
}

struct DemoOrder {
  const char* ref;
  const char* name;
  const char* phone;
  const char* city;
  const char* product;
  const char* asset;  // file in assets/demo, or "" for an item still waiting for its asset
  std::map<std::string, int64_t> options;
  // order events after the item is inspected, each taken by the role that would take it
  std::vector<std::pair<std::string, Role>> item_events;
  std::vector<std::pair<std::string, Role>> order_events;
  const char* text = "";  // a postcard's greeting
};

bool WaitForJobs(orders::Store& store, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    auto counts = store.Jobs().CountJobsByState();
    if (counts && (*counts)["queued"] == 0 && (*counts)["leased"] == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

// The demo's orders (a data table): one per product and state worth showing.
const std::vector<DemoOrder>& DemoOrders() {
  static const std::vector<DemoOrder> demo = {
      {"demo-1",
       "王小明",
       "13800000001",
       "杭州市",
       "figure-colour",
       "triposr_chair.obj",
       {{"height_mm", 100}},
       {},
       {}},
      {"demo-2",
       "李娜",
       "13900000002",
       "上海市",
       "figure-white",
       "triposr_chair.obj",
       {{"height_mm", 80}},
       {{"approve", Role::kModeler}, {"start_production", Role::kProduction}},
       {}},
      {"demo-3",
       "张伟",
       "13700000003",
       "北京市",
       "keychain-acrylic",
       "corgi_pixelart.png",
       {{"size_mm", 60}, {"sides", 2}},
       {{"approve", Role::kModeler},
        {"start_production", Role::kProduction},
        {"produced", Role::kProduction}},
       {}},
      {"demo-4",
       "刘洋",
       "13600000004",
       "广州市",
       "postcard-cn",
       "boxer_portrait.jpg",
       {},
       {{"approve", Role::kModeler},
        {"start_production", Role::kProduction},
        {"produced", Role::kProduction}},
       {{"pack", Role::kLogistics}, {"ship", Role::kLogistics}},
       "新年快乐！\n愿你万事如意，心想事成。Happy New Year!"},
      {"demo-5",
       "陈静",
       "13500000005",
       "成都市",
       "magnet-rect",  // 512 x 768 px: 229 dpi on a magnet, too few for a 6-inch print
       "lowres_portrait.jpg",
       {},
       {{"approve", Role::kModeler},
        {"start_production", Role::kProduction},
        {"produced", Role::kProduction}},
       {{"pack", Role::kLogistics}, {"ship", Role::kLogistics}, {"deliver", Role::kLogistics}}},
      {"demo-6",
       "杨帆",
       "13400000006",
       "深圳市",
       "magnet-round-58",
       "corgi_pixelart.png",
       {},
       {},
       {{"hold", Role::kCs}}},
      {"demo-7", "赵敏", "13300000007", "南京市", "postcard-a6", "", {}, {}, {}},
      {"demo-8",
       "黄磊",
       "13200000008",
       "武汉市",
       "photo-print-6in",
       "boxer_portrait.jpg",
       {},
       {},
       {{"cancel", Role::kCs}}},
  };
  return demo;
}

// The steps a demo order takes after its item was inspected, each by the role that would take
// it; a refused step is logged and ends that order's steps.
void TakeDemoSteps(orders::Store& store, const DemoOrder& d, const orders::Order& created) {
  for (const auto& [event, role] : d.item_events) {
    auto item =
        store.Orders().TransitionItem(created.items.front().id, {event, "demo", "", {}, ""},
                                      Actor{"demo-" + std::string(orders::RoleName(role)), role});
    if (!item) {
      spdlog::warn("event=demo_step_skipped order={} step={} reason=\"{}\"", d.ref, event,
                   item.error().message);
      break;
    }
  }
  for (const auto& [event, role] : d.order_events) {
    auto order = store.Orders().TransitionOrder(
        created.id, event, Actor{"demo-" + std::string(orders::RoleName(role)), role},
        "demo: " + event, std::nullopt);
    if (!order) {
      spdlog::warn("event=demo_step_skipped order={} step={} reason=\"{}\"", d.ref, event,
                   order.error().message);
      break;
    }
  }
}

// The keychain order waits on the packing queue with a simulated parcel, booked as the lead
// books one, so the demo shows a label and a packing slip to print.
void AddDemoParcel(const ServerConfig& config, orders::Store& store,
                   const orders::ProductCatalog& catalog, int64_t order_id) {
  auto keychain = store.Orders().GetOrder(order_id);
  if (!keychain || keychain->state != orders::order_state::kReadyToPack) return;
  auto carrier = logistics::MakeCarrier("simulated");
  auto booked = logistics::BookParcel(store, catalog, config.assets_dir, *carrier,
                                      {keychain->id, 60, "120x90x30", 0, {}},
                                      Actor{"demo-logistics", Role::kLogistics});
  const std::string why = !booked           ? booked.error().message
                          : booked->failure ? booked->failure->message
                                            : "";
  if (!why.empty()) {
    spdlog::warn("event=demo_step_skipped order=demo-3 step=parcel reason=\"{}\"", why);
  }
}

}  // namespace

orders::Result<int> SeedDemoOrders(const ServerConfig& config, orders::Store& store,
                                   const orders::ProductCatalog& catalog) {
  orders::OrderFilter existing;
  existing.channel_ref = "demo-1";
  auto found = store.Orders().ListOrders(existing);
  if (!found) return tl::unexpected(found.error());
  if (!found->orders.empty()) return 0;

  const std::vector<DemoOrder>& demo = DemoOrders();

  std::vector<orders::Order> created;
  for (const DemoOrder& d : demo) {
    orders::NewOrder order;
    order.channel_ref = d.ref;
    order.customer = {d.name, d.phone, {"示例省", d.city, "示例区", "示例路 1 号", "1 栋 101 室"}};
    orders::NewItem item{d.product, "", d.options, d.text};
    if (*d.asset) {
      auto asset = ImportDemoAsset(config, store, d.asset);
      if (!asset) return tl::unexpected(asset.error());
      item.asset_id = *asset;
    }
    order.items.push_back(item);
    // placed as the channel whose token the demo prints (demo-channel), so it lists them
    auto result = store.Orders().CreateOrder(
        order, catalog, Actor{"demo-channel", Role::kChannel}, {"demo-channel", d.ref, d.ref},
        [](const orders::Order&) { return std::string("{}"); });
    if (!result) return tl::unexpected(result.error());
    created.push_back(result->order);
  }
  spdlog::info("event=demo_seed orders={} waiting_for=inspection_jobs", created.size());
  if (!WaitForJobs(store, std::chrono::seconds(120))) {
    spdlog::warn("event=demo_seed_incomplete reason=\"inspection jobs still running\"");
  }
  for (size_t i = 0; i < demo.size(); ++i) TakeDemoSteps(store, demo[i], created[i]);
  AddDemoParcel(config, store, catalog, created[2].id);
  return static_cast<int>(created.size());
}

orders::Result<std::map<std::string, std::string>> CreateDemoTokens(orders::Store& store) {
  auto revoked = store.Access().RevokeDemoTokens();
  if (!revoked) return tl::unexpected(revoked.error());
  std::map<std::string, std::string> tokens;
  for (Role role : orders::kTokenRoles) {
    const std::string name = "demo-" + std::string(orders::RoleName(role));
    const std::string token = orders::NewApiToken();
    auto id = store.Access().CreateToken(orders::TokenHash(token), role, name, std::nullopt,
                                         /*demo=*/true);
    if (!id) return tl::unexpected(id.error());
    tokens[std::string(orders::RoleName(role))] = token;
  }
  return tokens;
}

orders::Result<std::vector<DemoAccount>> CreateDemoAccounts(orders::Store& store) {
  std::vector<DemoAccount> out;
  for (Role role : orders::kTokenRoles) {
    if (role == Role::kChannel) continue;  // a machine: it has its token
    DemoAccount account{"demo-" + std::string(orders::RoleName(role)),
                        std::string(orders::RoleName(role)), orders::RandomHex(8),
                        orders::NewTotpSecret()};
    const std::string hash = orders::HashPassword(account.password);
    auto reset = store.Staff().ResetUser(account.name, hash, account.totp_secret, "keepsake demo");
    if (!reset && reset.error().code == orders::Errc::kNotFound) {
      auto created = store.Staff().CreateUser(account.name, role, hash, account.totp_secret,
                                              /*demo=*/true, "keepsake demo");
      if (!created) return tl::unexpected(created.error());
    } else if (!reset) {
      return tl::unexpected(reset.error());
    }
    out.push_back(std::move(account));
  }
  return out;
}

}  // namespace keepsake::services
