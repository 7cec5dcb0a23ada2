// The contract's monthly figures.
// One of the store's repositories (store.hpp): every method is one transaction over the
// store's database; all may be called from any thread.
#pragma once

#include <string>

#include "keepsake/orders/error.hpp"
#include "keepsake/orders/types.hpp"

namespace keepsake::orders {

struct Database;

class ReportRepository {
 public:
  explicit ReportRepository(Database& db) : db_(&db) {}

  // The figures of `month` ("2026-11"). Errors: kInvalidArgument (month), kStorage.
  Result<MonthlyReport> BuildMonthlyReport(const std::string& month);

 private:
  Database* db_;
};

}  // namespace keepsake::orders
