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
      // 5: the customer's greeting printed on a postcard's back (personal: purged with the
      // customer's data)
      R"sql(
ALTER TABLE items ADD COLUMN text TEXT NOT NULL DEFAULT '';
)sql",
      // 6: customer service. Searches by phone (whole, or the last four digits with the
      // name) use these indexes; tickets with their log; the purge's deletion records.
      R"sql(
CREATE INDEX customers_phone ON customers(phone);
CREATE INDEX customers_phone_last4 ON customers(substr(phone, -4), name);
CREATE INDEX orders_customer ON orders(customer_id);
CREATE TABLE tickets (
  id INTEGER PRIMARY KEY,
  order_id INTEGER REFERENCES orders(id),
  type TEXT NOT NULL CHECK (type IN ('query', 'complaint', 'change_request', 'fault')),
  channel TEXT NOT NULL CHECK (channel IN ('phone', 'chat', 'channel_api', 'system')),
  level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),
  state TEXT NOT NULL,
  subject TEXT NOT NULL,
  opened_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  first_response_at TEXT NOT NULL DEFAULT '',
  resolved_at TEXT NOT NULL DEFAULT '',
  paused_ms INTEGER NOT NULL DEFAULT 0,
  paused_since TEXT NOT NULL DEFAULT '',
  breaches TEXT NOT NULL DEFAULT '',
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX tickets_state ON tickets(state, id);
CREATE INDEX tickets_order ON tickets(order_id, id);
CREATE TABLE ticket_log (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES tickets(id),
  at TEXT NOT NULL,
  author TEXT NOT NULL,
  role TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('message', 'note', 'state', 'breach')),
  body TEXT NOT NULL
);
CREATE INDEX ticket_log_ticket ON ticket_log(ticket_id, id);
CREATE TABLE purges (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  completed_before TEXT NOT NULL,
  orders INTEGER NOT NULL,
  customers INTEGER NOT NULL,
  digest TEXT NOT NULL
);
)sql",
      // 7: notifications to the channel: an outbox written in the transaction of the change
      // (so no change goes unannounced and none is announced that did not happen), delivered
      // by the server with retries; every delivery attempt is kept for admins
      R"sql(
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  at TEXT NOT NULL,
  body TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_ms);
CREATE TABLE webhook_attempts (
  id INTEGER PRIMARY KEY,
  outbox_id INTEGER NOT NULL REFERENCES outbox(id),
  at TEXT NOT NULL,
  status INTEGER NOT NULL,
  error TEXT NOT NULL,
  ms INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_outbox ON webhook_attempts(outbox_id, id);
)sql",
      // 8: warranty claims per item; a reprint is a new order marked as the reshipment of the
      // original, whose item reuses the approved print file
      R"sql(
CREATE TABLE claims (
  id INTEGER PRIMARY KEY,
  order_id INTEGER NOT NULL REFERENCES orders(id),
  item_id INTEGER NOT NULL REFERENCES items(id),
  reason TEXT NOT NULL CHECK (reason IN ('damaged_in_transit', 'print_defect', 'colour_off',
                                          'wrong_item', 'lost_parcel')),
  description TEXT NOT NULL DEFAULT '',
  evidence TEXT NOT NULL DEFAULT '[]',
  state TEXT NOT NULL,
  override_reason TEXT NOT NULL DEFAULT '',
  decision_note TEXT NOT NULL DEFAULT '',
  refund_cents INTEGER NOT NULL DEFAULT 0,
  refund_reference TEXT NOT NULL DEFAULT '',
  reprint_order_id INTEGER REFERENCES orders(id),
  opened_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX claims_order ON claims(order_id, id);
CREATE INDEX claims_state ON claims(state, id);
ALTER TABLE orders ADD COLUMN reshipment_of INTEGER REFERENCES orders(id);
)sql",
      // 9: shipments (one or more parcels per order; a reprint's is a reshipment) and the
      // tracking events they receive; searchable by tracking number
      R"sql(
