// The order store: opening, migrations, orders, items, assets, tokens and audit.
// The job queue is in job_queue.cpp. SQLite pragmas: https://sqlite.org/pragma.html
#include "keepsake/orders/store.hpp"
#include "keepsake/orders/job_kind.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <regex>
#include <set>

#include <SQLiteCpp/Backup.h>
#include <nlohmann/json.hpp>

#include "keepsake/orders/state_machine.hpp"
#include "schema.hpp"
#include "store_impl.hpp"
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

std::optional<Asset> LoadAsset(SQLite::Database& db, const std::string& id) {
  SQLite::Statement q(db, "SELECT id, kind, format, bytes, created_at FROM assets WHERE id = ?");
  q.bind(1, id);
  if (!q.executeStep()) return std::nullopt;
  return Asset{q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(),
               q.getColumn(3).getInt64(), q.getColumn(4).getString()};
}

bool ValidText(const std::string& s, size_t max_len) { return !s.empty() && s.size() <= max_len; }

Result<void> ValidateNewOrder(const NewOrder& order) {
  if (!ValidText(order.channel_ref, 128)) {
    return Fail(Errc::kInvalidArgument, "channel_ref is required (1-128 characters)",
                "channel_ref");
  }
  if (!ValidText(order.customer.name, 100)) {
    return Fail(Errc::kInvalidArgument, "customer name is required (1-100 bytes)", "customer.name");
  }
  static const std::regex kPhone(R"(^\+?[0-9]{6,20}$)");
  if (!std::regex_match(order.customer.phone, kPhone)) {
    return Fail(Errc::kInvalidArgument,
                "customer phone must be 6-20 digits, optionally starting with +", "customer.phone");
  }
  const Address& a = order.customer.address;
  const std::pair<const std::string*, const char*> required[] = {
      {&a.province, "customer.address.province"},
      {&a.city, "customer.address.city"},
      {&a.detail, "customer.address.detail"},
  };
  for (const auto& [value, field] : required) {
    if (!ValidText(*value, 200)) {
      return Fail(Errc::kInvalidArgument, std::string(field) + " is required (1-200 bytes)", field);
    }
  }
  if (a.district.size() > 200 || a.street.size() > 200) {
    return Fail(Errc::kInvalidArgument, "address fields are at most 200 bytes",
                a.district.size() > 200 ? "customer.address.district" : "customer.address.street");
  }
  if (order.items.empty() || order.items.size() > 50) {
    return Fail(Errc::kInvalidArgument, "an order has 1 to 50 items", "items");
  }
  return {};
}

std::string JobKindFor(const std::string& asset_kind) {
  // 2D artwork is rendered to print files (inspect_image: jobs queued before 2D rendering)
  return std::string(
      JobKindName(asset_kind == "mesh" ? JobKind::kPrepareMesh : JobKind::kRenderPrint));
}

Result<std::string> AssetKind(SQLite::Database& db, const std::string& asset_id,
                              const std::string& field) {
  auto asset = LoadAsset(db, asset_id);
  if (!asset) return Fail(Errc::kNotFound, "asset " + asset_id + " was not uploaded", field);
  return asset->kind;
}

// The asset kind a product needs: figures are printed from meshes, 2D products from images.
Result<void> CheckAssetFits(const Product& product, const std::string& asset_kind,
                            const std::string& field) {
  const std::string needed = product.kind == ProductKind::kFigure ? "mesh" : "image";
  if (asset_kind != needed) {
    return Fail(Errc::kInvalidArgument,
                "product " + product.id + " needs a " + needed + " asset, not " + asset_kind,
                field);
  }
  return {};
}

}  // namespace

// --- row helpers shared with job_queue.cpp -------------------------------------------------

