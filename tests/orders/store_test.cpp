// The order store on a real SQLite file: creation, idempotency, transitions and their
// cascades, optimistic concurrency, the job queue, backup and integrity.
#include "keepsake/orders/store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace keepsake::orders {
namespace {

using keepsake::testing::SourceDir;
using keepsake::testing::TempDir;

// The data key of the tests' stores (32 bytes; a real one comes from a key file).
const std::string kDataKey = "0123456789abcdef0123456789abcdef";

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto catalog = ProductCatalog::Load(SourceDir() + "/assets/products.json");
    ASSERT_TRUE(catalog);
    catalog_ = *catalog;
    auto store = Store::Open({(dir_.path() / "test.db").string(), 2, 3, kDataKey});
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    ASSERT_TRUE(store_->Orders().RecordAsset({kMesh, "mesh", "glb", 10, ""}));
    ASSERT_TRUE(store_->Orders().RecordAsset({kImage, "image", "png", 10, ""}));
  }

  NewOrder Figure(const std::string& ref, const std::string& asset = kMesh) {
    NewOrder order;
    order.channel_ref = ref;
    order.customer = {"张三", "13812345678", {"浙江省", "杭州市", "西湖区", "文三路", "1-101"}};
    order.items.push_back({"figure-white", asset, {{"height_mm", 80}}});
    return order;
  }

  Result<CreateOrderResult> Create(const NewOrder& order, const std::string& key,
                                   const std::string& hash = "h") {
    return store_->Orders().CreateOrder(
        order, catalog_, channel_, {"channel", key, hash},
        [](const Order& o) { return "{\"id\":" + std::to_string(o.id) + "}"; });
  }

  int64_t CountRows(const std::string& table) {
    SQLite::Database db((dir_.path() / "test.db").string());
    return db.execAndGet("SELECT COUNT(*) FROM " + table).getInt64();
  }

  // the print file the runner records for a prepared figure
  std::string PreparedStl() {
    EXPECT_TRUE(store_->Orders().RecordAsset({kStl, "mesh", "stl", 10, ""}));
    return kStl;
  }

  static inline const std::string kStl = std::string(64, 'c');
  static inline const std::string kMesh = std::string(64, 'a');
  static inline const std::string kImage = std::string(64, 'b');
  TempDir dir_;
  ProductCatalog catalog_;
  std::unique_ptr<Store> store_;
  Actor channel_{"app", Role::kChannel};
  Actor cs_{"agent", Role::kCs};
  Actor modeler_{"engineer", Role::kModeler};
  Actor production_{"printroom", Role::kProduction};
};

TEST_F(StoreTest, CreatesOrderWithItemJobAndTimeline) {
  auto created = Create(Figure("ref-1"), "k1");
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_FALSE(created->replayed);
  const Order& order = created->order;
  EXPECT_EQ(order.state, "placed");
  EXPECT_EQ(order.number, "KS00000001");
  ASSERT_EQ(order.items.size(), 1u);
  EXPECT_EQ(order.items[0].state, "preparing");
  EXPECT_EQ(order.items[0].options.at("height_mm"), 80);
  auto jobs = store_->Jobs().JobsForItem(order.items[0].id);
  ASSERT_TRUE(jobs);
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].kind, "prepare_mesh");
  EXPECT_EQ((*jobs)[0].params, "{\"height_mm\":80,\"product\":\"figure-white\"}");
  EXPECT_EQ((*jobs)[0].state, "queued");
  auto events = store_->Orders().OrderEvents(order.id);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].kind, "order.created");
  EXPECT_EQ((*events)[0].actor, "app");
  EXPECT_EQ((*events)[0].role, "channel");
  EXPECT_EQ((*events)[0].at.back(), 'Z');
}

TEST_F(StoreTest, ItemWithoutAssetWaits) {
  auto created = Create(Figure("ref-1", ""), "k1");
  ASSERT_TRUE(created);
  EXPECT_EQ(created->order.items[0].state, "awaiting_asset");
  EXPECT_EQ(CountRows("jobs"), 0);
}

TEST_F(StoreTest, SameKeySameBodyReplaysTheFirstResponse) {
  auto first = Create(Figure("ref-1"), "k1");
  auto second = Create(Figure("ref-1"), "k1");
  ASSERT_TRUE(first && second);
  EXPECT_TRUE(second->replayed);
  EXPECT_EQ(second->response, first->response);
  EXPECT_EQ(CountRows("orders"), 1);
}

TEST_F(StoreTest, SameKeyOtherBodyIsRefused) {
  ASSERT_TRUE(Create(Figure("ref-1"), "k1", "hash-a"));
  auto other = Create(Figure("ref-2"), "k1", "hash-b");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, Errc::kIdempotencyMismatch);
  EXPECT_EQ(CountRows("orders"), 1);
}