CREATE TABLE shipments (
  id INTEGER PRIMARY KEY,
  order_id INTEGER NOT NULL REFERENCES orders(id),
  carrier TEXT NOT NULL,
  tracking_number TEXT NOT NULL,
  state TEXT NOT NULL,
  reshipment INTEGER NOT NULL DEFAULT 0,
  weight_g INTEGER NOT NULL DEFAULT 0,
  size_mm TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX shipments_carrier_tracking ON shipments(carrier, tracking_number);
CREATE INDEX shipments_tracking ON shipments(tracking_number);
CREATE INDEX shipments_order ON shipments(order_id, id);
CREATE TABLE tracking_events (
  id INTEGER PRIMARY KEY,
  shipment_id INTEGER NOT NULL REFERENCES shipments(id),
  event_id TEXT NOT NULL,
  at TEXT NOT NULL,
  status TEXT NOT NULL,
  carrier_code TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  received_at TEXT NOT NULL,
  UNIQUE (shipment_id, event_id)
);
)sql",
      // 10: the channel that placed an order (the name of its tokens): a channel sees only its
      // own orders. Orders placed before are the channel's whose token created them; a reprint
      // belongs to the channel of the order it reprints.
      R"sql(
ALTER TABLE orders ADD COLUMN channel TEXT NOT NULL DEFAULT '';
UPDATE orders SET channel = COALESCE((SELECT e.actor FROM events e WHERE e.order_id = orders.id
  AND e.kind = 'order.created' AND e.role = 'channel' ORDER BY e.id LIMIT 1), '');
UPDATE orders SET channel = (SELECT o.channel FROM orders o WHERE o.id = orders.reshipment_of)
  WHERE reshipment_of IS NOT NULL;
CREATE INDEX orders_channel ON orders(channel, id);
)sql",
      // 11: how often a job's attempt was cut short by the server stopping (not the job's
      // fault: such an attempt is given back, up to a bound)
      R"sql(
ALTER TABLE jobs ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0;
)sql",
      // 12: a token's life: an expiry (NULL: none), and whether the demo made it (the demo
      // revokes only its own tokens, never one that a person named demo-something)
      R"sql(
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
ALTER TABLE api_tokens ADD COLUMN demo INTEGER NOT NULL DEFAULT 0;
)sql",
      // 13: a failed job's code beside its words (mesh.unreadable, sandbox.out_of_memory), so
      // the console can word it in either language and reports can count by cause
      R"sql(
ALTER TABLE jobs ADD COLUMN error_code TEXT NOT NULL DEFAULT '';
)sql",
      // 14: a purge deletes files too: the stored files it released (sha256 list, kept until
      // their deletion is confirmed), its scope and its signed certificate; a purged file's
      // row says when it went. Events stay append-only, except that a purge may blank a reason
      // (the customer's or an agent's words about them).
      R"sql(
ALTER TABLE assets ADD COLUMN purged_at TEXT NOT NULL DEFAULT '';
ALTER TABLE purges ADD COLUMN files TEXT NOT NULL DEFAULT '[]';
ALTER TABLE purges ADD COLUMN files_deleted INTEGER NOT NULL DEFAULT 1;
ALTER TABLE purges ADD COLUMN certificate TEXT NOT NULL DEFAULT '';
DROP TRIGGER events_append_only_update;
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
  WHEN NOT (NEW.id IS OLD.id AND NEW.order_id IS OLD.order_id AND NEW.item_id IS OLD.item_id
            AND NEW.at IS OLD.at AND NEW.actor IS OLD.actor AND NEW.role IS OLD.role
            AND NEW.kind IS OLD.kind AND NEW.from_state IS OLD.from_state
            AND NEW.to_state IS OLD.to_state AND NEW.detail IS OLD.detail
            AND NEW.reason = '(purged)')
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
)sql",
      // 15: customers' names, phones and addresses encrypted at rest (AES-256-GCM through the
      // store's ks_encrypt, under the data key), found through blind indexes (ks_index: HMAC
      // of the phone, and of its last four digits); the key's check value, so that another
      // key is refused. The plain indexes on phone go with the plain values.
      R"sql(
