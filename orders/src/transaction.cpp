// The transaction other modules' repositories run in (transaction.hpp): SQLiteCpp behind a
// small statement type, and the order steps of rows.cpp.
#include "keepsake/orders/transaction.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include "database.hpp"
#include "store_rows.hpp"

namespace keepsake::orders {

struct Statement::Impl {
  SQLite::Statement query;
};

Statement::Statement(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Statement::Statement(Statement&&) noexcept = default;
Statement& Statement::operator=(Statement&&) noexcept = default;
Statement::~Statement() = default;

Statement& Statement::Bind(int index, int64_t value) {
  impl_->query.bind(index, value);
  return *this;
}
Statement& Statement::Bind(int index, const std::string& value) {
  impl_->query.bind(index, value);
  return *this;
}
Statement& Statement::BindNull(int index) {
  impl_->query.bind(index);
  return *this;
}
bool Statement::Step() { return impl_->query.executeStep(); }
int Statement::Exec() { return impl_->query.exec(); }
void Statement::Reset() { impl_->query.reset(); }
int64_t Statement::Int(int column) const { return impl_->query.getColumn(column).getInt64(); }
std::string Statement::Text(int column) const { return impl_->query.getColumn(column).getString(); }
bool Statement::IsNull(int column) const { return impl_->query.getColumn(column).isNull(); }

Statement Transaction::Prepare(const std::string& sql) {
  return Statement(std::make_unique<Statement::Impl>(Statement::Impl{{impl_->db, sql}}));
}

int64_t Transaction::LastInsertId() { return impl_->db.getLastInsertRowid(); }

void Transaction::AppendEvent(const Event& event) { rows::AppendEvent(impl_->db, event); }

std::optional<Order> Transaction::LoadOrder(int64_t order_id) {
  return rows::LoadOrder(impl_->db, "o.id = ?", std::to_string(order_id));
}

Result<Order> Transaction::ApplyOrderEvent(int64_t order_id, std::string_view event,
                                           const Actor& actor, const std::string& reason) {
  return rows::ApplyOrderEvent(impl_->db, order_id, event, actor, reason, std::nullopt,
                               impl_->store.options.job_max_attempts);
}

Result<void> Store::RunWrite(const Body& body) {
  return db_->Write([&](SQLite::Database& db) -> Result<void> {
    Transaction::Impl impl{db, *db_};
    Transaction tx(impl);
    return body(tx);
  });
}

Result<void> Store::RunRead(const Body& body) {
  return db_->Read([&](SQLite::Database& db) -> Result<void> {
    Transaction::Impl impl{db, *db_};
    Transaction tx(impl);
    return body(tx);
  });
}

}  // namespace keepsake::orders