TEST_F(StoreTest, InvalidOrdersLeaveNoRows) {
  struct Case {
    std::function<void(NewOrder&)> spoil;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](NewOrder& o) { o.channel_ref.clear(); }, "channel_ref"},
      {[](NewOrder& o) { o.customer.name.clear(); }, "customer.name"},
      {[](NewOrder& o) { o.customer.phone = "12ab"; }, "customer.phone"},
      {[](NewOrder& o) { o.customer.address.city.clear(); }, "customer.address.city"},
      {[](NewOrder& o) { o.items.clear(); }, "items"},
      {[](NewOrder& o) { o.items[0].product = "mug"; }, "items[0].product"},
      {[](NewOrder& o) { o.items[0].options["height_mm"] = 7; }, "items[0].options.height_mm"},
      {[](NewOrder& o) { o.items[0].asset_id = std::string(64, 'f'); }, "items[0].asset"},
      {[](NewOrder& o) { o.items[0].asset_id = kImage; }, "items[0].asset"},
  };
  for (const Case& c : cases) {
    NewOrder order = Figure("ref");
    c.spoil(order);
    auto created = Create(order, "key-" + c.field);
    ASSERT_FALSE(created) << c.field;
    EXPECT_EQ(created.error().field, c.field);
  }
  for (const char* table : {"orders", "customers", "items", "events", "jobs", "idempotency"}) {
    EXPECT_EQ(CountRows(table), 0) << table;
  }
}

TEST_F(StoreTest, CancelCascadesToItemsAndJobs) {
  auto created = Create(Figure("ref-1"), "k1");
  ASSERT_TRUE(created);
  auto cancelled =
      store_->Orders().TransitionOrder(created->order.id, "cancel", cs_, "customer asked", {});
  ASSERT_TRUE(cancelled) << cancelled.error().message;
  EXPECT_EQ(cancelled->state, "cancelled");
  EXPECT_EQ(cancelled->items[0].state, "cancelled");
  auto jobs = store_->Jobs().JobsForItem(created->order.items[0].id);
  EXPECT_EQ((*jobs)[0].state, "cancelled");
}

TEST_F(StoreTest, HoldAndResumeReturnToTheHeldState) {
  auto created = Create(Figure("ref-1"), "k1");
  const int64_t id = created->order.id;
  auto no_reason = store_->Orders().TransitionOrder(id, "hold", cs_, "", {});
  ASSERT_FALSE(no_reason);
  EXPECT_EQ(no_reason.error().field, "reason");
  auto held = store_->Orders().TransitionOrder(id, "hold", cs_, "address check", {});
  ASSERT_TRUE(held);
  EXPECT_EQ(held->state, "on_hold");
  EXPECT_EQ(held->held_from, "placed");
  auto item_change = store_->Orders().TransitionItem(created->order.items[0].id,
                                                     {"approve", "", "", {}, ""}, modeler_);
  ASSERT_FALSE(item_change);
  EXPECT_EQ(item_change.error().code, Errc::kIllegalTransition);
  auto resumed = store_->Orders().TransitionOrder(id, "resume", cs_, "checked", {});
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->state, "placed");
  EXPECT_EQ(resumed->held_from, "");
}

TEST_F(StoreTest, CancelOnlyBeforeProduction) {
  auto created = Create(Figure("ref-1"), "k1");
  const Order& order = created->order;
  auto job = store_->Jobs().LeaseJob("runner", 60000);
  ASSERT_TRUE(job && *job);
  ASSERT_TRUE(store_->Jobs().CompleteJob((*job)->id, "runner", "{}", "prepared", PreparedStl()));
  ASSERT_TRUE(
      store_->Orders().TransitionItem(order.items[0].id, {"approve", "", "", {}, ""}, modeler_));
  auto started = store_->Orders().TransitionItem(order.items[0].id,
                                                 {"start_production", "", "", {}, ""}, production_);
  ASSERT_TRUE(started) << started.error().message;
  auto now = store_->Orders().GetOrder(order.id);
  EXPECT_EQ(now->state, "in_production");  // the order follows its first item into production
  auto cancel = store_->Orders().TransitionOrder(order.id, "cancel", cs_, "too late", {});
  ASSERT_FALSE(cancel);
  EXPECT_EQ(cancel.error().code, Errc::kIllegalTransition);
  EXPECT_EQ(cancel.error().allowed, (std::vector<std::string>{"all_produced", "hold"}));
  ASSERT_TRUE(store_->Orders().TransitionOrder(order.id, "hold", cs_, "check", {}));
  auto held_cancel =
      store_->Orders().TransitionOrder(order.id, "cancel", cs_, "still too late", {});
  ASSERT_FALSE(held_cancel);
  EXPECT_EQ(held_cancel.error().code, Errc::kIllegalTransition);
  ASSERT_TRUE(store_->Orders().TransitionOrder(order.id, "resume", cs_, "ok", {}));
  ASSERT_TRUE(store_->Orders().TransitionItem(order.items[0].id, {"produced", "", "", {}, ""},
                                              production_));
  EXPECT_EQ(store_->Orders().GetOrder(order.id)->state, "ready_to_pack");
}

TEST_F(StoreTest, ApprovalFreezesThePrintFileAndReopeningReleasesIt) {
  auto created = Create(Figure("ref-1"), "k1");
  const int64_t item = created->order.items[0].id;
  auto job = store_->Jobs().LeaseJob("runner", 60000);
  ASSERT_TRUE(store_->Jobs().CompleteJob((*job)->id, "runner", "{}", "prepared"));
  auto nothing = store_->Orders().TransitionItem(item, {"approve", "", "", {}, ""}, modeler_);
  ASSERT_FALSE(nothing);  // a figure without a prepared STL cannot be approved
  EXPECT_EQ(nothing.error().code, Errc::kIllegalTransition);
  ASSERT_TRUE(store_->Orders().TransitionItem(item, {"request_rework", "", "", {}, ""}, modeler_));
  ASSERT_TRUE(store_->Orders().TransitionItem(item, {"reprepare", "", "", {}, ""}, modeler_));
  auto again = store_->Jobs().LeaseJob("runner", 60000);
  ASSERT_TRUE(again && *again);
  ASSERT_TRUE(store_->Jobs().CompleteJob((*again)->id, "runner", "{}", "prepared", PreparedStl()));
  auto approved = store_->Orders().TransitionItem(item, {"approve", "", "", {}, ""}, modeler_);
  ASSERT_TRUE(approved) << approved.error().message;
  EXPECT_EQ(approved->print_file, kStl);
  auto events = store_->Orders().OrderEvents(created->order.id);
  EXPECT_NE(events->back().detail.find(kStl), std::string::npos);
  auto reopened = store_->Orders().TransitionItem(item, {"reopen", "", "", {}, ""}, modeler_);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->print_file, "");
}