namespace rows {

void AppendEvent(SQLite::Database& db, const Event& e) {
  SQLite::Statement ins(db,
                        "INSERT INTO events(order_id, item_id, at, actor, role, kind, from_state, "
                        "to_state, reason, detail) VALUES(?,?,?,?,?,?,?,?,?,?)");
  ins.bind(1, e.order_id);
  if (e.item_id) {
    ins.bind(2, *e.item_id);
  } else {
    ins.bind(2);
  }
  ins.bind(3, e.at.empty() ? NowUtcIso() : e.at);
  ins.bind(4, e.actor);
  ins.bind(5, e.role);
  ins.bind(6, e.kind);
  ins.bind(7, e.from_state);
  ins.bind(8, e.to_state);
  ins.bind(9, e.reason);
  ins.bind(10, e.detail.empty() ? std::string("{}") : e.detail);
  ins.exec();
  // the channel hears of state changes (and claim decisions) through the outbox, in this
  // transaction: the event's id is the notification's id, so a receiver can de-duplicate
  static const std::set<std::string> notified = {"order.created", "order.transition",
                                                 "item.transition", "claim.decided",
                                                 "shipment.transition"};
  if (notified.count(e.kind) == 0) return;
  const int64_t event_id = db.getLastInsertRowid();
  const std::string number = OrderNumber(e.order_id);
  const std::string at = e.at.empty() ? NowUtcIso() : e.at;
  json data = {{"order", number}, {"from", e.from_state}, {"to", e.to_state}};
  if (e.item_id) data["item"] = *e.item_id;
  if (!e.reason.empty()) data["reason"] = e.reason;
  const json body = {{"id", "evt_" + std::to_string(event_id)},
                     {"type", e.kind},
                     {"created_at", at},
                     {"data", data}};
  SQLite::Statement out(db,
                        "INSERT INTO outbox(event_id, kind, at, body, next_attempt_ms) "
                        "VALUES(?,?,?,?,?)");
  out.bind(1, "evt_" + std::to_string(event_id));
  out.bind(2, e.kind);
  out.bind(3, at);
  out.bind(4, body.dump());
  out.bind(5, NowUnixMs());
  out.exec();
}

void EnqueueJob(SQLite::Database& db, int64_t item_id, const std::string& asset_id,
                const std::string& asset_kind, int max_attempts) {
  const std::string now = NowUtcIso();
  // the job keeps the item's product, options and fine-tuning as they were when it was queued
  SQLite::Statement options(db, "SELECT product, options, tuning, text FROM items WHERE id = ?");
  options.bind(1, item_id);
  json job_params = json::object();
  if (options.executeStep()) {
    job_params = json::parse(options.getColumn(1).getString(), nullptr, false);
    if (!job_params.is_object()) job_params = json::object();
    job_params["product"] = options.getColumn(0).getString();
    const json tuning = json::parse(options.getColumn(2).getString(), nullptr, false);
    if (tuning.is_object() && !tuning.empty()) job_params["tuning"] = tuning;
    const std::string text = options.getColumn(3).getString();
    if (!text.empty()) job_params["text"] = text;
  }
  const std::string params = job_params.dump();
  SQLite::Statement ins(db,
                        "INSERT INTO jobs(kind, item_id, asset_id, state, max_attempts, "
                        "run_after_ms, created_at, updated_at, params) "
                        "VALUES(?,?,?,'queued',?,?,?,?,?)");
  ins.bind(1, JobKindFor(asset_kind));
  ins.bind(2, item_id);
  ins.bind(3, asset_id);
  ins.bind(4, max_attempts);
  ins.bind(5, NowUnixMs());
  ins.bind(6, now);
  ins.bind(7, now);
  ins.bind(8, params);
  ins.exec();
}

std::optional<Item> LoadItem(SQLite::Database& db, int64_t item_id) {
  SQLite::Statement q(db,
                      "SELECT id, order_id, position, product, options, COALESCE(asset_id, ''), "
                      "state, version, created_at, updated_at, COALESCE(print_file, ''), tuning, "
                      "text FROM items WHERE id = ?");
  q.bind(1, item_id);
  if (!q.executeStep()) return std::nullopt;
  return ItemFromRow(q);
}

Item ItemFromRow(SQLite::Statement& q) {
  Item item;
  item.id = q.getColumn(0).getInt64();
  item.order_id = q.getColumn(1).getInt64();
  item.position = q.getColumn(2).getInt();
  item.product = q.getColumn(3).getString();
  json options = json::parse(q.getColumn(4).getString(), nullptr, false);
  if (options.is_object()) {
    for (const auto& [k, v] : options.items()) {
      if (v.is_number_integer()) item.options[k] = v.get<int64_t>();
    }
  }
  item.asset_id = q.getColumn(5).getString();
  item.state = q.getColumn(6).getString();
  item.version = q.getColumn(7).getInt64();
  item.created_at = q.getColumn(8).getString();
  item.updated_at = q.getColumn(9).getString();
  item.print_file = q.getColumn(10).getString();
  item.tuning = q.getColumn(11).getString();
  item.text = q.getColumn(12).getString();
  return item;
}

std::optional<Order> LoadOrder(SQLite::Database& db, const char* where, const std::string& key) {
  const std::string sql =
      "SELECT o.id, o.number, o.channel_ref, o.state, o.held_from, o.version, o.created_at, "
      "o.updated_at, c.id, c.name, c.phone, c.province, c.city, c.district, c.street, c.detail, "
      "o.channel FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE " +
      std::string(where);
  SQLite::Statement q(db, sql);
  q.bind(1, key);
  if (!q.executeStep()) return std::nullopt;
  Order order = OrderFromRow(q);
  LoadItems(db, order);
  return order;
}

Order OrderFromRow(SQLite::Statement& q) {
  Order order;
  order.id = q.getColumn(0).getInt64();
  order.number = q.getColumn(1).getString();
  order.channel_ref = q.getColumn(2).getString();
  order.state = q.getColumn(3).getString();
  order.held_from = q.getColumn(4).getString();
  order.version = q.getColumn(5).getInt64();
  order.created_at = q.getColumn(6).getString();
  order.updated_at = q.getColumn(7).getString();
  order.channel = q.getColumn(16).getString();
  if (!q.getColumn(8).isNull()) {
    Customer c;
    c.name = q.getColumn(9).getString();
    c.phone = q.getColumn(10).getString();
    c.address = Address{q.getColumn(11).getString(), q.getColumn(12).getString(),
                        q.getColumn(13).getString(), q.getColumn(14).getString(),
                        q.getColumn(15).getString()};
    order.customer = std::move(c);
  }
  return order;
}

void LoadItems(SQLite::Database& db, Order& order) {
  SQLite::Statement q(
      db,
      "SELECT id, order_id, position, product, options, COALESCE(asset_id, ''), "
      "state, version, created_at, updated_at, COALESCE(print_file, ''), tuning, text "
      "FROM items WHERE order_id = ? "
      "ORDER BY position");
  q.bind(1, order.id);
  while (q.executeStep()) order.items.push_back(ItemFromRow(q));
}

// Moves the order along when its items say so (DESIGN: the order follows its items).
Result<void> FollowItems(SQLite::Database& db, int64_t order_id, const std::string& actor) {
  auto order = LoadOrder(db, "o.id = ?", std::to_string(order_id));
  if (!order) return Fail(Errc::kNotFound, "order not found");
  std::string event;
  if (order->state == "placed" &&
      std::any_of(order->items.begin(), order->items.end(),
                  [](const Item& i) { return i.state == "in_production"; })) {
    event = "start_production";
  } else if (order->state == "in_production") {
    bool any_live = false;
    bool all_produced = true;
    for (const Item& i : order->items) {
      if (i.state == "cancelled") continue;
      any_live = true;
      all_produced = all_produced && i.state == "produced";
    }
    if (any_live && all_produced) event = "all_produced";
  }
  if (event.empty()) return {};
  auto row = OrderStateMachine().Find(order->state, event, Role::kSystem);
  if (!row) return tl::unexpected(row.error());
  SQLite::Statement upd(db,
                        "UPDATE orders SET state = ?, version = version + 1, updated_at = ? "
                        "WHERE id = ?");
  upd.bind(1, std::string((*row)->to));
  upd.bind(2, NowUtcIso());
  upd.bind(3, order_id);
  upd.exec();
  AppendEvent(
      db, Event{0, order_id, std::nullopt, "", actor, "system", "order.transition", order->state,
                std::string((*row)->to), "follows its items", json{{"event", event}}.dump()});
  return {};
}

// The print file of the item's newest succeeded job, or empty.
std::string LatestPrintFile(SQLite::Database& db, int64_t item_id) {
  SQLite::Statement q(db,
                      "SELECT COALESCE(print_file, '') FROM jobs WHERE item_id = ? AND "
                      "state = 'succeeded' ORDER BY id DESC LIMIT 1");
  q.bind(1, item_id);
  return q.executeStep() ? q.getColumn(0).getString() : std::string();
}

// Takes an item transition inside the caller's transaction; shared by the API path and the
// job queue so that every item change goes through the same table and cascades.
Result<Item> ApplyItemChange(SQLite::Database& db, const Item& item, const ItemChange& change,
                             const Actor& actor, int job_max_attempts) {
  auto row = ItemStateMachine().Find(item.state, change.event, actor.role);
  if (!row) return tl::unexpected(row.error());
  const std::string to((*row)->to);
  std::string asset_id = item.asset_id;
  std::string asset_kind;
  if (change.event == "attach_asset") {
    if (change.asset_id.empty()) {
      return Fail(Errc::kInvalidArgument, "attach_asset needs an asset id", "asset");
    }
    auto kind = AssetKind(db, change.asset_id, "asset");
    if (!kind) return tl::unexpected(kind.error());
    asset_id = change.asset_id;
    asset_kind = *kind;
  }
  if (to == "preparing") {
    if (asset_id.empty()) {
      return Fail(Errc::kInvalidArgument, "the item has no asset to prepare", "asset");
    }
    if (asset_kind.empty()) {
      auto kind = AssetKind(db, asset_id, "asset");
      if (!kind) return tl::unexpected(kind.error());
      asset_kind = *kind;
    }
  }
  // Approval freezes the print file of the item's latest successful preparation; it stays with
  // the item through production (and cancellation, as a record) until `reopen` unfreezes it.
  std::string print_file = item.print_file;
  if (change.event == "approve" || change.event == "passed_checks") {
    print_file = LatestPrintFile(db, item.id);
    if (print_file.empty() && AssetKind(db, item.asset_id, "asset").value_or("") == "mesh") {
      return Fail(Errc::kIllegalTransition,
                  "item " + std::to_string(item.id) + " has no prepared print file to approve",
                  "event", ItemStateMachine().AllEvents(item.state));
    }
  }
  if (change.event == "reopen") print_file.clear();
  // fine-tuning applies to the file it was made for: a new file starts without it
  std::string tuning = item.tuning;
  if (change.event == "attach_asset") tuning = "{}";
  if (change.event == "reprepare" && !change.tuning.empty()) {
    if (!json::parse(change.tuning, nullptr, false).is_object()) {
      return Fail(Errc::kInvalidArgument, "tuning must be a JSON object", "tuning");
    }
    tuning = change.tuning;
  }
  const std::string now = NowUtcIso();
  SQLite::Statement upd(db,
                        "UPDATE items SET state = ?, asset_id = NULLIF(?, ''), "
                        "print_file = NULLIF(?, ''), tuning = ?, version = version + 1, "
                        "updated_at = ? WHERE id = ?");
  upd.bind(1, to);
  upd.bind(2, asset_id);
  upd.bind(3, print_file);
  upd.bind(4, tuning);
  upd.bind(5, now);
  upd.bind(6, item.id);
  upd.exec();
  SQLite::Statement bump(db,
                         "UPDATE orders SET version = version + 1, updated_at = ? WHERE id = ?");
  bump.bind(1, now);
  bump.bind(2, item.order_id);
  bump.exec();
  json detail{{"event", change.event}};
  if (change.event == "attach_asset") detail["asset"] = asset_id;
  if ((change.event == "approve" || change.event == "passed_checks") && !print_file.empty()) {
    detail["print_file"] = print_file;
  }
  if (change.event == "reprepare" && !change.tuning.empty()) {
    detail["tuning"] = json::parse(change.tuning, nullptr, false);
  }
  AppendEvent(db,
              Event{0, item.order_id, item.id, now, actor.name, std::string(RoleName(actor.role)),
                    "item.transition", item.state, to, change.reason, detail.dump()});
  if (to == "preparing") EnqueueJob(db, item.id, asset_id, asset_kind, job_max_attempts);
  if (to == "cancelled") {
    SQLite::Statement cancel(db,
                             "UPDATE jobs SET state = 'cancelled', updated_at = ? "
                             "WHERE item_id = ? AND state IN ('queued', 'leased')");
    cancel.bind(1, now);
    cancel.bind(2, item.id);
    cancel.exec();
  }
  if (to == "in_production" || to == "produced") {
    auto followed = FollowItems(db, item.order_id, "keepsake");
    if (!followed) return tl::unexpected(followed.error());
  }
  auto updated = LoadItem(db, item.id);
  if (!updated) return Fail(Errc::kNotFound, "item vanished");
  return *updated;
}

}  // namespace rows

