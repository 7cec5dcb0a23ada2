// The monthly report's three forms, shared by `keepsake report monthly` and the API: JSON (the
// figures), CSV (one row per figure, for a spreadsheet) and a PNG chart of daily orders and
// turnaround.
#pragma once

#include <string>

#include "keepsake/orders/types.hpp"

namespace keepsake::services {

std::string MonthlyReportJson(const orders::MonthlyReport& report);
std::string MonthlyReportCsv(const orders::MonthlyReport& report);
std::string MonthlyReportChartPng(const orders::MonthlyReport& report);

}  // namespace keepsake::services