TEST_F(StoreTest, TuningGoesWithTheNextPreparationAndANewFileDropsIt) {
  auto created = Create(Figure("ref-tune"), "kt");
  const int64_t item = created->order.items[0].id;
  auto job = store_->Jobs().LeaseJob("runner", 60000);
  ASSERT_TRUE(store_->Jobs().CompleteJob((*job)->id, "runner", "{}", "prepared", PreparedStl()));
  ASSERT_TRUE(store_->Orders().TransitionItem(item, {"request_rework", "", "", {}, ""}, modeler_));
  auto tuned = store_->Orders().TransitionItem(
      item, {"reprepare", "tips over", "", {}, R"({"base_mm":3})"}, modeler_);
  ASSERT_TRUE(tuned) << tuned.error().message;
  EXPECT_EQ(tuned->tuning, R"({"base_mm":3})");
  auto again = store_->Jobs().LeaseJob("runner", 60000);
  ASSERT_TRUE(again && *again);
  EXPECT_EQ((*again)->params,
            R"({"height_mm":80,"product":"figure-white","tuning":{"base_mm":3}})");
  auto events = store_->Orders().OrderEvents(created->order.id);
  EXPECT_NE(events->back().detail.find("base_mm"), std::string::npos);
  // the customer sends another file: it is prepared as ordered, without the old tuning
  ASSERT_TRUE(store_->Jobs().CompleteJob((*again)->id, "runner", "{}", "prepared", PreparedStl()));
  ASSERT_TRUE(store_->Orders().TransitionItem(item, {"ask_customer", "face missing", "", {}, ""},
                                              modeler_));
  auto fresh = store_->Orders().TransitionItem(item, {"attach_asset", "", kMesh, {}, ""}, cs_);
  ASSERT_TRUE(fresh) << fresh.error().message;
  EXPECT_EQ(fresh->tuning, "{}");
  auto third = store_->Jobs().LeaseJob("runner", 60000);
  ASSERT_TRUE(third && *third);
  EXPECT_EQ((*third)->params, R"({"height_mm":80,"product":"figure-white"})");
}

TEST_F(StoreTest, ReviewQueueIsOldestFirstAndSkipsHeldOrders) {
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(Create(Figure("ref-" + std::to_string(i)), "k" + std::to_string(i)));
  for (int i = 0; i < 3; ++i) {
    auto job = store_->Jobs().LeaseJob("runner", 60000);
    ASSERT_TRUE(store_->Jobs().CompleteJob((*job)->id, "runner", "{}", "prepared", PreparedStl()));
  }
  ASSERT_TRUE(store_->Orders().TransitionOrder(2, "hold", cs_, "customer called", {}));
  auto queue = store_->Orders().ReviewQueue(10);
  ASSERT_TRUE(queue);
  ASSERT_EQ(queue->size(), 2u);
  EXPECT_EQ((*queue)[0].second, "KS00000001");
  EXPECT_EQ((*queue)[1].second, "KS00000003");
}

TEST_F(StoreTest, StaleVersionIsAConflict) {
  auto created = Create(Figure("ref-1"), "k1");
  const int64_t version = created->order.version;
  ASSERT_TRUE(
      store_->Orders().TransitionOrder(created->order.id, "hold", cs_, "first agent", version));
  auto second =
      store_->Orders().TransitionOrder(created->order.id, "resume", cs_, "second agent", version);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::kVersionConflict);
}

TEST_F(StoreTest, RoleMayNotTakeAnotherRolesTransition) {
  auto created = Create(Figure("ref-1"), "k1");
  auto pack = store_->Orders().TransitionOrder(created->order.id, "hold", channel_, "x", {});
  ASSERT_FALSE(pack);
  EXPECT_EQ(pack.error().code, Errc::kForbiddenTransition);
}

TEST_F(StoreTest, FailedJobRetriesWithBackoffThenDeadLetters) {
  auto created = Create(Figure("ref-1"), "k1");
  const int64_t item = created->order.items[0].id;
  auto job = store_->Jobs().LeaseJob("r", 60000);
  ASSERT_TRUE(job && *job);
  EXPECT_EQ((*job)->attempts, 1);
  ASSERT_TRUE(store_->Jobs().FailJob((*job)->id, "r", "sandbox.crashed", "worker crashed", true,
                                     "prepare_failed"));
  EXPECT_EQ(store_->Jobs().GetJob((*job)->id)->state, "queued");
  auto none = store_->Jobs().LeaseJob("r", 60000);  // backoff: not due yet
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  EXPECT_EQ(store_->Orders().GetItem(item)->state, "preparing");
  // run the retries now, as if the backoff had passed
  for (int attempt = 2; attempt <= 3; ++attempt) {
    SQLite::Database db((dir_.path() / "test.db").string(), SQLite::OPEN_READWRITE);
    db.exec("UPDATE jobs SET run_after_ms = 0");
    auto again = store_->Jobs().LeaseJob("r", 60000);
    ASSERT_TRUE(again && *again);
    EXPECT_EQ((*again)->attempts, attempt);
    ASSERT_TRUE(store_->Jobs().FailJob((*again)->id, "r", "sandbox.crashed", "worker crashed", true,
                                       "prepare_failed"));
  }
  auto dead = store_->Jobs().GetJob((*job)->id);
  EXPECT_EQ(dead->state, "dead");
  EXPECT_EQ(dead->error, "worker crashed");
  EXPECT_EQ(store_->Orders().GetItem(item)->state, "failed");
}