// --- Store ------------------------------------------------------------------------------------

void Store::Impl::StartWriter() {
  writer_thread = std::thread([this] { WriterLoop(); });
}

void Store::Impl::StopWriter() {
  {
    std::lock_guard<std::mutex> lock(queue_mutex);
    stopping = true;
  }
  queue_cv.notify_all();
  if (writer_thread.joinable()) writer_thread.join();
}

void Store::Impl::WriterLoop() {
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

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) { impl_->StartWriter(); }
Store::~Store() { impl_->StopWriter(); }

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  try {
    impl->writer = OpenConnection(options.path, /*read_only=*/false);
    Migrate(*impl->writer);
    for (int i = 0; i < std::max(1, options.read_connections); ++i) {
      impl->readers.push_back(OpenConnection(options.path, /*read_only=*/true));
    }
  } catch (const std::exception& e) {
    return Fail(Errc::kStorage, "cannot open store " + options.path + ": " + e.what());
  }
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

int Store::SchemaVersion() {
  std::lock_guard<std::mutex> lock(impl_->write_mutex);
  return CurrentVersion(*impl_->writer);
}

Result<CreateOrderResult> Store::CreateOrder(
    const NewOrder& order, const ProductCatalog& catalog, const Actor& actor,
    const IdempotencyKey& key, const std::function<std::string(const Order&)>& render) {
  if (auto valid = ValidateNewOrder(order); !valid) return tl::unexpected(valid.error());
  std::vector<std::map<std::string, int64_t>> resolved;
  for (size_t i = 0; i < order.items.size(); ++i) {
    const std::string field = "items[" + std::to_string(i) + "]";
    auto options =
        catalog.ResolveOptions(order.items[i].product, order.items[i].options, field + ".options");
    if (!options) {
      Error e = options.error();
      if (e.code == Errc::kUnknownProduct) e.field = field + ".product";
      return tl::unexpected(e);
    }
    resolved.push_back(std::move(*options));
    if (auto text = catalog.CheckText(order.items[i].product, order.items[i].text, field + ".text");
        !text) {
      return tl::unexpected(text.error());
    }
  }
  const int max_attempts = impl_->options.job_max_attempts;
  return impl_->Write([&](SQLite::Database& db) -> Result<CreateOrderResult> {
    {
      SQLite::Statement q(db,
                          "SELECT request_hash, response, order_id FROM idempotency "
                          "WHERE scope = ? AND key = ?");
      q.bind(1, key.scope);
      q.bind(2, key.key);
      if (q.executeStep()) {
        if (q.getColumn(0).getString() != key.request_hash) {
          return Fail(Errc::kIdempotencyMismatch,
                      "this Idempotency-Key was used before with a different request body",
                      "Idempotency-Key");
        }
        auto existing = rows::LoadOrder(db, "o.id = ?", std::to_string(q.getColumn(2).getInt64()));
        if (!existing) return Fail(Errc::kNotFound, "the order of this key is gone");
        return CreateOrderResult{*existing, q.getColumn(1).getString(), true};
      }
    }
    const std::string now = NowUtcIso();
    const Address& a = order.customer.address;
    SQLite::Statement cust(db,
                           "INSERT INTO customers(name, phone, province, city, district, street, "
                           "detail) VALUES(?,?,?,?,?,?,?)");
    cust.bind(1, order.customer.name);
    cust.bind(2, order.customer.phone);
    cust.bind(3, a.province);
    cust.bind(4, a.city);
    cust.bind(5, a.district);
    cust.bind(6, a.street);
    cust.bind(7, a.detail);
    cust.exec();
    const int64_t customer_id = db.getLastInsertRowid();
    SQLite::Statement ord(db,
                          "INSERT INTO orders(channel_ref, customer_id, state, created_by, "
                          "created_at, updated_at, channel) VALUES(?,?,'placed',?,?,?,?)");
    ord.bind(1, order.channel_ref);
    ord.bind(2, customer_id);
    ord.bind(3, actor.name);
    ord.bind(4, now);
    ord.bind(5, now);
    ord.bind(6, actor.role == Role::kChannel ? actor.name : std::string());
    ord.exec();
    const int64_t order_id = db.getLastInsertRowid();
    rows::AppendEvent(
        db, Event{0, order_id, std::nullopt, now, actor.name, std::string(RoleName(actor.role)),
                  "order.created", "", "placed", "", json{{"items", order.items.size()}}.dump()});
    for (size_t i = 0; i < order.items.size(); ++i) {
      const NewItem& item = order.items[i];
      const std::string field = "items[" + std::to_string(i) + "].asset";
      std::string asset_kind;
      if (!item.asset_id.empty()) {
        auto kind = AssetKind(db, item.asset_id, field);
        if (!kind) return tl::unexpected(kind.error());
        auto fits = CheckAssetFits(*catalog.Find(item.product), *kind, field);
        if (!fits) return tl::unexpected(fits.error());
        asset_kind = *kind;
      }
      const std::string state = item.asset_id.empty() ? "awaiting_asset" : "preparing";
      SQLite::Statement ins(db,
                            "INSERT INTO items(order_id, position, product, options, asset_id, "
                            "state, created_at, updated_at, text) "
                            "VALUES(?,?,?,?,NULLIF(?, ''),?,?,?,?)");
      ins.bind(1, order_id);
      ins.bind(2, static_cast<int>(i));
      ins.bind(3, item.product);
      ins.bind(4, json(resolved[i]).dump());
      ins.bind(5, item.asset_id);
      ins.bind(6, state);
      ins.bind(7, now);
      ins.bind(8, now);
      ins.bind(9, item.text);
      ins.exec();
      const int64_t item_id = db.getLastInsertRowid();
      rows::AppendEvent(
          db, Event{0, order_id, item_id, now, actor.name, std::string(RoleName(actor.role)),
                    "item.created", "", state, "", json{{"product", item.product}}.dump()});
      if (!asset_kind.empty())
        rows::EnqueueJob(db, item_id, item.asset_id, asset_kind, max_attempts);
    }
    auto created = rows::LoadOrder(db, "o.id = ?", std::to_string(order_id));
    if (!created) return Fail(Errc::kStorage, "the new order could not be read back");
    std::string response = render(*created);
    SQLite::Statement idem(db,
                           "INSERT INTO idempotency(scope, key, request_hash, order_id, response, "
                           "created_ms) VALUES(?,?,?,?,?,?)");
    idem.bind(1, key.scope);
    idem.bind(2, key.key);
    idem.bind(3, key.request_hash);
    idem.bind(4, order_id);
    idem.bind(5, response);
    idem.bind(6, NowUnixMs());
    idem.exec();
    return CreateOrderResult{std::move(*created), std::move(response), false};
  });
}

