#include "schema.hpp"

namespace keepsake::orders::schema {

const std::vector<std::string_view>& Migrations() {
  static const std::vector<std::string_view> migrations = {
      // 1: the foundation. Customer personal data lives only in `customers` so a purge can
      // remove it and keep the anonymous order history. Events and audit are append-only.
      R"sql(
CREATE TABLE customers (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  phone TEXT NOT NULL,
  province TEXT NOT NULL,
  city TEXT NOT NULL,
  district TEXT NOT NULL,
  street TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  number TEXT GENERATED ALWAYS AS ('KS' || printf('%08d', id)) VIRTUAL,
  channel_ref TEXT NOT NULL,
  customer_id INTEGER REFERENCES customers(id) ON DELETE SET NULL,
  state TEXT NOT NULL,
  held_from TEXT NOT NULL DEFAULT '',
  version INTEGER NOT NULL DEFAULT 1,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX orders_number ON orders(number);
CREATE INDEX orders_channel_ref ON orders(channel_ref);
CREATE INDEX orders_state ON orders(state, id);
CREATE INDEX orders_created ON orders(created_at);
CREATE TABLE assets (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('mesh', 'image')),
  format TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE items (
  id INTEGER PRIMARY KEY,
  order_id INTEGER NOT NULL REFERENCES orders(id),
  position INTEGER NOT NULL,
  product TEXT NOT NULL,
  options TEXT NOT NULL,
  asset_id TEXT REFERENCES assets(id),
  state TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX items_order ON items(order_id, position);
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  order_id INTEGER NOT NULL REFERENCES orders(id),
  item_id INTEGER REFERENCES items(id),
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL,
  kind TEXT NOT NULL,
  from_state TEXT NOT NULL DEFAULT '',
  to_state TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_order ON events(order_id, id);
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  item_id INTEGER NOT NULL REFERENCES items(id),
  asset_id TEXT NOT NULL REFERENCES assets(id),
  state TEXT NOT NULL CHECK (state IN ('queued','leased','succeeded','failed','dead','cancelled')),
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  run_after_ms INTEGER NOT NULL,
  lease_owner TEXT NOT NULL DEFAULT '',
  lease_expires_ms INTEGER NOT NULL DEFAULT 0,
  progress INTEGER NOT NULL DEFAULT 0,
  phase TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  result TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX jobs_runnable ON jobs(state, run_after_ms, id);
CREATE INDEX jobs_item ON jobs(item_id);
CREATE TABLE idempotency (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  order_id INTEGER NOT NULL REFERENCES orders(id),
  response TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_created ON idempotency(created_ms);
CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);
CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL,
  action TEXT NOT NULL,
  order_id INTEGER,
  detail TEXT NOT NULL DEFAULT '',
  peer TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
)sql",
      // 2: job parameters (the item's options at the time the job was queued, e.g. height_mm)
      R"sql(
ALTER TABLE jobs ADD COLUMN params TEXT NOT NULL DEFAULT '{}';
)sql",
      // 3: the print file an engineer approved, frozen by its sha256 (DESIGN: a reprint prints
      // exactly what was approved)
      R"sql(
ALTER TABLE items ADD COLUMN print_file TEXT REFERENCES assets(id);
ALTER TABLE jobs ADD COLUMN print_file TEXT REFERENCES assets(id);
CREATE INDEX items_review ON items(state, updated_at);
)sql",
      // 4: a modeling engineer's fine-tuning (JSON) for the item's next preparation; a new
      // file from the customer starts again without it
      R"sql(
ALTER TABLE items ADD COLUMN tuning TEXT NOT NULL DEFAULT '{}';
)sql",
  };
  return migrations;
}

}  // namespace keepsake::orders::schema