TEST_F(StoreTest, PermanentFailureEndsAtOnce) {
  auto created = Create(Figure("ref-1"), "k1");
  auto job = store_->Jobs().LeaseJob("r", 60000);
  ASSERT_TRUE(store_->Jobs().FailJob((*job)->id, "r", "mesh.unreadable", "not a mesh", false,
                                     "prepare_failed"));
  EXPECT_EQ(store_->Jobs().GetJob((*job)->id)->state, "failed");
  EXPECT_EQ(store_->Jobs().GetJob((*job)->id)->error_code, "mesh.unreadable");
  EXPECT_EQ(store_->Jobs().GetJob((*job)->id)->error, "not a mesh");
  EXPECT_EQ(store_->Orders().GetItem(created->order.items[0].id)->state, "failed");
}

TEST_F(StoreTest, ExpiredLeaseIsTakenOverAndReleasedAtStart) {
  Create(Figure("ref-1"), "k1");
  auto job = store_->Jobs().LeaseJob("dead-runner", 60000);
  ASSERT_TRUE(job && *job);
  auto busy = store_->Jobs().LeaseJob("other", 60000);
  EXPECT_FALSE(*busy);
  EXPECT_EQ(*store_->Jobs().ReleaseAllLeases(), 1);
  auto taken = store_->Jobs().LeaseJob("other", 60000);
  ASSERT_TRUE(taken && *taken);
  EXPECT_EQ((*taken)->id, (*job)->id);
  EXPECT_EQ((*taken)->attempts, 1);  // the attempt the stop cut short was given back
  auto stale = store_->Jobs().CompleteJob((*job)->id, "dead-runner", "{}", "prepared");
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, Errc::kNotFound);
  // ten stops are given back; after that they count, so such a job still reaches the end
  for (int stop = 2; stop <= 10; ++stop) {
    ASSERT_TRUE(store_->Jobs().ReleaseAllLeases());
    EXPECT_EQ((*store_->Jobs().LeaseJob("other", 60000))->attempts, 1) << stop;
  }
  ASSERT_TRUE(store_->Jobs().ReleaseAllLeases());
  EXPECT_EQ((*store_->Jobs().LeaseJob("other", 60000))->attempts, 2);
}

TEST_F(StoreTest, EventsAreAppendOnly) {
  Create(Figure("ref-1"), "k1");
  SQLite::Database db((dir_.path() / "test.db").string(), SQLite::OPEN_READWRITE);
  EXPECT_THROW(db.exec("UPDATE events SET actor = 'someone else'"), SQLite::Exception);
  EXPECT_THROW(db.exec("DELETE FROM events"), SQLite::Exception);
}

TEST_F(StoreTest, ListsWithFiltersAndCursor) {
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(Create(Figure("ref-" + std::to_string(i)), "k" + std::to_string(i)));
  ASSERT_TRUE(store_->Orders().TransitionOrder(2, "hold", cs_, "x", {}));
  OrderFilter filter;
  filter.limit = 2;
  auto page = store_->Orders().ListOrders(filter);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->orders.size(), 2u);
  EXPECT_EQ(page->orders[0].id, 5);
  ASSERT_TRUE(page->next_cursor);
  filter.before_id = *page->next_cursor;
  auto next = store_->Orders().ListOrders(filter);
  EXPECT_EQ(next->orders[0].id, 3);
  OrderFilter held;
  held.state = "on_hold";
  EXPECT_EQ(store_->Orders().ListOrders(held)->orders.size(), 1u);
  held.state = "lost";
  EXPECT_FALSE(store_->Orders().ListOrders(held));
}

TEST_F(StoreTest, ReopensAtTheSameSchemaAndBacksUp) {
  Create(Figure("ref-1"), "k1");
  const int version = store_->SchemaVersion();
  EXPECT_GE(version, 1);
  store_.reset();
  auto reopened = Store::Open({(dir_.path() / "test.db").string(), 1, 3, kDataKey});
  ASSERT_TRUE(reopened);
  EXPECT_EQ((*reopened)->SchemaVersion(), version);
  const std::string copy = (dir_.path() / "backup.db").string();
  ASSERT_TRUE((*reopened)->Backup(copy));
  auto restored = Store::Open({copy, 1, 3, kDataKey});
  ASSERT_TRUE(restored);
  EXPECT_EQ(*(*restored)->IntegrityCheck(), "ok");
  EXPECT_EQ((*restored)->Orders().GetOrder(1)->channel_ref, "ref-1");
}