Result<Order> Store::GetOrder(int64_t id) {
  return impl_->Read([&](SQLite::Database& db) -> Result<Order> {
    auto order = rows::LoadOrder(db, "o.id = ?", std::to_string(id));
    if (!order) return Fail(Errc::kNotFound, "order " + std::to_string(id) + " does not exist");
    return *order;
  });
}

Result<Order> Store::GetOrderByNumber(const std::string& number) {
  return impl_->Read([&](SQLite::Database& db) -> Result<Order> {
    auto order = rows::LoadOrder(db, "o.number = ?", number);
    if (!order) return Fail(Errc::kNotFound, "order " + number + " does not exist");
    return *order;
  });
}

Result<OrderPage> Store::ListOrders(const OrderFilter& filter) {
  if (filter.limit < 1 || filter.limit > 200) {
    return Fail(Errc::kInvalidArgument, "limit must be 1-200", "limit");
  }
  if (filter.phone_last4.has_value() != filter.name.has_value()) {
    return Fail(Errc::kInvalidArgument,
                "phone_last4 and name go together: the last four digits of the phone and the "
                "customer's full name",
                filter.name ? "phone_last4" : "name");
  }
  if (filter.phone_last4 &&
      (filter.phone_last4->size() != 4 ||
       filter.phone_last4->find_first_not_of("0123456789") != std::string::npos)) {
    return Fail(Errc::kInvalidArgument, "phone_last4 must be four digits", "phone_last4");
  }
  if (filter.state && !OrderStateMachine().HasState(*filter.state)) {
    std::vector<std::string> states;
    for (auto s : OrderStateMachine().States()) states.emplace_back(s);
    return Fail(Errc::kInvalidArgument, "unknown order state '" + *filter.state + "'", "state",
                states);
  }
  return impl_->Read([&](SQLite::Database& db) -> Result<OrderPage> {
    std::string sql =
        "SELECT o.id, o.number, o.channel_ref, o.state, o.held_from, o.version, o.created_at, "
        "o.updated_at, c.id, c.name, c.phone, c.province, c.city, c.district, c.street, c.detail, "
        "o.channel FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE 1 = 1";
    std::vector<std::string> binds;
    if (filter.state) {
      sql += " AND o.state = ?";
      binds.push_back(*filter.state);
    }
    if (filter.channel) {
      sql += " AND o.channel = ?";
      binds.push_back(*filter.channel);
    }
    if (filter.channel_ref) {
      sql += " AND o.channel_ref = ?";
      binds.push_back(*filter.channel_ref);
    }
    if (filter.number) {
      sql += " AND o.number = ?";
      binds.push_back(*filter.number);
    }
    if (filter.tracking_number) {
      sql += " AND o.id IN (SELECT order_id FROM shipments WHERE tracking_number = ?)";
      binds.push_back(*filter.tracking_number);
    }
    // by the customer: through the customers indexes (phone; last four digits and name)
    if (filter.phone) {
      sql += " AND o.customer_id IN (SELECT id FROM customers WHERE phone = ?)";
      binds.push_back(*filter.phone);
    }
    if (filter.phone_last4) {
      sql +=
          " AND o.customer_id IN (SELECT id FROM customers WHERE substr(phone, -4) = ? AND "
          "name = ?)";
      binds.push_back(*filter.phone_last4);
      binds.push_back(filter.name.value_or(""));
    }
    if (filter.created_from) {
      sql += " AND o.created_at >= ?";
      binds.push_back(*filter.created_from);
    }
    if (filter.created_to) {
      sql += " AND o.created_at < ?";
      binds.push_back(*filter.created_to);
    }
    if (filter.before_id) {
      sql += " AND o.id < ?";
      binds.push_back(std::to_string(*filter.before_id));
    }
    sql += " ORDER BY o.id DESC LIMIT " + std::to_string(filter.limit + 1);
    SQLite::Statement q(db, sql);
    for (size_t i = 0; i < binds.size(); ++i) q.bind(static_cast<int>(i + 1), binds[i]);
    OrderPage page;
    while (q.executeStep()) page.orders.push_back(rows::OrderFromRow(q));
    if (static_cast<int>(page.orders.size()) > filter.limit) {
      page.orders.pop_back();
      page.next_cursor = page.orders.back().id;
    }
    for (Order& o : page.orders) rows::LoadItems(db, o);
    return page;
  });
}

