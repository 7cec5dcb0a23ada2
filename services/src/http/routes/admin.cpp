// The administrator's routes: the audit log and its export, the purge of customer data, the
// webhook outbox, the monthly report.
#include "http/edge_checks.hpp"
#include "http/handlers.hpp"
#include "http/routes/routes.hpp"
#include "keepsake/services/monthly_report.hpp"
#include "keepsake/services/purge.hpp"
#include "keepsake/services/webhook_sender.hpp"

namespace keepsake::services {

namespace {

class AdminHandlers : public Handlers {
 public:
  using Handlers::Handlers;
  void ListAudit(const Context&, const httplib::Request& req, httplib::Response& res);
  void ExportAudit(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void Purge(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void ListWebhooks(const Context&, const httplib::Request& req, httplib::Response& res);
  void ResendWebhook(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void ListChannelWebhooks(const Context&, const httplib::Request& req, httplib::Response& res);
  void SetChannelWebhook(const Context& ctx, const httplib::Request& req, httplib::Response& res);
  void MonthlyReport(const Context&, const httplib::Request& req, httplib::Response& res);
};

void AdminHandlers::ListAudit(const Context&, const httplib::Request& req, httplib::Response& res) {
  std::optional<int64_t> before, limit = 100;
  if (!QueryInteger(req, res, "cursor", 1, kMaxId, before) ||
      !QueryInteger(req, res, "limit", 1, 1000, limit)) {
    return;
  }
  auto entries = store.Access().ListAudit(before, static_cast<int>(*limit));
  if (!entries) return ReplyError(req, res, entries.error());
  json list = json::array();
  for (const orders::AuditEntry& e : *entries) {
    list.push_back({{"id", e.id},
                    {"at", e.at},
                    {"actor", e.actor},
                    {"role", e.role},
                    {"action", e.action},
                    {"order", e.order_id ? json(*e.order_id) : json(nullptr)},
                    {"detail", json::parse(e.detail, nullptr, false)},
                    {"peer", e.peer}});
  }
  json out = {{"entries", list}};
  out["next_cursor"] = static_cast<int>(entries->size()) == limit && !entries->empty()
                           ? json(std::to_string(entries->back().id))
                           : json(nullptr);
  Reply(res, 200, out);
}
void AdminHandlers::ExportAudit(const Context& ctx, const httplib::Request& req,
                                httplib::Response& res) {
  if (!Audit(ctx, req, res, "audit.export", std::nullopt, json::object())) return;
  std::string csv = "id,at,actor,role,action,order,detail,peer\n";
  std::optional<int64_t> before;
  for (;;) {
    auto entries = store.Access().ListAudit(before, 1000);
    if (!entries) return ReplyError(req, res, entries.error());
    for (const orders::AuditEntry& e : *entries) {
      csv += std::to_string(e.id) + "," + e.at + "," + CsvCell(e.actor) + "," + e.role + "," +
             e.action + "," + (e.order_id ? std::to_string(*e.order_id) : "") + "," +
             CsvCell(e.detail) + "," + CsvCell(e.peer) + "\n";
    }
    if (entries->size() < 1000) break;
    before = entries->back().id;
  }
  res.set_header("Content-Disposition", "attachment; filename=\"keepsake-audit.csv\"");
  res.status = 200;
  res.set_content(csv, "text/csv; charset=utf-8");
}
void AdminHandlers::Purge(const Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  orders::PurgeScope scope;
  scope.everything = body->value("everything", false);
  scope.before_iso = body->value("before", "");
  scope.order_number = body->value("order", "");
  if (scope.everything && body->value("confirm", "") != "purge every customer") {
    return ReplyInvalid(req, res,
                        "purging every order's customer data (the end of the contract) "
                        "needs \"confirm\": \"purge every customer\"",
                        "confirm");
  }
  auto done =
      PurgeAndCertify(store, paths, scope, ctx.actor, SigningKeyPath(paths, config.signing_key));
  if (!done) return ReplyError(req, res, done.error());
  const orders::PurgeResult& r = done->result;
  spdlog::info("event=customers_purged purge={} orders={} customers={} files={}", r.id, r.orders,
               r.customers, r.files.size());
  Reply(res, 200,
        {{"purge", r.id},
         {"orders", r.orders},
         {"customers", r.customers},
         {"texts_redacted", r.texts_redacted},
         {"files_deleted", r.files.size()},
         {"files_kept_shared", r.shared_files.size()},
         {"digest", r.digest},
         {"at", r.at},
         {"certificate", json::parse(done->certificate)},
         // earlier purges cut short after their database step, finished and certified now
         {"finished_earlier", done->finished_earlier.size()}});
}
void AdminHandlers::ListWebhooks(const Context&, const httplib::Request& req,
                                 httplib::Response& res) {
  std::optional<int64_t> limit = 100;
  if (!QueryInteger(req, res, "limit", 1, 1000, limit)) return;
  auto messages = store.Notifications().ListNotifications(req.get_param_value("state"),
                                                          static_cast<int>(*limit));
  if (!messages) return ReplyError(req, res, messages.error());
  json list = json::array();
  for (const orders::OutboxMessage& m : *messages) {
    list.push_back(
        {{"event_id", m.event_id},
         {"type", m.kind},
         {"created_at", m.at},
         {"state", m.state},
         {"attempts", m.attempts},
         {"next_attempt_at",
          m.state == "pending" ? json(orders::IsoFromUnixMs(m.next_attempt_ms)) : json(nullptr)},
         {"last_error", m.last_error},
         {"channel", m.channel},
         {"body", json::parse(m.body, nullptr, false)}});
  }
  Reply(res, 200,
        {{"webhook_url_configured", !config.webhook_url.empty()}, {"notifications", list}});
}
// A dead notification sent again (after the channel fixed its endpoint).
void AdminHandlers::ResendWebhook(const Context& ctx, const httplib::Request& req,
                                  httplib::Response& res) {
  auto message = store.Notifications().Resend(req.matches[1], ctx.actor);
  if (!message) return ReplyError(req, res, message.error());
  Reply(res, 200, {{"event_id", message->event_id}, {"state", message->state}});
}
// Each channel's webhook: where it goes and when it changed, never the secret.
json ChannelWebhookJson(const orders::ChannelWebhook& w) {
  return {{"channel", w.channel},
          {"url", w.url},
          {"previous_secret_until", w.previous_until_ms > orders::NowUnixMs()
                                        ? json(orders::IsoFromUnixMs(w.previous_until_ms))
                                        : json(nullptr)},
          {"updated_at", w.updated_at}};
}
void AdminHandlers::ListChannelWebhooks(const Context&, const httplib::Request& req,
                                        httplib::Response& res) {
  auto hooks = store.Notifications().ListChannelWebhooks();
  if (!hooks) return ReplyError(req, res, hooks.error());
  json list = json::array();
  for (const orders::ChannelWebhook& w : *hooks) list.push_back(ChannelWebhookJson(w));
  Reply(res, 200, {{"webhooks", list}});
}
// {"url", "secret", "overlap_hours"}: sets the channel's webhook, or rotates its secret (the
// old one still signs beside the new for the overlap, 24 h unless said).
void AdminHandlers::SetChannelWebhook(const Context& ctx, const httplib::Request& req,
                                      httplib::Response& res) {
  auto body = Body(req, res, true);
  if (!body) return;
  const std::string url = body->value("url", "");
  if (const std::string bad = WebhookSender::CheckUrl(url); !bad.empty()) {
    return ReplyInvalid(req, res, bad, "url");
  }
  auto hook = store.Notifications().SetChannelWebhook(
      req.matches[1], url, body->value("secret", ""), body->value("overlap_hours", 24), ctx.actor);
  if (!hook) return ReplyError(req, res, hook.error());
  spdlog::info("event=channel_webhook_set");
  Reply(res, 200, ChannelWebhookJson(*hook));
}
// ?month=2026-11 [&format=json|csv|png]
void AdminHandlers::MonthlyReport(const Context&, const httplib::Request& req,
                                  httplib::Response& res) {
  auto report = store.Reports().BuildMonthlyReport(req.get_param_value("month"));
  if (!report) return ReplyError(req, res, report.error());
  const std::string format = req.has_param("format") ? req.get_param_value("format") : "json";
  res.status = 200;
  if (format == "csv") {
    res.set_header("Content-Disposition",
                   "attachment; filename=\"keepsake-" + report->month + ".csv\"");
    res.set_content(MonthlyReportCsv(*report), "text/csv; charset=utf-8");
  } else if (format == "png") {
    res.set_content(MonthlyReportChartPng(*report), "image/png");
  } else if (format == "json") {
    res.set_content(MonthlyReportJson(*report), "application/json");
  } else {
    ReplyInvalid(req, res, "format is json, csv or png", "format", {"json", "csv", "png"});
  }
}

}  // namespace

std::vector<Route> AdminRoutes() {
  using H = AdminHandlers;
  return {
      {"GET", "/api/v1/audit", "/api/v1/audit", {kAdmin}, Call<H, &H::ListAudit>},
      {"GET", "/api/v1/audit/export", "/api/v1/audit/export", {kAdmin}, Call<H, &H::ExportAudit>},
      {"POST", "/api/v1/admin/purge", "/api/v1/admin/purge", {kAdmin}, Call<H, &H::Purge>},
      {"GET", "/api/v1/webhooks", "/api/v1/webhooks", {kAdmin}, Call<H, &H::ListWebhooks>},
      {"POST",
       "/api/v1/webhooks/([A-Za-z0-9_]{1,40})/resend",
       "/api/v1/webhooks/{id}/resend",
       {kAdmin},
       Call<H, &H::ResendWebhook>},
      {"GET",
       "/api/v1/channels/webhooks",
       "/api/v1/channels/webhooks",
       {kAdmin},
       Call<H, &H::ListChannelWebhooks>},
      {"POST",
       "/api/v1/channels/([A-Za-z0-9._-]{1,100})/webhook",
       "/api/v1/channels/{id}/webhook",
       {kAdmin},
       Call<H, &H::SetChannelWebhook>},
      {"GET",
       "/api/v1/reports/monthly",
       "/api/v1/reports/monthly",
       {kAdmin, kCs},
       Call<H, &H::MonthlyReport>},
  };
}

}  // namespace keepsake::services