// Migration 10 gives the orders placed before it their channel: the name of the channel token
// that created each (from its order.created event); a reprint takes its original's.
TEST_F(StoreTest, OrdersPlacedBeforeChannelsGetTheirChannel) {
  auto placed = Create(Figure("ref-app"), "k-app");
  ASSERT_TRUE(placed);
  const auto reply = [](const Order& o) { return std::to_string(o.id); };
  auto by_staff =
      store_->Orders().CreateOrder(Figure("ref-staff"), catalog_, cs_, {"cs", "k1", "h"}, reply);
  auto reprint =
      store_->Orders().CreateOrder(Figure("ref-reprint"), catalog_, cs_, {"cs", "k2", "h"}, reply);
  ASSERT_TRUE(by_staff && reprint);
  EXPECT_EQ(store_->Orders().GetOrder(placed->order.id)->channel, "app");
  EXPECT_EQ(store_->Orders().GetOrder(by_staff->order.id)->channel, "");
  // back to the schema before migration 10 (undoing 10 to 18), with one reprint
  store_.reset();
  {
    SQLite::Database db((dir_.path() / "test.db").string(), SQLite::OPEN_READWRITE);
    db.exec(
        "DROP INDEX orders_channel; ALTER TABLE orders DROP COLUMN channel;"
        "ALTER TABLE jobs DROP COLUMN interrupted; ALTER TABLE jobs DROP COLUMN error_code;"
        "ALTER TABLE api_tokens DROP COLUMN expires_at; ALTER TABLE api_tokens DROP COLUMN demo;"
        "ALTER TABLE assets DROP COLUMN purged_at; ALTER TABLE purges DROP COLUMN files;"
        "ALTER TABLE purges DROP COLUMN files_deleted; ALTER TABLE purges DROP COLUMN certificate;"
        // 15 encrypted the customers: without its functions here, the rows go (this test is
        // about channels)
        "UPDATE orders SET customer_id = NULL; DELETE FROM customers; DROP TABLE data_key;"
        "DROP INDEX customers_phone_index; DROP INDEX customers_last4_index;"
        "ALTER TABLE customers DROP COLUMN phone_index;"
        "ALTER TABLE customers DROP COLUMN last4_index;"
        "CREATE INDEX customers_phone ON customers(phone);"
        "CREATE INDEX customers_phone_last4 ON customers(substr(phone, -4), name);"
        "DROP TABLE channel_webhooks; DROP INDEX outbox_channel_due;"
        "ALTER TABLE outbox DROP COLUMN channel;"
        "ALTER TABLE shipments DROP COLUMN carrier_order_id;"
        "ALTER TABLE shipments DROP COLUMN routing_code;"
        "ALTER TABLE shipments DROP COLUMN sorting_code;"
        "ALTER TABLE shipments DROP COLUMN carrier_label;"
        "DROP TABLE carrier_push_parcels; DROP TABLE carrier_pushes;"
        "DROP TABLE carrier_bookings;"
        "DROP INDEX shipments_replaces; ALTER TABLE shipments DROP COLUMN replaces;"
        "DROP TABLE staff_sessions; DROP TABLE staff_users;"
        "ALTER TABLE shipments DROP COLUMN polled_at; DROP TABLE shipment_items;"
        "DROP INDEX shipments_claim; ALTER TABLE shipments DROP COLUMN claim_id;"
        "ALTER TABLE shipments DROP COLUMN pickup_at; DROP TABLE carrier_label_files;"
        "ALTER TABLE purges DROP COLUMN result;"
        "DELETE FROM schema_migrations WHERE version >= 10;");
    db.exec("UPDATE orders SET reshipment_of = " + std::to_string(placed->order.id) +
            " WHERE id = " + std::to_string(reprint->order.id));
  }
  auto reopened = Store::Open({(dir_.path() / "test.db").string(), 1, 3, kDataKey});
  ASSERT_TRUE(reopened) << reopened.error().message;
  EXPECT_EQ((*reopened)->Orders().GetOrder(placed->order.id)->channel, "app");
  EXPECT_EQ((*reopened)->Orders().GetOrder(by_staff->order.id)->channel, "");
  EXPECT_EQ((*reopened)->Orders().GetOrder(reprint->order.id)->channel, "app");
  OrderFilter mine;
  mine.channel = "app";
  EXPECT_EQ((*reopened)->Orders().ListOrders(mine)->orders.size(), 2u);
}

TEST_F(StoreTest, RefusesADatabaseFromTheFuture) {
  store_.reset();
  {
    SQLite::Database db((dir_.path() / "test.db").string(), SQLite::OPEN_READWRITE);
    db.exec("INSERT INTO schema_migrations(version, applied_at) VALUES(999, 'later')");
  }
  auto reopened = Store::Open({(dir_.path() / "test.db").string(), 1, 3, kDataKey});
  ASSERT_FALSE(reopened);
  EXPECT_EQ(reopened.error().code, Errc::kStorage);
}