CREATE TABLE data_key (check_value TEXT NOT NULL);
INSERT INTO data_key(check_value) VALUES (ks_index('key-check', 'keepsake'));
ALTER TABLE customers ADD COLUMN phone_index TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN last4_index TEXT NOT NULL DEFAULT '';
DROP INDEX customers_phone;
DROP INDEX customers_phone_last4;
UPDATE customers SET phone_index = ks_index('phone', phone),
  last4_index = ks_index('last4', substr(phone, -4)), name = ks_encrypt(name),
  phone = ks_encrypt(phone), province = ks_encrypt(province), city = ks_encrypt(city),
  district = ks_encrypt(district), street = ks_encrypt(street), detail = ks_encrypt(detail);
CREATE INDEX customers_phone_index ON customers(phone_index);
CREATE INDEX customers_last4_index ON customers(last4_index);
)sql",
      // 16: a webhook per channel (its URL, its secret encrypted under the data key, the
      // previous secret while a rotation overlaps), and each notification's channel, so that a
      // channel hears only of its own orders
      R"sql(
CREATE TABLE channel_webhooks (
  channel TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  previous_secret TEXT NOT NULL DEFAULT '',
  previous_until_ms INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL
);
ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT '';
UPDATE outbox SET channel = coalesce((SELECT o.channel FROM orders o
  WHERE o.number = json_extract(outbox.body, '$.data.order')), '') WHERE json_valid(body);
CREATE INDEX outbox_channel_due ON outbox(channel, state, next_attempt_ms);
)sql",
      // 17: parcels booked with a carrier (SF Express, Kuaidi100's couriers): the order id we
      // sent and the codes it answered; each booking attempt before the answer (so that a retry
      // after a timeout sends the same id and the reason of a refusal stays); every raw push a
      // carrier sent, kept for a dispute
      R"sql(
ALTER TABLE shipments ADD COLUMN carrier_order_id TEXT NOT NULL DEFAULT '';
ALTER TABLE shipments ADD COLUMN routing_code TEXT NOT NULL DEFAULT '';
ALTER TABLE shipments ADD COLUMN sorting_code TEXT NOT NULL DEFAULT '';
ALTER TABLE shipments ADD COLUMN carrier_label TEXT NOT NULL DEFAULT '';
CREATE TABLE carrier_bookings (
  id INTEGER PRIMARY KEY,
  order_id INTEGER NOT NULL REFERENCES orders(id),
  carrier TEXT NOT NULL,
  carrier_order_id TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL CHECK (state IN ('pending', 'failed', 'booked')),
  reason TEXT NOT NULL DEFAULT '',
  carrier_code TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0,
  shipment_id INTEGER REFERENCES shipments(id),
  weight_g INTEGER NOT NULL DEFAULT 0,
  size_mm TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX carrier_bookings_order ON carrier_bookings(order_id, id);
CREATE TABLE carrier_pushes (
  id INTEGER PRIMARY KEY,
  carrier TEXT NOT NULL,
  received_at TEXT NOT NULL,
  body TEXT NOT NULL,
  outcome TEXT NOT NULL DEFAULT ''
);
CREATE TABLE carrier_push_parcels (
  push_id INTEGER NOT NULL REFERENCES carrier_pushes(id),
  shipment_id INTEGER NOT NULL REFERENCES shipments(id),
  PRIMARY KEY (push_id, shipment_id)
);
CREATE INDEX carrier_push_parcels_shipment ON carrier_push_parcels(shipment_id);
)sql",
      // 18: a parcel sent again after its courier lost, returned or gave up on the first: the
      // new parcel names the one it replaces, which then no longer counts for its order
      R"sql(
