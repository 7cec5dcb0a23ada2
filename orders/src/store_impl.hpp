// Private: the connection handling shared by the store's .cpp files.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

#include "keepsake/orders/store.hpp"

namespace keepsake::orders {

struct Store::Impl {
  StoreOptions options;
  std::mutex write_mutex;
  std::unique_ptr<SQLite::Database> writer;

  std::mutex pool_mutex;
  std::condition_variable pool_cv;
  std::vector<std::unique_ptr<SQLite::Database>> readers;

  // Runs `fn(db)` in one BEGIN IMMEDIATE transaction on the writer connection; commits when
  // it returns a value, rolls back when it returns an error or throws.
  template <typename Fn>
  auto Write(Fn&& fn) -> decltype(fn(std::declval<SQLite::Database&>())) {
    std::lock_guard<std::mutex> lock(write_mutex);
    try {
      SQLite::Transaction tx(*writer, SQLite::TransactionBehavior::IMMEDIATE);
      auto result = fn(*writer);
      if (result) tx.commit();
      return result;
    } catch (const SQLite::Exception& e) {
      return Fail(Errc::kStorage, std::string("storage error: ") + e.what());
    }
  }

  // Runs `fn(db)` on a pooled read-only connection (a consistent WAL snapshot per statement;
  // wrap in a deferred transaction when several statements must agree).
  template <typename Fn>
  auto Read(Fn&& fn) -> decltype(fn(std::declval<SQLite::Database&>())) {
    std::unique_ptr<SQLite::Database> db;
    {
      std::unique_lock<std::mutex> lock(pool_mutex);
      pool_cv.wait(lock, [&] { return !readers.empty(); });
      db = std::move(readers.back());
      readers.pop_back();
    }
    struct Return {
      Impl* impl;
      std::unique_ptr<SQLite::Database>* db;
      ~Return() {
        std::lock_guard<std::mutex> lock(impl->pool_mutex);
        impl->readers.push_back(std::move(*db));
        impl->pool_cv.notify_one();
      }
    } give_back{this, &db};
    try {
      SQLite::Transaction tx(*db);  // one snapshot for every statement of fn
      auto result = fn(*db);
      tx.commit();
      return result;
    } catch (const SQLite::Exception& e) {
      return Fail(Errc::kStorage, std::string("storage error: ") + e.what());
    }
  }
};

}  // namespace keepsake::orders