// Customers' names, phones and addresses are not in the database file as text: a copy taken
// without the key shows none of them, byte for byte; the searches by phone and by last four
// digits and name still find the order (blind indexes); another key is refused at open.
TEST_F(StoreTest, CustomersAreEncryptedAtRestAndStillFound) {
  NewOrder order = Figure("ref-secret");
  order.customer.name = "欧阳清风";
  order.customer.phone = "13566667777";
  order.customer.address.street = "秘密路 88 号";
  order.customer.address.detail = "机密大厦 1808 室";
  // and the greeting on a postcard's back, with the copy its print job carries
  order.items.push_back({"postcard-cn", kImage, {}, "小明生日快乐，永远爱你的外婆"});
  auto created = Create(order, "k-secret");
  ASSERT_TRUE(created) << created.error().message;
  bool job_has_greeting = false;
  while (auto job = store_->Jobs().LeaseJob("test", 60000)) {
    if (!*job) break;
    const auto params = nlohmann::json::parse((*job)->params);
    job_has_greeting |= params.value("text", "") == "小明生日快乐，永远爱你的外婆";
  }
  EXPECT_TRUE(job_has_greeting);
  OrderFilter by_phone;
  by_phone.phone = "13566667777";
  ASSERT_EQ(store_->Orders().ListOrders(by_phone)->orders.size(), 1u);
  OrderFilter by_last4;
  by_last4.phone_last4 = "7777";
  by_last4.name = "欧阳";  // the surname alone
  ASSERT_EQ(store_->Orders().ListOrders(by_last4)->orders.size(), 1u);
  by_last4.name = "李四";
  EXPECT_EQ(store_->Orders().ListOrders(by_last4)->orders.size(), 0u);
  auto loaded = store_->Orders().GetOrder(created->order.id);
  ASSERT_TRUE(loaded && loaded->customer);
  EXPECT_EQ(loaded->customer->name, "欧阳清风");
  EXPECT_EQ(loaded->customer->address.detail, "机密大厦 1808 室");
  EXPECT_EQ(loaded->items[1].text, "小明生日快乐，永远爱你的外婆");
  store_.reset();  // the WAL checkpointed into the file
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const std::string secret :
         {"欧阳清风", "13566667777", "6667777", "秘密路", "机密大厦", "生日快乐", "外婆"}) {
      EXPECT_EQ(bytes.find(secret), std::string::npos)
          << secret << " in " << entry.path().filename();
    }
  }
  auto other =
      Store::Open({(dir_.path() / "test.db").string(), 1, 3, "another key of thirty-two bytes!"});
  ASSERT_FALSE(other);
  EXPECT_NE(other.error().message.find("not the data key"), std::string::npos)
      << other.error().message;
  auto again = Store::Open({(dir_.path() / "test.db").string(), 1, 3, kDataKey});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ((*again)->Orders().GetOrder(created->order.id)->customer->phone, "13566667777");
  // a rotation carries the greeting to the new key
  again->reset();
  const std::string new_key = "fedcba9876543210fedcba9876543210";
  ASSERT_TRUE(Store::RotateDataKey((dir_.path() / "test.db").string(), kDataKey, new_key));
  auto rotated = Store::Open({(dir_.path() / "test.db").string(), 1, 3, new_key});
  ASSERT_TRUE(rotated) << rotated.error().message;
  EXPECT_EQ((*rotated)->Orders().GetOrder(created->order.id)->items[1].text,
            "小明生日快乐，永远爱你的外婆");
}

// `keepsake keys rotate`'s step in the store: every customer and webhook secret encrypted
// again under the new key in one transaction, the blind indexes with it; the old key is then
// refused, the new one finds the customer by phone and by last four digits and name; a wrong
// "old" key changes nothing.
// A database of an older keepsake (before greetings were encrypted) is brought to this schema
// before its key rotates: the plain greeting is encrypted by its migration, then again under
// the new key, and reads back whole.
TEST_F(StoreTest, ARotationMigratesAnOlderDatabaseFirst) {
  NewOrder order = Figure("ref-old");
  order.items.push_back({"postcard-cn", kImage, {}, "外婆生日快乐"});
  auto created = Create(order, "k-old");
  ASSERT_TRUE(created) << created.error().message;
  store_.reset();
  const std::string path = (dir_.path() / "test.db").string();
  {
    // as keepsake left it at schema 19: greetings in plain text, no parcel items, returns,
    // polls or pickups
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec(
        "UPDATE items SET text = '外婆生日快乐' WHERE text != '';"
        "UPDATE jobs SET params = json_remove(params, '$.text');"
        "ALTER TABLE purges DROP COLUMN result;"
        "DROP TABLE carrier_label_files; ALTER TABLE shipments DROP COLUMN pickup_at;"
        "DROP INDEX shipments_claim; ALTER TABLE shipments DROP COLUMN claim_id;"
        "ALTER TABLE carrier_bookings DROP COLUMN claim_id;"
        "DROP TABLE shipment_items; ALTER TABLE shipments DROP COLUMN polled_at;"
        "DELETE FROM schema_migrations WHERE version >= 20;");
  }
  const std::string new_key = "fedcba9876543210fedcba9876543210";
  auto rotated = Store::RotateDataKey(path, kDataKey, new_key);
  ASSERT_TRUE(rotated) << rotated.error().message;
  auto reopened = Store::Open({path, 1, 3, new_key});
  ASSERT_TRUE(reopened) << reopened.error().message;
  EXPECT_EQ((*reopened)->Orders().GetOrder(created->order.id)->items[1].text, "外婆生日快乐");
  auto current = Store::Open({(dir_.path() / "current.db").string(), 1, 3, kDataKey});
  ASSERT_TRUE(current);
  EXPECT_EQ((*reopened)->SchemaVersion(), (*current)->SchemaVersion());
}

