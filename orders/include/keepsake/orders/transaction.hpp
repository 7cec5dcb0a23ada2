// The store's transaction as other modules see it: prepared statements and the order steps a
// module built on orders may take inside one (a timeline event, an order event), with no
// database driver in the header. A module that owns tables of the same database (logistics'
// shipments) runs its repository through Store::Write and Store::Read and this type, instead
// of handing its rules to orders as callbacks; when the store moves to another database server
// the driver behind Statement changes, not the repositories.
//
// A Transaction lives only inside the function given to Store::Write or Store::Read; neither it
// nor its statements may be kept past that call.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "keepsake/orders/error.hpp"
#include "keepsake/orders/types.hpp"

namespace keepsake::orders {

// One prepared SQL statement with `?` placeholders (1-based), as in SQLite.
class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, const std::string& value);
  Statement& Bind(int index, const char* value) { return Bind(index, std::string(value)); }
  Statement& BindNull(int index);
  // The next row of a query; false when there is none.
  bool Step();
  // Runs a statement that returns no rows; the number of rows it changed.
  int Exec();
  // Ready to bind and run again (one statement for many rows).
  void Reset();
  int64_t Int(int column) const;  // 0-based columns
  std::string Text(int column) const;
  bool IsNull(int column) const;

 private:
  friend class Transaction;
  struct Impl;
  explicit Statement(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class Transaction {
 public:
  struct Impl;
  explicit Transaction(Impl& impl) : impl_(&impl) {}

  // Errors are exceptions here (the store turns them into kStorage or kDiskFull and rolls the
  // transaction back).
  Statement Prepare(const std::string& sql);
  int64_t LastInsertId();

  // The order steps, taken inside this transaction exactly as the order repository takes them.
  void AppendEvent(const Event& event);
  std::optional<Order> LoadOrder(int64_t order_id);
  // An order event (the state table, hold/resume, the delivery-exception ticket, the timeline).
  Result<Order> ApplyOrderEvent(int64_t order_id, std::string_view event, const Actor& actor,
                                const std::string& reason);

 private:
  Impl* impl_;
};

}  // namespace keepsake::orders
