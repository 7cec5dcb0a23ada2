// The monthly report's figures, straight from the tables and the timeline.
#include <map>

#include "database.hpp"
#include "keepsake/orders/sla.hpp"
#include "keepsake/orders/store.hpp"

namespace keepsake::orders {

namespace {

std::vector<MonthlyReport::Count> Counts(SQLite::Database& db, const std::string& sql,
                                         const std::string& from, const std::string& to) {
  SQLite::Statement q(db, sql);
  q.bind(1, from);
  q.bind(2, to);
  std::vector<MonthlyReport::Count> out;
  while (q.executeStep()) out.push_back({q.getColumn(0).getString(), q.getColumn(1).getInt()});
  return out;
}

int Scalar(SQLite::Database& db, const std::string& sql, const std::string& from,
           const std::string& to) {
  SQLite::Statement q(db, sql);
  q.bind(1, from);
  q.bind(2, to);
  return q.executeStep() ? q.getColumn(0).getInt() : 0;
}

// Turnaround from the timeline (creation, the first shipment, the first delivery) of the
// orders placed in [from, to), and every day of the month with its orders and mean hours to
// ship.
void AddTurnaround(SQLite::Database& db, int year, int mon, const std::string& from,
                   const std::string& to, MonthlyReport& r) {
  SQLite::Statement times(
      db,
      "SELECT o.created_at, substr(o.created_at, 1, 10), "
      "(SELECT min(at) FROM events e WHERE e.order_id = o.id AND e.kind = 'order.transition' "
      "AND e.to_state = 'shipped'), "
      "(SELECT min(at) FROM events e WHERE e.order_id = o.id AND e.kind = 'order.transition' "
      "AND e.to_state = 'delivered') FROM orders o WHERE o.created_at >= ? AND o.created_at < ?");
  times.bind(1, from);
  times.bind(2, to);
  std::vector<double> to_ship, to_deliver;
  std::map<std::string, std::pair<int, std::vector<double>>> by_day;
  while (times.executeStep()) {
    const int64_t created = UnixMsFromIso(times.getColumn(0).getString());
    auto& day = by_day[times.getColumn(1).getString()];
    ++day.first;
    if (times.getColumn(2).isNull()) continue;
    const int64_t shipped = UnixMsFromIso(times.getColumn(2).getString());
    to_ship.push_back(static_cast<double>(shipped - created) / 3.6e6);
    day.second.push_back(to_ship.back());
    if (!times.getColumn(3).isNull()) {
      to_deliver.push_back(
          static_cast<double>(UnixMsFromIso(times.getColumn(3).getString()) - shipped) / 3.6e6);
    }
  }
  r.placed_to_shipped = {static_cast<int>(to_ship.size()), Percentile(to_ship, 0.5),
                         Percentile(to_ship, 0.9)};
  r.shipped_to_delivered = {static_cast<int>(to_deliver.size()), Percentile(to_deliver, 0.5),
                            Percentile(to_deliver, 0.9)};
  // every day of the month, with or without orders
  for (int d = 1; d <= 31; ++d) {
    char date[40];
    std::snprintf(date, sizeof date, "%04d-%02d-%02d", year, mon, d);
    if (UnixMsFromIso(std::string(date) + "T00:00:00Z") < 0) break;
    if (std::string(date) + "T00:00:00.000Z" >= std::string(to)) break;
    MonthlyReport::Day day{date, 0, -1};
    if (auto it = by_day.find(date); it != by_day.end()) {
      day.orders = it->second.first;
      if (!it->second.second.empty()) {
        double sum = 0;
        for (double h : it->second.second) sum += h;
        day.mean_placed_to_shipped_hours = sum / static_cast<double>(it->second.second.size());
      }
    }
    r.days.push_back(day);
  }
}

}  // namespace

Result<MonthlyReport> ReportRepository::BuildMonthlyReport(const std::string& month) {
  int year = 0, mon = 0;
  char tail = 0;
  if (month.size() != 7 || std::sscanf(month.c_str(), "%4d-%2d%c", &year, &mon, &tail) != 2 ||
      mon < 1 || mon > 12) {
    return Fail(Errc::kInvalidArgument, "month must look like 2026-11", "month");
  }
  char from[48], to[48];
  std::snprintf(from, sizeof from, "%04d-%02d-01T00:00:00.000Z", year, mon);
  std::snprintf(to, sizeof to, "%04d-%02d-01T00:00:00.000Z", mon == 12 ? year + 1 : year,
                mon == 12 ? 1 : mon + 1);
  return db_->Read([&](SQLite::Database& db) -> Result<MonthlyReport> {
    MonthlyReport r;
    r.month = month;
    const std::string in_month = "created_at >= ? AND created_at < ?";
    r.orders = Scalar(db, "SELECT count(*) FROM orders WHERE " + in_month, from, to);
    r.orders_by_product_state =
        Counts(db,
               "SELECT i.product || '|' || o.state, count(DISTINCT o.id) FROM orders o JOIN items "
               "i ON i.order_id = o.id WHERE o.created_at >= ? AND o.created_at < ? GROUP BY 1 "
               "ORDER BY 1",
               from, to);
    AddTurnaround(db, year, mon, from, to, r);
    // review and rework of the month's orders' items; QC failures that happened in the month
    r.items_reviewed = Scalar(db,
                              "SELECT count(DISTINCT e.item_id) FROM events e JOIN orders o ON "
                              "o.id = e.order_id WHERE e.kind = 'item.transition' AND e.to_state "
                              "= 'needs_review' AND o.created_at >= ? AND o.created_at < ?",
                              from, to);
    r.items_reworked = Scalar(db,
                              "SELECT count(DISTINCT e.item_id) FROM events e JOIN orders o ON "
                              "o.id = e.order_id WHERE e.kind = 'item.transition' AND e.to_state "
                              "= 'rework' AND o.created_at >= ? AND o.created_at < ?",
                              from, to);
    r.qc_failures = Scalar(db,
                           "SELECT count(*) FROM events WHERE kind = 'item.transition' AND "
                           "from_state = 'produced' AND to_state = 'in_production' AND at >= ? "
                           "AND at < ?",
                           from, to);
    r.tickets_by_type_level = Counts(db,
                                     "SELECT type || '|' || level, count(*) FROM tickets WHERE " +
                                         in_month + " GROUP BY 1 ORDER BY 1",
                                     from, to);
    r.complaints = Scalar(
        db, "SELECT count(*) FROM tickets WHERE type = 'complaint' AND " + in_month, from, to);
    r.sla_breaches =
        Scalar(db, "SELECT count(*) FROM ticket_log WHERE kind = 'breach' AND at >= ? AND at < ?",
               from, to);
    r.claims_by_reason = Counts(
        db, "SELECT reason, count(*) FROM claims WHERE " + in_month + " GROUP BY 1 ORDER BY 1",
        from, to);
    r.claims_by_state = Counts(
        db, "SELECT state, count(*) FROM claims WHERE " + in_month + " GROUP BY 1 ORDER BY 1", from,
        to);
    return r;
  });
}

}  // namespace keepsake::orders