TEST_F(StoreTest, ARotatedDataKeyStillFindsItsCustomersAndTheOldKeyIsRefused) {
  NewOrder order = Figure("ref-rotate");
  order.customer.name = "欧阳清风";
  order.customer.phone = "13566667777";
  auto created = Create(order, "k-rotate");
  ASSERT_TRUE(created);
  ASSERT_TRUE(store_->Notifications().SetChannelWebhook(
      "app", "https://example.test/hook", "webhook-secret-1", 0, Actor{"test", Role::kAdmin}));
  // a carrier's own label, binary (a PDF's streams): it must come back byte for byte
  const std::string label_pdf = std::string("%PDF-1.4\n") + '\0' + "\xff\xfe stream \x01 浙江省";
  ASSERT_TRUE(store_->Write([&](Transaction& tx) -> Result<void> {
    tx.Prepare(
          "INSERT INTO shipments(id, order_id, carrier, tracking_number, state, created_by, "
          "created_at, updated_at) VALUES(1, ?, 'sf', 'SF1000000000001', 'created', 't', '', '')")
        .Bind(1, created->order.id)
        .Exec();
    tx.Prepare(
          "INSERT INTO carrier_label_files(shipment_id, size, pdf, created_at) "
          "VALUES(1, '100x150', ks_encrypt(?), '')")
        .Bind(1, label_pdf)
        .Exec();
    return {};
  }));
  store_.reset();
  const std::string path = (dir_.path() / "test.db").string();
  const auto phone_stored = [&] {
    SQLite::Database db(path);
    return db.execAndGet("SELECT phone FROM customers").getString();
  };
  const std::string before = phone_stored();
  const std::string new_key = "a new data key, thirty-two bytes";
  auto wrong = Store::RotateDataKey(path, "not the key of this database....", new_key);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("not the data key"), std::string::npos)
      << wrong.error().message;
  EXPECT_EQ(phone_stored(), before);
  auto rotated = Store::RotateDataKey(path, kDataKey, new_key);
  ASSERT_TRUE(rotated) << rotated.error().message;
  EXPECT_EQ(*rotated, 1);
  EXPECT_NE(phone_stored(), before);
  EXPECT_FALSE(*Store::HoldsDataKey(path, kDataKey));
  EXPECT_TRUE(*Store::HoldsDataKey(path, new_key));
  auto old = Store::Open({path, 1, 3, kDataKey});
  ASSERT_FALSE(old);
  EXPECT_NE(old.error().message.find("not the data key"), std::string::npos);
  auto reopened = Store::Open({path, 1, 3, new_key});
  ASSERT_TRUE(reopened) << reopened.error().message;
  OrderFilter by_phone;
  by_phone.phone = "13566667777";
  EXPECT_EQ((*reopened)->Orders().ListOrders(by_phone)->orders.size(), 1u);
  OrderFilter by_last4;
  by_last4.phone_last4 = "7777";
  by_last4.name = "欧阳";
  EXPECT_EQ((*reopened)->Orders().ListOrders(by_last4)->orders.size(), 1u);
  EXPECT_EQ((*reopened)->Orders().GetOrder(created->order.id)->customer->name, "欧阳清风");
  auto hook = (*reopened)->Notifications().GetChannelWebhook("app");
  ASSERT_TRUE(hook && *hook);
  EXPECT_EQ((*hook)->secret, "webhook-secret-1");
  auto label = (*reopened)->Read([&](Transaction& tx) -> Result<std::string> {
    Statement q = tx.Prepare("SELECT ks_decrypt(pdf) FROM carrier_label_files");
    return q.Step() ? q.Text(0) : std::string();
  });
  ASSERT_TRUE(label) << label.error().message;
  EXPECT_EQ(*label, label_pdf);
}

TEST_F(StoreTest, TokensAreFoundByHashAndRevoked) {
  const int64_t id = *store_->Access().CreateToken("hash-1", Role::kCs, "ann");
  auto found = store_->Access().FindToken("hash-1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->role, Role::kCs);
  EXPECT_EQ(*store_->Access().RevokeToken(id, std::nullopt, "test"), 1);
  EXPECT_FALSE(store_->Access().FindToken("hash-1"));
  EXPECT_EQ(store_->Access().RevokeToken(id, std::nullopt, "test").error().code, Errc::kNotFound);
  auto listed = store_->Access().ListTokens();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_TRUE((*listed)[0].revoked_at.has_value());
}

// Rotation: a new token under the same name, then the old ones revoked by name.
TEST_F(StoreTest, RevokingByNameEndsEveryLiveTokenOfThatName) {
  ASSERT_TRUE(store_->Access().CreateToken("old", Role::kChannel, "app"));
  ASSERT_TRUE(store_->Access().CreateToken("older", Role::kChannel, "app"));
  ASSERT_TRUE(store_->Access().CreateToken("other", Role::kChannel, "shop"));
  EXPECT_EQ(*store_->Access().RevokeToken(std::nullopt, std::string("app"), "test"), 2);
  EXPECT_FALSE(store_->Access().FindToken("old"));
  EXPECT_FALSE(store_->Access().FindToken("older"));
  EXPECT_TRUE(store_->Access().FindToken("other"));
}

TEST_F(StoreTest, AnExpiredTokenIsRefused) {
  ASSERT_TRUE(store_->Access().CreateToken("gone", Role::kCs, "temp", "2000-01-01T00:00:00Z"));
  ASSERT_TRUE(store_->Access().CreateToken("live", Role::kCs, "temp", "2999-01-01T00:00:00Z"));
  EXPECT_EQ(store_->Access().FindToken("gone").error().code, Errc::kNotFound);
  EXPECT_TRUE(store_->Access().FindToken("live"));
}

// The demo revokes the tokens it made, never a person's token that happens to be named demo-x.
TEST_F(StoreTest, TheDemoRevokesOnlyItsOwnTokens) {
  ASSERT_TRUE(
      store_->Access().CreateToken("demo", Role::kCs, "demo-cs", std::nullopt, /*demo=*/true));
  ASSERT_TRUE(store_->Access().CreateToken("person", Role::kCs, "demo-anna"));
  EXPECT_EQ(*store_->Access().RevokeDemoTokens(), 1);
  EXPECT_FALSE(store_->Access().FindToken("demo"));
  EXPECT_TRUE(store_->Access().FindToken("person"));
}

}  // namespace
}  // namespace keepsake::orders

