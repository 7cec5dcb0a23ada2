// Items and their jobs: an item moves along its state machine (a rework carries the engineer's
// tuning, checked here before it is stored), its jobs are listed, and the review queue shows
// what waits for a modeling engineer.
#include <algorithm>
#include "http/api_json.hpp"
#include "http/handlers.hpp"
#include "http/routes/routes.hpp"
#include "keepsake/services/job_runner.hpp"
#include "keepsake/services/mesh_command.hpp"
#include "keepsake/services/print_command.hpp"

namespace keepsake::services {

namespace {

class ItemHandlers : public Handlers {
 public:
  using Handlers::Handlers;
  void GetItem(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void ItemTransition(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void ItemJobs(const Context&, const httplib::Request& req, httplib::Response& res);
  void GetJob(const Context&, const httplib::Request& req, httplib::Response& res);
  void ReviewQueue(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void WaitingItems(const Context& ctx, const httplib::Request& req, httplib::Response& res);
};

void ItemHandlers::GetItem(const Context& ctx, const httplib::Request& req,
                           httplib::Response& res) {
  auto item = store.Orders().GetItem(std::stoll(req.matches[1]));
  if (!item) return ReplyError(req, res, item.error());
  Reply(res, 200, api_json::ItemJson(*item, ctx.actor.role));
}
void ItemHandlers::ItemTransition(const Context& ctx, const httplib::Request& req,
                                  httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  orders::ItemChange change;
  for (auto [name, target] : {std::pair<const char*, std::string*>{"event", &change.event},
                              {"reason", &change.reason},
                              {"asset", &change.asset_id}}) {
    if (!body->contains(name)) continue;
    if (!(*body)[name].is_string()) {
      return ReplyInvalid(req, res, std::string(name) + " must be a string", name);
    }
    *target = (*body)[name].get<std::string>();
  }
  if (change.event.empty()) {
    return ReplyInvalid(req, res, "event is required", "event");
  }
  if (!BodyVersion(*body, req, res, change.expected_version)) return;
  if (body->contains("tuning")) {
    // a modeling engineer's fine-tuning goes with the rework's new preparation only
    if (change.event != "reprepare") {
      return ReplyInvalid(req, res, "tuning goes with the event reprepare only", "tuning");
    }
    // a figure's tuning shapes the mesh; a print's lets a reviewer accept a low resolution
    auto current = store.Orders().GetItem(std::stoll(req.matches[1]));
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
      return ReplyInvalid(req, res, refused, "tuning");
    }
    change.tuning = (*body)["tuning"].dump();
  }
  auto item = store.Orders().TransitionItem(std::stoll(req.matches[1]), change, ctx.actor);
  if (!item) return ReplyError(req, res, item.error());
  if (item->state == "preparing" && runner != nullptr) runner->Wake();
  Reply(res, 200, api_json::ItemJson(*item, ctx.actor.role));
}
void ItemHandlers::ItemJobs(const Context&, const httplib::Request& req, httplib::Response& res) {
  const int64_t item_id = std::stoll(req.matches[1]);
  auto item = store.Orders().GetItem(item_id);
  if (!item) return ReplyError(req, res, item.error());
  auto jobs = store.Jobs().JobsForItem(item_id);
  if (!jobs) return ReplyError(req, res, jobs.error());
  json list = json::array();
  for (const orders::Job& j : *jobs) list.push_back(api_json::JobJson(j));
  Reply(res, 200, {{"jobs", list}});
}
void ItemHandlers::GetJob(const Context&, const httplib::Request& req, httplib::Response& res) {
  auto job = store.Jobs().GetJob(std::stoll(req.matches[1]));
  if (!job) return ReplyError(req, res, job.error());
  Reply(res, 200, api_json::JobJson(*job));
}
void ItemHandlers::ReviewQueue(const Context& ctx, const httplib::Request& req,
                               httplib::Response& res) {
  std::optional<int64_t> limit = 50;
  if (!QueryInteger(req, res, "limit", 1, 200, limit)) return;
  auto queue = store.Orders().ReviewQueue(static_cast<int>(*limit));
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
    entry["title_zh"] = product != nullptr ? product->title_zh : item.product;
    entry["material"] = material != nullptr ? json(material->title) : json(nullptr);
    entry["material_zh"] = material != nullptr ? json(material->title_zh) : json(nullptr);
    entry["height_mm"] = nullptr;
    entry["warnings"] = 0;
    auto jobs = store.Jobs().JobsForItem(item.id);
    if (jobs && !jobs->empty()) {
      const orders::Job& newest = *std::max_element(
          jobs->begin(), jobs->end(), [](const auto& a, const auto& b) { return a.id < b.id; });
      const json result = json::parse(newest.result, nullptr, false);
      if (result.is_object()) {
        if (result.contains("height_mm")) entry["height_mm"] = result["height_mm"];
        entry["warnings"] = result.value("findings", json::array()).size() +
                            result.value("warnings", json::array()).size();
        // the findings and warnings themselves (code, values, words; not the regions), for the
        // queue to say what is wrong without opening the item, and its preview picture
        json notices = json::array();
        for (const char* list : {"findings", "warnings"}) {
          for (const json& n : result.value(list, json::array())) {
            if (!n.is_object()) continue;
            notices.push_back({{"code", n.value("code", "")},
                               {"params", n.value("params", json::object())},
                               {"detail", n.value("detail", "")}});
          }
        }
        entry["notices"] = notices;
        if (result.contains("files") && result["files"].is_object() &&
            result["files"].contains("preview.png") && result["files"]["preview.png"].is_object()) {
          entry["preview"] = result["files"]["preview.png"].value("asset", "");
        }
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

// Items that wait on a person (parked in rework, failed, waiting for the customer's file),
// oldest first, with the reason they wait: the "needs a person" list of engineers and agents.
void ItemHandlers::WaitingItems(const Context& ctx, const httplib::Request& req,
                                httplib::Response& res) {
  std::optional<int64_t> limit = 200;
  if (!QueryInteger(req, res, "limit", 1, 500, limit)) return;
  auto waiting = store.Orders().ItemsWaitingOnAPerson(static_cast<int>(*limit));
  if (!waiting) return ReplyError(req, res, waiting.error());
  json items = json::array();
  for (const orders::WaitingItem& w : *waiting) {
    json entry = api_json::ItemJson(w.item, ctx.actor.role);
    const orders::Product* product = catalog.Find(w.item.product);
    entry["order"] = w.order_number;
    entry["title"] = product != nullptr ? product->title : w.item.product;
    entry["title_zh"] = product != nullptr ? product->title_zh : w.item.product;
    entry["reason"] = w.reason;
    entry["waiting_since"] = w.item.updated_at;
    items.push_back(std::move(entry));
  }
  Reply(res, 200, {{"items", items}});
}

}  // namespace

std::vector<Route> ItemRoutes() {
  using H = ItemHandlers;
  return {
      {"GET", "/api/v1/items/([0-9]{1,18})", "/api/v1/items/{id}", Everyone(),
       Call<H, &H::GetItem>},
      {"POST",
       "/api/v1/items/([0-9]{1,18})/transitions",
       "/api/v1/items/{id}/transitions",
       {kChannel, kModeler, kCs, kProduction, kAdmin},
       Call<H, &H::ItemTransition>},
      {"GET", "/api/v1/items/([0-9]{1,18})/jobs", "/api/v1/items/{id}/jobs", Everyone(),
       Call<H, &H::ItemJobs>},
      {"GET", "/api/v1/jobs/([0-9]{1,18})", "/api/v1/jobs/{id}", Everyone(), Call<H, &H::GetJob>},
      {"GET",
       "/api/v1/review/queue",
       "/api/v1/review/queue",
       {kModeler, kAdmin},
       Call<H, &H::ReviewQueue>},
      {"GET",
       "/api/v1/items/waiting",
       "/api/v1/items/waiting",
       {kModeler, kCs, kAdmin},
       Call<H, &H::WaitingItems>},
  };
}

}  // namespace keepsake::services