ALTER TABLE shipments ADD COLUMN replaces INTEGER REFERENCES shipments(id);
CREATE UNIQUE INDEX shipments_replaces ON shipments(replaces) WHERE replaces IS NOT NULL;
)sql",
      // 19: staff accounts for the console: a password (Argon2id string), a TOTP secret
      // encrypted under the data key, the last time step used (a code counts once), failed
      // sign-ins and the lock they set; sessions by the SHA-256 of their cookie
      R"sql(
CREATE TABLE staff_users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  totp_secret TEXT NOT NULL,
  totp_last_step INTEGER NOT NULL DEFAULT 0,
  failed_attempts INTEGER NOT NULL DEFAULT 0,
  locked_until_ms INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  disabled_at TEXT,
  demo INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE staff_sessions (
  id INTEGER PRIMARY KEY,
  session_hash TEXT NOT NULL UNIQUE,
  user_id INTEGER NOT NULL REFERENCES staff_users(id),
  created_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  ended_ms INTEGER
);
CREATE INDEX staff_sessions_user ON staff_sessions(user_id);
)sql",
      // 20: postcards' greetings encrypted at rest like the customer's name (the item's, and
      // the copy its print job carries; read back decrypted)
      R"sql(
UPDATE items SET text = ks_encrypt(text) WHERE text != '';
UPDATE jobs SET params = json_set(params, '$.text', ks_encrypt(json_extract(params, '$.text')))
  WHERE json_valid(params) AND json_type(params, '$.text') = 'text';
)sql",
      // 21: when the tracking poller last asked a parcel's carrier where it is
      R"sql(
ALTER TABLE shipments ADD COLUMN polled_at TEXT;
)sql",
      // 22: the items each parcel carries, so an order can ship as its items become ready (a
      // split); a parcel made before carried its whole order
      R"sql(
CREATE TABLE shipment_items (
  shipment_id INTEGER NOT NULL REFERENCES shipments(id),
  item_id INTEGER NOT NULL REFERENCES items(id),
  PRIMARY KEY (shipment_id, item_id)
);
CREATE INDEX shipment_items_item ON shipment_items(item_id);
INSERT INTO shipment_items(shipment_id, item_id)
  SELECT s.id, i.id FROM shipments s JOIN items i ON i.order_id = s.order_id
  WHERE i.state != 'cancelled';
)sql",
      // 23: return parcels: the claim whose broken piece a parcel brings back to the shop
      // (and its booking, numbered apart from the order's outbound parcels)
      R"sql(
ALTER TABLE shipments ADD COLUMN claim_id INTEGER REFERENCES claims(id);
CREATE INDEX shipments_claim ON shipments(claim_id) WHERE claim_id IS NOT NULL;
ALTER TABLE carrier_bookings ADD COLUMN claim_id INTEGER REFERENCES claims(id);
)sql",
      // 24: a courier booked to collect the parcel (SF's 上门取件), from this time
      R"sql(
ALTER TABLE shipments ADD COLUMN pickup_at TEXT;
)sql",
      // 25: the label a carrier drew itself (SF's cloud print), kept to be printed in place of
      // ours: its page size ("100x150") and the PDF, encrypted (it carries the full address)
      R"sql(
CREATE TABLE carrier_label_files (
  shipment_id INTEGER PRIMARY KEY REFERENCES shipments(id),
  size TEXT NOT NULL,
  pdf TEXT NOT NULL,
  created_at TEXT NOT NULL
);
)sql",
      // 26: a purge's record as its certificate needs it (orders, files, who, what), kept with
      // its row, so that a purge cut short after the database step is certified by the next
      R"sql(
ALTER TABLE purges ADD COLUMN result TEXT NOT NULL DEFAULT '';
)sql",
  };
  return migrations;
}

}  // namespace keepsake::orders::schema