Result<std::vector<Event>> Store::OrderEvents(int64_t order_id) {
  return impl_->Read([&](SQLite::Database& db) -> Result<std::vector<Event>> {
    SQLite::Statement exists(db, "SELECT 1 FROM orders WHERE id = ?");
    exists.bind(1, order_id);
    if (!exists.executeStep()) {
      return Fail(Errc::kNotFound, "order " + std::to_string(order_id) + " does not exist");
    }
    SQLite::Statement q(db,
                        "SELECT id, order_id, item_id, at, actor, role, kind, from_state, "
                        "to_state, reason, detail FROM events WHERE order_id = ? ORDER BY id");
    q.bind(1, order_id);
    std::vector<Event> events;
    while (q.executeStep()) {
      Event e;
      e.id = q.getColumn(0).getInt64();
      e.order_id = q.getColumn(1).getInt64();
      if (!q.getColumn(2).isNull()) e.item_id = q.getColumn(2).getInt64();
      e.at = q.getColumn(3).getString();
      e.actor = q.getColumn(4).getString();
      e.role = q.getColumn(5).getString();
      e.kind = q.getColumn(6).getString();
      e.from_state = q.getColumn(7).getString();
      e.to_state = q.getColumn(8).getString();
      e.reason = q.getColumn(9).getString();
      e.detail = q.getColumn(10).getString();
      events.push_back(std::move(e));
    }
    return events;
  });
}

