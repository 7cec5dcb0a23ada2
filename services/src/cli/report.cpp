// `keepsake report monthly`: one month's figures as report.json, report.csv and chart.png.
#include <filesystem>
#include <iostream>

#include "cli/command.hpp"
#include "keepsake/services/asset_files.hpp"
#include "keepsake/services/monthly_report.hpp"

namespace keepsake::services::cli {

namespace {

namespace fs = std::filesystem;

struct ReportOptions {
  ServerConfig config;
  std::string month, out;
};

int Monthly(const ReportOptions& o) {
  auto store = OpenExistingStore(o.config);
  if (!store) return Die(store.error().message);
  auto figures = (*store)->Reports().BuildMonthlyReport(o.month);
  if (!figures) return Die(figures.error().message);
  std::error_code ec;
  fs::create_directories(o.out, ec);
  for (const auto& [name, bytes] :
       {std::pair<std::string, std::string>{"report.json", MonthlyReportJson(*figures)},
        {"report.csv", MonthlyReportCsv(*figures)},
        {"chart.png", MonthlyReportChartPng(*figures)}}) {
    if (!WriteFileAtomically(fs::path(o.out) / name, bytes)) {
      return Die("cannot write " + (fs::path(o.out) / name).string());
    }
  }
  std::cout << "report for " << o.month << ": " << figures->orders << " orders; written to "
            << o.out << std::endl;
  return 0;
}

}  // namespace

std::vector<Command> AddReport(CLI::App& app) {
  auto o = std::make_shared<ReportOptions>();
  auto* report = app.add_subcommand("report", "Reports for the contract");
  report->require_subcommand(1);
  auto* monthly = report->add_subcommand(
      "monthly", "One month's figures: writes OUT/report.json, report.csv and chart.png");
  AddDataOption(*monthly, o->config);
  monthly->add_option("--month", o->month, "The month, e.g. 2026-11")->required();
  monthly->add_option("--out", o->out, "Output folder")->required();
  return {{monthly, [o] { return Monthly(*o); }}};
}

}  // namespace keepsake::services::cli
