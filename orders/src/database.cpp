// The database under every repository: opening, migrations, the writer thread with group commit,
// the reader pool; the Store that owns it and its repositories; backup and integrity.
#include <SQLiteCpp/Backup.h>

#include <chrono>
#include <ctime>
#include <filesystem>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <tuple>
#include <vector>
#include "schema.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include "database.hpp"
#include "keepsake/orders/job_kind.hpp"
#include "keepsake/orders/state_machine.hpp"
#include "keepsake/orders/store.hpp"
#include "store_rows.hpp"

namespace keepsake::orders {

using nlohmann::json;

std::string NowUtcIso() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
  const std::time_t seconds = static_cast<std::time_t>(ms.count() / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms.count() % 1000));
  return buf;
}

std::string OrderNumber(int64_t order_id) {
  char number[24];
  std::snprintf(number, sizeof number, "KS%08lld", static_cast<long long>(order_id));
  return number;
}

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

constexpr int kBusyTimeoutMs = 10000;

std::unique_ptr<SQLite::Database> OpenConnection(const std::string& path, bool read_only) {
  auto db = std::make_unique<SQLite::Database>(
      path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX);
  db->setBusyTimeout(kBusyTimeoutMs);
  db->exec("PRAGMA journal_mode=WAL");
  db->exec("PRAGMA synchronous=FULL");
  db->exec("PRAGMA foreign_keys=ON");
  db->exec("PRAGMA secure_delete=ON");
  // SQLite's temporary files (sorts, statement journals) would go to /var/tmp, outside the data
  // folder and its permissions, with customers' rows in them (found by tests/soak/strace_soak.sh)
  db->exec("PRAGMA temp_store=MEMORY");
  if (read_only) db->exec("PRAGMA query_only=ON");
  return db;
}

int CurrentVersion(SQLite::Database& db) {
  db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
      "applied_at TEXT NOT NULL)");
  SQLite::Statement q(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  q.executeStep();
  return q.getColumn(0).getInt();
}

void Migrate(SQLite::Database& db) {
  const auto& migrations = schema::Migrations();
  SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
  int version = CurrentVersion(db);
  if (version > static_cast<int>(migrations.size())) {
    throw std::runtime_error("database schema version " + std::to_string(version) +
                             " is newer than this keepsake (" + std::to_string(migrations.size()) +
                             "); refusing to open");
  }
  for (int v = version + 1; v <= static_cast<int>(migrations.size()); ++v) {
    db.exec(std::string(migrations[static_cast<size_t>(v - 1)]));
    SQLite::Statement ins(db, "INSERT INTO schema_migrations(version, applied_at) VALUES(?, ?)");
    ins.bind(1, v);
    ins.bind(2, NowUtcIso());
    ins.exec();
  }
  tx.commit();
}

}  // namespace

// --- Store ------------------------------------------------------------------------------------

void Database::StartWriter() {
  writer_thread = std::thread([this] { WriterLoop(); });
}

void Database::StopWriter() {
  {
    std::lock_guard<std::mutex> lock(queue_mutex);
    stopping = true;
  }
  queue_cv.notify_all();
  if (writer_thread.joinable()) writer_thread.join();
}

void Database::WriterLoop() {
  constexpr size_t kMaxBatch = 256;
  for (;;) {
    std::vector<PendingWrite*> batch;
    {
      std::unique_lock<std::mutex> lock(queue_mutex);
      queue_cv.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) return;  // stopping, and every write has been answered
      while (!queue.empty() && batch.size() < kMaxBatch) {
        batch.push_back(queue.front());
        queue.pop_front();
      }
    }
    std::string commit_error;
    bool disk_full = false;
    {
      std::lock_guard<std::mutex> lock(write_mutex);
      try {
        writer->exec("BEGIN IMMEDIATE");
        for (PendingWrite* w : batch) {
          writer->exec("SAVEPOINT w");
          const bool keep = w->run(*writer);
          if (!keep) writer->exec("ROLLBACK TO w");
          writer->exec("RELEASE w");
        }
        writer->exec("COMMIT");
      } catch (const SQLite::Exception& e) {
        const Error error = StorageError(e);
        commit_error = error.message;
        disk_full = error.code == Errc::kDiskFull;
        try {
          writer->exec("ROLLBACK");
        } catch (const SQLite::Exception&) {
        }
      }
    }
    {
      std::lock_guard<std::mutex> lock(queue_mutex);
      for (PendingWrite* w : batch) {
        w->commit_error = commit_error;
        w->commit_disk_full = disk_full;
        w->done = true;
      }
    }
    done_cv.notify_all();
  }
}

