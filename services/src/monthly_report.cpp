#include "keepsake/services/monthly_report.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "keepsake/imaging/chart.hpp"

namespace keepsake::services {

using nlohmann::json;

namespace {

json CountsJson(const std::vector<orders::MonthlyReport::Count>& counts,
                const std::vector<std::string>& names) {
  json out = json::array();
  for (const auto& c : counts) {
    json row;
    size_t start = 0;
    for (size_t k = 0; k < names.size(); ++k) {
      const size_t bar = c.key.find('|', start);
      const std::string part = c.key.substr(start, bar == std::string::npos ? bar : bar - start);
      row[names[k]] = names[k] == "level" ? json(std::atoi(part.c_str())) : json(part);
      start = bar == std::string::npos ? c.key.size() : bar + 1;
    }
    row["count"] = c.count;
    out.push_back(row);
  }
  return out;
}

json TurnaroundJson(const orders::MonthlyReport::Turnaround& t) {
  return {{"orders", t.orders}, {"p50_hours", t.p50_hours}, {"p90_hours", t.p90_hours}};
}

std::string Fixed(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", v);
  return text;
}

}  // namespace

std::string MonthlyReportJson(const orders::MonthlyReport& r) {
  json days = json::array();
  for (const auto& d : r.days) {
    days.push_back({{"date", d.date},
                    {"orders", d.orders},
                    {"mean_placed_to_shipped_hours", d.mean_placed_to_shipped_hours < 0
                                                         ? json(nullptr)
                                                         : json(d.mean_placed_to_shipped_hours)}});
  }
  const json out = {
      {"month", r.month},
      {"orders", r.orders},
      {"orders_by_product_state", CountsJson(r.orders_by_product_state, {"product", "state"})},
      {"turnaround",
       {{"placed_to_shipped", TurnaroundJson(r.placed_to_shipped)},
        {"shipped_to_delivered", TurnaroundJson(r.shipped_to_delivered)}}},
      {"review",
       {{"items_reviewed", r.items_reviewed},
        {"items_reworked", r.items_reworked},
        {"rework_rate", r.items_reviewed == 0
                            ? json(nullptr)
                            : json(static_cast<double>(r.items_reworked) / r.items_reviewed)}}},
      {"qc_failures", r.qc_failures},
      {"tickets_by_type_level", CountsJson(r.tickets_by_type_level, {"type", "level"})},
      {"complaints", r.complaints},
      {"sla_breaches", r.sla_breaches},
      {"claims",
       {{"by_reason", CountsJson(r.claims_by_reason, {"reason"})},
        {"by_outcome", CountsJson(r.claims_by_state, {"state"})}}},
      {"days", days}};
  return out.dump(2);
}

std::string MonthlyReportCsv(const orders::MonthlyReport& r) {
  std::string csv = "section,key,value\n";
  auto row = [&](const std::string& section, const std::string& key, const std::string& value) {
    csv += section + "," + key + "," + value + "\n";
  };
  row("orders", "total", std::to_string(r.orders));
  for (const auto& c : r.orders_by_product_state)
    row("orders_by_product_state", c.key, std::to_string(c.count));
  row("turnaround", "placed_to_shipped_p50_hours", Fixed(r.placed_to_shipped.p50_hours));
  row("turnaround", "placed_to_shipped_p90_hours", Fixed(r.placed_to_shipped.p90_hours));
  row("turnaround", "shipped_to_delivered_p50_hours", Fixed(r.shipped_to_delivered.p50_hours));
  row("turnaround", "shipped_to_delivered_p90_hours", Fixed(r.shipped_to_delivered.p90_hours));
  row("review", "items_reviewed", std::to_string(r.items_reviewed));
  row("review", "items_reworked", std::to_string(r.items_reworked));
  row("quality", "qc_failures", std::to_string(r.qc_failures));
  for (const auto& c : r.tickets_by_type_level)
    row("tickets_by_type_level", c.key, std::to_string(c.count));
  row("tickets", "complaints", std::to_string(r.complaints));
  row("tickets", "sla_breaches", std::to_string(r.sla_breaches));
  for (const auto& c : r.claims_by_reason) row("claims_by_reason", c.key, std::to_string(c.count));
  for (const auto& c : r.claims_by_state) row("claims_by_outcome", c.key, std::to_string(c.count));
  for (const auto& d : r.days) {
    row("daily_orders", d.date, std::to_string(d.orders));
    if (d.mean_placed_to_shipped_hours >= 0) {
      row("daily_placed_to_shipped_hours", d.date, Fixed(d.mean_placed_to_shipped_hours));
    }
  }
  return csv;
}

std::string MonthlyReportChartPng(const orders::MonthlyReport& r) {
  imaging::DailyChart chart;
  chart.title = "Keepsake " + r.month + ": orders per day and hours from order to shipment";
  chart.bar_name = "orders placed";
  chart.line_name = "mean hours, placed to shipped";
  for (const auto& d : r.days) {
    chart.labels.push_back(d.date);
    chart.bars.push_back(d.orders);
    chart.line.push_back(d.mean_placed_to_shipped_hours);
  }
  return imaging::DailyChartPng(chart);
}

}  // namespace keepsake::services