namespace keepsake::orders {
namespace {

// The breach sweep: each breach is recorded once, on the ticket's log and the order's timeline
// (and so announced to the channel); a ticket waiting for the customer does not breach its
// resolution while it waits.
TEST_F(StoreTest, SlaBreachesAreRecordedOnceOnTicketAndTimeline) {
  auto order = Create(Figure("sla-1"), "sla-1");
  ASSERT_TRUE(order);
  const Actor cs{"agent", Role::kCs};
  auto urgent = store_->Tickets().OpenTicket(
      {order->order.id, "complaint", "phone", 1, "cracked magnet", "it is broken"}, cs);
  ASSERT_TRUE(urgent) << urgent.error().message;
  auto waiting =
      store_->Tickets().OpenTicket({order->order.id, "query", "chat", 1, "which size?", ""}, cs);
  ASSERT_TRUE(waiting);
  ASSERT_TRUE(
      store_->Tickets().AddTicketEntry(waiting->id, "Which size would you like?", false, cs));
  ASSERT_TRUE(
      store_->Tickets().TransitionTicket(waiting->id, "wait_customer", "", cs, std::nullopt));
  const SlaPolicy policy;
  // an hour on: nobody answered the complaint within 5 minutes
  const int64_t now = NowUnixMs();
  auto first = store_->Tickets().RecordSlaBreaches(policy, now + 3'600'000);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, 1);
  // three hours on: the complaint's 2 hours have run out as well; the waiting ticket's clock
  // stopped when it began to wait, so it has not
  auto second = store_->Tickets().RecordSlaBreaches(policy, now + 3 * 3'600'000);
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, 1);
  auto again = store_->Tickets().RecordSlaBreaches(policy, now + 3 * 3'600'000);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0);  // recorded once
  auto log = store_->Tickets().TicketLog(urgent->id);
  ASSERT_TRUE(log);
  int breaches = 0;
  for (const TicketEntry& e : *log) breaches += e.kind == "breach";
  EXPECT_EQ(breaches, 2);
  auto events = store_->Orders().OrderEvents(order->order.id);
  ASSERT_TRUE(events);
  int on_timeline = 0;
  for (const Event& e : *events) on_timeline += e.kind == "ticket.sla_breached";
  EXPECT_EQ(on_timeline, 2);
  // a ticket settled at once (on the phone) breaches nothing, however late the sweep comes
  auto settled =
      store_->Tickets().OpenTicket({order->order.id, "query", "chat", 1, "colour?", ""}, cs);
  ASSERT_TRUE(settled);
  ASSERT_TRUE(store_->Tickets().TransitionTicket(settled->id, "resolve", "", cs, std::nullopt));
  auto after = store_->Tickets().RecordSlaBreaches(policy, now + 3 * 3'600'000);
  ASSERT_TRUE(after);
  EXPECT_EQ(*after, 0);
  auto quiet = store_->Tickets().GetTicket(waiting->id);
  ASSERT_TRUE(quiet);
  EXPECT_TRUE(quiet->breaches.empty());
}

}  // namespace
}  // namespace keepsake::orders

namespace keepsake::orders {
namespace {

// A delivered order completes by itself once the quiet days after delivery have passed.
TEST_F(StoreTest, DeliveredOrdersCompleteAfterTheQuietDays) {
  auto recent = Create(Figure("done-1"), "done-1");
  auto old = Create(Figure("done-2"), "done-2");
  ASSERT_TRUE(recent && old);
  {
    SQLite::Database db((dir_.path() / "test.db").string(), SQLite::OPEN_READWRITE);
    for (const auto& [id, at] :
         {std::pair<int64_t, const char*>{recent->order.id, "2026-11-20T10:00:00.000Z"},
          {old->order.id, "2026-11-01T10:00:00.000Z"}}) {
      db.exec("UPDATE orders SET state = 'delivered' WHERE id = " + std::to_string(id));
      db.exec("INSERT INTO events(order_id, at, actor, role, kind, from_state, to_state) VALUES(" +
              std::to_string(id) + ", '" + at +
              "', 'tracking', 'system', 'order.transition', 'shipped', 'delivered')");
    }
  }
  auto completed =
      store_->Orders().CompleteDeliveredOrders(7, UnixMsFromIso("2026-11-23T10:00:00.000Z"));
  ASSERT_TRUE(completed) << completed.error().message;
  EXPECT_EQ(*completed, 1);
  EXPECT_EQ(store_->Orders().GetOrder(old->order.id)->state, "completed");
  EXPECT_EQ(store_->Orders().GetOrder(recent->order.id)->state, "delivered");
}

}  // namespace
}  // namespace keepsake::orders