namespace rows {

Result<Order> ApplyOrderEvent(SQLite::Database& db, int64_t order_id, std::string_view event,
                              const Actor& actor, const std::string& reason,
                              std::optional<int64_t> expected_version, int job_max_attempts) {
  auto order = rows::LoadOrder(db, "o.id = ?", std::to_string(order_id));
  if (!order) {
    return Fail(Errc::kNotFound, "order " + std::to_string(order_id) + " does not exist");
  }
  if (expected_version && *expected_version != order->version) {
    return Fail(Errc::kVersionConflict,
                "order " + order->number + " changed since you read it (your version " +
                    std::to_string(*expected_version) + ", now " + std::to_string(order->version) +
                    "); reload and try again",
                "version");
  }
  auto row = OrderStateMachine().Find(order->state, event, actor.role);
  if (!row) return tl::unexpected(row.error());
  if (order->state == "on_hold" && event == "cancel" && order->held_from != "placed") {
    return Fail(Errc::kIllegalTransition,
                "order " + order->number + " was held in " + order->held_from +
                    "; cancel is possible only before production",
                "event", OrderStateMachine().AllEvents(order->state));
  }
  std::string to((*row)->to);
  std::string held_from = order->held_from;
  if (to == kReturnToPrevious) {
    to = order->held_from;
    held_from.clear();
  }
  if (event == "hold") held_from = order->state;
  const std::string now = NowUtcIso();
  SQLite::Statement upd(db,
                        "UPDATE orders SET state = ?, held_from = ?, version = version + 1, "
                        "updated_at = ? WHERE id = ?");
  upd.bind(1, to);
  upd.bind(2, held_from);
  upd.bind(3, now);
  upd.bind(4, order_id);
  upd.exec();
  rows::AppendEvent(db, Event{0, order_id, std::nullopt, now, actor.name,
                              std::string(RoleName(actor.role)), "order.transition", order->state,
                              to, reason, json{{"event", std::string(event)}}.dump()});
  if (to == "cancelled") {
    const Actor system{"keepsake", Role::kSystem};
    for (const Item& item : order->items) {
      auto cancel = ItemStateMachine().Find(item.state, "cancel", Role::kSystem);
      if (!cancel) continue;  // produced or in production: nothing to cancel
      auto done = rows::ApplyItemChange(
          db, item, ItemChange{"cancel", "order cancelled", "", {}, ""}, system, job_max_attempts);
      if (!done) return tl::unexpected(done.error());
    }
  }
  if (to == "delivery_exception") {
    // the courier reports a problem: customer service hears of it at once, with a ticket
    InsertTicket(db,
                 NewTicket{order_id, "fault", "system", 2,
                           "courier exception: " +
                               (reason.empty() ? std::string("no reason given") : reason)},
                 Actor{"keepsake", Role::kSystem});
  }
  auto updated = rows::LoadOrder(db, "o.id = ?", std::to_string(order_id));
  if (!updated) return Fail(Errc::kStorage, "order vanished");
  return *updated;
}

}  // namespace rows

