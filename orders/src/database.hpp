// Private: the connection handling shared by the store's .cpp files.
//
// Group commit: every write runs on one writer thread. The thread takes all writes waiting at
// that moment, runs each inside its own SAVEPOINT of one BEGIN IMMEDIATE transaction (a write
// that fails rolls back only itself), and commits once. Each caller returns only after the
// commit that holds its write, so acknowledged still means durable (synchronous=FULL), but one
// fsync serves every write of the batch instead of one each.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>
#include "field_cipher.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include "keepsake/orders/store.hpp"
#include "keepsake/orders/transaction.hpp"

namespace keepsake::orders {

// A SQLite failure as an Error: a full disk (SQLITE_FULL) is told apart, the rest is storage.
inline Error StorageError(const SQLite::Exception& e) {
  if ((e.getErrorCode() & 0xff) == SQLITE_FULL) {
    return Error{Errc::kDiskFull, "the server's disk is full: nothing was written", "", {}};
  }
  return Error{Errc::kStorage, std::string("storage error: ") + e.what(), "", {}};
}

struct Database {
  StoreOptions options;
  std::unique_ptr<FieldCipher> cipher;  // on every connection as ks_encrypt/ks_decrypt/ks_index
  std::mutex write_mutex;  // held by the writer thread around each batch; Backup takes it too
  std::unique_ptr<SQLite::Database> writer;

  std::mutex pool_mutex;
  std::condition_variable pool_cv;
  std::vector<std::unique_ptr<SQLite::Database>> readers;

  struct PendingWrite {
    std::function<bool(SQLite::Database&)> run;  // false: roll back this write
    std::string commit_error;                    // set when the batch's COMMIT failed
    bool commit_disk_full = false;               // because the disk was full
    bool done = false;
  };
  std::mutex queue_mutex;
  std::condition_variable queue_cv;  // the writer waits for work
  std::condition_variable done_cv;   // callers wait for their batch
  std::deque<PendingWrite*> queue;
  bool stopping = false;
  std::thread writer_thread;

  void StartWriter();
  void StopWriter();
  void WriterLoop();

  // Runs `fn(db)` in the writer's current transaction; returns after the commit. A value
  // commits, an error (or an exception) rolls back this write only.
  template <typename Fn>
  auto Write(Fn&& fn) -> decltype(fn(std::declval<SQLite::Database&>())) {
    using R = decltype(fn(std::declval<SQLite::Database&>()));
    std::optional<R> out;
    PendingWrite pending;
    pending.run = [&](SQLite::Database& db) {
      try {
        out.emplace(fn(db));
      } catch (const SQLite::Exception& e) {
        out.emplace(tl::unexpected(StorageError(e)));
      }
      return out->has_value();
    };
    {
      std::unique_lock<std::mutex> lock(queue_mutex);
      queue.push_back(&pending);
      queue_cv.notify_one();
      done_cv.wait(lock, [&] { return pending.done; });
    }
    if (!pending.commit_error.empty()) {
      return Fail(pending.commit_disk_full ? Errc::kDiskFull : Errc::kStorage,
                  pending.commit_error);
    }
    return std::move(*out);
  }

  // Runs `fn(db)` on a pooled read-only connection, in one read transaction (one snapshot).
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
      Database* impl;
      std::unique_ptr<SQLite::Database>* db;
      ~Return() {
        std::lock_guard<std::mutex> lock(impl->pool_mutex);
        impl->readers.push_back(std::move(*db));
        impl->pool_cv.notify_one();
      }
    } give_back{this, &db};
    try {
      SQLite::Transaction tx(*db);
      auto result = fn(*db);
      tx.commit();
      return result;
    } catch (const SQLite::Exception& e) {
      return Fail(Errc::kStorage, std::string("storage error: ") + e.what());
    }
  }
};

// What a Transaction (transaction.hpp) runs on: the connection of this write or read.
struct Transaction::Impl {
  SQLite::Database& db;
  Database& store;
};

}  // namespace keepsake::orders