Store::Store(std::unique_ptr<Database> db)
    : db_(std::move(db)),
      orders_(*db_),
      access_(*db_),
      staff_(*db_),
      jobs_(*db_),
      tickets_(*db_),
      outbox_(*db_),
      claims_(*db_),
      reports_(*db_) {
  db_->StartWriter();
}
Store::~Store() { db_->StopWriter(); }

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  auto impl = std::make_unique<Database>();
  impl->options = options;
  if (options.data_key.size() != 32) {
    return Fail(Errc::kStorage, "cannot open store " + options.path +
                                    ": the data key must be 32 bytes (customers' data is "
                                    "encrypted under it)");
  }
  impl->cipher = std::make_unique<FieldCipher>(options.data_key);
  try {
    impl->writer = OpenConnection(options.path, /*read_only=*/false);
    impl->cipher->Register(*impl->writer);
    Migrate(*impl->writer);
    // the key this database was encrypted with, or it is refused before anything is read
    const std::string check = impl->writer->execAndGet("SELECT check_value FROM data_key");
    if (check != impl->cipher->KeyCheck()) {
      return Fail(Errc::kStorage,
                  "cannot open store " + options.path +
                      ": this is not the data key its customers' data was encrypted with");
    }
    for (int i = 0; i < std::max(1, options.read_connections); ++i) {
      impl->readers.push_back(OpenConnection(options.path, /*read_only=*/true));
      impl->cipher->Register(*impl->readers.back());
    }
  } catch (const std::exception& e) {
    return Fail(Errc::kStorage, "cannot open store " + options.path + ": " + e.what());
  }
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Result<bool> Store::HoldsDataKey(const std::string& path, std::string_view key) {
  try {
    if (!std::filesystem::exists(path)) return Fail(Errc::kStorage, "no database at " + path);
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    if (!db.tableExists("data_key")) {
      return Fail(Errc::kStorage, path + " holds no data encrypted under a data key");
    }
    return db.execAndGet("SELECT check_value FROM data_key").getString() ==
           FieldCipher(key).KeyCheck();
  } catch (const std::exception& e) {
    return Fail(Errc::kStorage, "cannot read the key check of " + path + ": " + e.what());
  }
}

Result<int64_t> Store::RotateDataKey(const std::string& path, std::string_view old_key,
                                     std::string_view new_key) {
  const auto holds = HoldsDataKey(path, old_key);
  if (!holds) return tl::unexpected(holds.error());
  if (!*holds) {
    return Fail(Errc::kStorage,
                "the current key file is not the data key " + path + " is encrypted with");
  }
  try {
    const FieldCipher old_cipher(old_key), new_cipher(new_key);
    auto db = OpenConnection(path, /*read_only=*/false);
    old_cipher.Register(*db);
    // the schema this keepsake knows first: a database of an older one may still hold values
    // a later migration encrypts (a greeting in plain text would not decrypt below)
    Migrate(*db);
    new_cipher.Register(*db, "_new");
    SQLite::Transaction tx(*db, SQLite::TransactionBehavior::IMMEDIATE);
    // one UPDATE: every right-hand side reads the row as it was (the phone under the old key)
    std::string sql =
        "UPDATE customers SET phone_index = ks_index_new('phone', ks_decrypt(phone)), "
        "last4_index = ks_index_new('last4', substr(ks_decrypt(phone), -4))";
    for (const char* column :
         {"name", "phone", "province", "city", "district", "street", "detail"}) {
      sql += std::string(", ") + column + " = ks_encrypt_new(ks_decrypt(" + column + "))";
    }
    const int customers = db->exec(sql);
    db->exec(
        "UPDATE channel_webhooks SET secret = ks_encrypt_new(ks_decrypt(secret)), "
        "previous_secret = CASE previous_secret WHEN '' THEN '' ELSE "
        "ks_encrypt_new(ks_decrypt(previous_secret)) END");
    db->exec("UPDATE items SET text = ks_encrypt_new(ks_decrypt(text)) WHERE text != ''");
    db->exec(
        "UPDATE jobs SET params = json_set(params, '$.text', "
        "ks_encrypt_new(ks_decrypt(json_extract(params, '$.text')))) "
        "WHERE json_valid(params) AND json_type(params, '$.text') = 'text'");
    db->exec("UPDATE staff_users SET totp_secret = ks_encrypt_new(ks_decrypt(totp_secret))");
    db->exec("UPDATE carrier_label_files SET pdf = ks_encrypt_new(ks_decrypt(pdf))");
    SQLite::Statement check(*db, "UPDATE data_key SET check_value = ?");
    check.bind(1, new_cipher.KeyCheck());
    check.exec();
    tx.commit();
    return customers;
  } catch (const std::exception& e) {
    return Fail(Errc::kStorage, "the data key of " + path + " was not rotated: " + e.what());
  }
}

bool Store::HoldsEncryptedData(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return false;
  try {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    return db.tableExists("data_key");
  } catch (const std::exception&) {
    return true;  // unreadable now: never risk making a second key for it
  }
}

int Store::SchemaVersion() {
  std::lock_guard<std::mutex> lock(db_->write_mutex);
  return CurrentVersion(*db_->writer);
}

Result<int> Store::PruneIdempotency(int keep_hours) {
  return db_->Write([&](SQLite::Database& db) -> Result<int> {
    SQLite::Statement del(db, "DELETE FROM idempotency WHERE created_ms < ?");
    del.bind(1, NowUnixMs() - static_cast<int64_t>(keep_hours) * 3600 * 1000);
    return del.exec();
  });
}

Result<void> Store::Backup(const std::string& out_path) {
  std::lock_guard<std::mutex> lock(db_->write_mutex);
  try {
    SQLite::Database dest(out_path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    SQLite::Backup backup(dest, *db_->writer);
    backup.executeStep(-1);
  } catch (const SQLite::Exception& e) {
    return Fail(Errc::kStorage, std::string("backup failed: ") + e.what());
  }
  return {};
}

Result<std::string> Store::IntegrityCheck() {
  return db_->Read([&](SQLite::Database& db) -> Result<std::string> {
    SQLite::Statement q(db, "PRAGMA integrity_check");
    q.executeStep();
    return q.getColumn(0).getString();
  });
}

}  // namespace keepsake::orders