Result<Order> Store::TransitionOrder(int64_t order_id, std::string_view event, const Actor& actor,
                                     const std::string& reason,
                                     std::optional<int64_t> expected_version) {
  if ((event == "hold" || event == "resume" || event == "cancel") && !ValidText(reason, 500)) {
    return Fail(Errc::kInvalidArgument, std::string(event) + " needs a reason (1-500 bytes)",
                "reason");
  }
  if (reason.size() > 500)
    return Fail(Errc::kInvalidArgument, "reason is at most 500 bytes", "reason");
  return impl_->Write([&](SQLite::Database& db) -> Result<Order> {
    return rows::ApplyOrderEvent(db, order_id, event, actor, reason, expected_version,
                                 impl_->options.job_max_attempts);
  });
}

Result<Item> Store::TransitionItem(int64_t item_id, const ItemChange& change, const Actor& actor) {
  if (change.reason.size() > 500) {
    return Fail(Errc::kInvalidArgument, "reason is at most 500 bytes", "reason");
  }
  return impl_->Write([&](SQLite::Database& db) -> Result<Item> {
    auto item = rows::LoadItem(db, item_id);
    if (!item) return Fail(Errc::kNotFound, "item " + std::to_string(item_id) + " does not exist");
    if (change.expected_version && *change.expected_version != item->version) {
      return Fail(Errc::kVersionConflict,
                  "item " + std::to_string(item_id) + " changed since you read it (your version " +
                      std::to_string(*change.expected_version) + ", now " +
                      std::to_string(item->version) + "); reload and try again",
                  "version");
    }
    SQLite::Statement q(db, "SELECT state FROM orders WHERE id = ?");
    q.bind(1, item->order_id);
    q.executeStep();
    const std::string order_state = q.getColumn(0).getString();
    if (order_state == "on_hold" && actor.role != Role::kSystem) {
      return Fail(Errc::kIllegalTransition,
                  "the order is on hold; resume it before changing its items", "event");
    }
    return rows::ApplyItemChange(db, *item, change, actor, impl_->options.job_max_attempts);
  });
}

Result<Item> Store::GetItem(int64_t item_id) {
  return impl_->Read([&](SQLite::Database& db) -> Result<Item> {
    auto item = rows::LoadItem(db, item_id);
    if (!item) return Fail(Errc::kNotFound, "item " + std::to_string(item_id) + " does not exist");
    return *item;
  });
}

Result<std::vector<std::pair<Item, std::string>>> Store::ReviewQueue(int limit) {
  if (limit < 1 || limit > 200) return Fail(Errc::kInvalidArgument, "limit must be 1-200", "limit");
  return impl_->Read(
      [&](SQLite::Database& db) -> Result<std::vector<std::pair<Item, std::string>>> {
        SQLite::Statement q(db,
                            "SELECT i.id, o.number FROM items i JOIN orders o ON o.id = i.order_id "
                            "WHERE i.state = 'needs_review' AND o.state != 'on_hold' "
                            "ORDER BY i.updated_at, i.id LIMIT ?");
        q.bind(1, limit);
        std::vector<std::pair<Item, std::string>> out;
        while (q.executeStep()) {
          auto item = rows::LoadItem(db, q.getColumn(0).getInt64());
          if (item) out.emplace_back(std::move(*item), q.getColumn(1).getString());
        }
        return out;
      });
}

Result<Asset> Store::RecordAsset(const Asset& asset) {
  return impl_->Write([&](SQLite::Database& db) -> Result<Asset> {
    SQLite::Statement ins(db,
                          "INSERT INTO assets(id, kind, format, bytes, created_at) "
                          "VALUES(?,?,?,?,?) ON CONFLICT(id) DO NOTHING");
    ins.bind(1, asset.id);
    ins.bind(2, asset.kind);
    ins.bind(3, asset.format);
    ins.bind(4, asset.bytes);
    ins.bind(5, NowUtcIso());
    ins.exec();
    auto stored = LoadAsset(db, asset.id);
    if (!stored) return Fail(Errc::kStorage, "the asset could not be read back");
    return *stored;
  });
}

Result<Asset> Store::GetAsset(const std::string& id) {
  return impl_->Read([&](SQLite::Database& db) -> Result<Asset> {
    auto asset = LoadAsset(db, id);
    if (!asset) return Fail(Errc::kNotFound, "asset " + id + " does not exist");
    return *asset;
  });
}

Result<int64_t> Store::CreateToken(const std::string& token_hash, Role role,
                                   const std::string& name, std::optional<std::string> expires_at,
                                   bool demo) {
  if (!ValidText(name, 100))
    return Fail(Errc::kInvalidArgument, "token name is 1-100 bytes", "name");
  return impl_->Write([&](SQLite::Database& db) -> Result<int64_t> {
    SQLite::Statement ins(db,
                          "INSERT INTO api_tokens(token_hash, role, name, created_at, expires_at, "
                          "demo) VALUES(?,?,?,?,?,?)");
    ins.bind(1, token_hash);
    ins.bind(2, std::string(RoleName(role)));
    ins.bind(3, name);
    ins.bind(4, NowUtcIso());
    if (expires_at) {
      ins.bind(5, *expires_at);
    } else {
      ins.bind(5);
    }
    ins.bind(6, demo ? 1 : 0);
    ins.exec();
    const int64_t id = db.getLastInsertRowid();
    SQLite::Statement audit(db,
                            "INSERT INTO audit(at, actor, role, action, detail) "
                            "VALUES(?, 'keepsake', 'admin', 'token.create', ?)");
    audit.bind(1, NowUtcIso());
    json detail = {{"token_id", id}, {"role", RoleName(role)}, {"name", name}, {"demo", demo}};
    if (expires_at) detail["expires_at"] = *expires_at;
    audit.bind(2, detail.dump());
    audit.exec();
    return id;
  });
}

Result<TokenInfo> Store::FindToken(const std::string& token_hash) {
  return impl_->Read([&](SQLite::Database& db) -> Result<TokenInfo> {
    // ISO times in UTC compare as text
    SQLite::Statement q(db,
                        "SELECT id, name, role FROM api_tokens WHERE token_hash = ? "
                        "AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)");
    q.bind(1, token_hash);
    q.bind(2, NowUtcIso());
    if (!q.executeStep()) return Fail(Errc::kNotFound, "unknown, revoked or expired token");
    auto role = ParseTokenRole(q.getColumn(2).getString());
    if (!role) return Fail(Errc::kStorage, "token has an unknown role");
    return TokenInfo{q.getColumn(0).getInt64(), q.getColumn(1).getString(), *role};
  });
}

Result<std::vector<TokenRecord>> Store::ListTokens() {
  return impl_->Read([&](SQLite::Database& db) -> Result<std::vector<TokenRecord>> {
    SQLite::Statement q(db,
                        "SELECT id, name, role, created_at, expires_at, revoked_at, demo "
                        "FROM api_tokens ORDER BY id");
    std::vector<TokenRecord> out;
    while (q.executeStep()) {
      TokenRecord t;
      t.id = q.getColumn(0).getInt64();
      t.name = q.getColumn(1).getString();
      auto role = ParseTokenRole(q.getColumn(2).getString());
      if (!role)
        return Fail(Errc::kStorage, "token " + std::to_string(t.id) + " has an unknown role");
      t.role = *role;
      t.created_at = q.getColumn(3).getString();
      if (!q.getColumn(4).isNull()) t.expires_at = q.getColumn(4).getString();
      if (!q.getColumn(5).isNull()) t.revoked_at = q.getColumn(5).getString();
      t.demo = q.getColumn(6).getInt() != 0;
      out.push_back(std::move(t));
    }
    return out;
  });
}

Result<int> Store::RevokeToken(std::optional<int64_t> id, std::optional<std::string> name,
                               const std::string& actor) {
  if (!id && !name) return Fail(Errc::kInvalidArgument, "say which token: its id or its name");
  return impl_->Write([&](SQLite::Database& db) -> Result<int> {
    const std::string now = NowUtcIso();
    SQLite::Statement upd(db, id ? "UPDATE api_tokens SET revoked_at = ? WHERE revoked_at IS NULL "
                                   "AND id = ?"
                                 : "UPDATE api_tokens SET revoked_at = ? WHERE revoked_at IS NULL "
                                   "AND name = ?");
    upd.bind(1, now);
    if (id) {
      upd.bind(2, *id);
    } else {
      upd.bind(2, *name);
    }
    const int revoked = upd.exec();
    if (revoked == 0) {
      return Fail(Errc::kNotFound, id ? "no live token has id " + std::to_string(*id)
                                      : "no live token is named " + *name);
    }
    SQLite::Statement audit(db,
                            "INSERT INTO audit(at, actor, role, action, detail) "
                            "VALUES(?, ?, 'admin', 'token.revoke', ?)");
    audit.bind(1, now);
    audit.bind(2, actor);
    json detail = {{"revoked", revoked}};
    if (id) detail["token_id"] = *id;
    if (name) detail["name"] = *name;
    audit.bind(3, detail.dump());
    audit.exec();
    return revoked;
  });
}

Result<int> Store::RevokeDemoTokens() {
  return impl_->Write([&](SQLite::Database& db) -> Result<int> {
    SQLite::Statement upd(
        db, "UPDATE api_tokens SET revoked_at = ? WHERE revoked_at IS NULL AND demo = 1");
    upd.bind(1, NowUtcIso());
    return upd.exec();
  });
}

Result<void> Store::AppendAudit(const AuditRecord& record) {
  return impl_->Write([&](SQLite::Database& db) -> Result<void> {
    SQLite::Statement ins(db,
                          "INSERT INTO audit(at, actor, role, action, order_id, detail, peer) "
                          "VALUES(?,?,?,?,?,?,?)");
    ins.bind(1, NowUtcIso());
    ins.bind(2, record.actor);
    ins.bind(3, record.role);
    ins.bind(4, record.action);
    if (record.order_id) {
      ins.bind(5, *record.order_id);
    } else {
      ins.bind(5);
    }
    ins.bind(6, record.detail);
    ins.bind(7, record.peer);
    ins.exec();
    return {};
  });
}

Result<int> Store::PruneIdempotency(int keep_hours) {
  return impl_->Write([&](SQLite::Database& db) -> Result<int> {
    SQLite::Statement del(db, "DELETE FROM idempotency WHERE created_ms < ?");
    del.bind(1, NowUnixMs() - static_cast<int64_t>(keep_hours) * 3600 * 1000);
    return del.exec();
  });
}

Result<void> Store::Backup(const std::string& out_path) {
  std::lock_guard<std::mutex> lock(impl_->write_mutex);
  try {
    SQLite::Database dest(out_path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    SQLite::Backup backup(dest, *impl_->writer);
    backup.executeStep(-1);
  } catch (const SQLite::Exception& e) {
    return Fail(Errc::kStorage, std::string("backup failed: ") + e.what());
  }
  return {};
}

Result<std::string> Store::IntegrityCheck() {
  return impl_->Read([&](SQLite::Database& db) -> Result<std::string> {
    SQLite::Statement q(db, "PRAGMA integrity_check");
    q.executeStep();
    return q.getColumn(0).getString();
  });
}

}  // namespace keepsake::orders
