#!/usr/bin/env bash
# Reruns the search figures of docs/performance.md: seeds N orders (default 100,000) with their
# customers and items straight into a migrated database with SQL (seeding through the API
# would measure the writer, not the search), starts keepsake serve on it, and times each search
# path customer service uses, over HTTP on loopback, with 4 client threads.
#   bench/run_search.sh [orders] [requests_per_path]
set -euo pipefail
cd "$(dirname "$0")/.."
orders="${1:-100000}"
requests="${2:-5000}"
scripts/build.sh -DKEEPSAKE_BUILD_BENCHMARKS=ON >/dev/null
# KEEPSAKE_BIN=path runs another keepsake binary (an older build, to compare) with the same driver
bin="${KEEPSAKE_BIN:-./build/keepsake}"
data="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$data" "$data.key"' EXIT
"$bin" migrate --data "$data" >/dev/null
seed_start=$(date +%s.%N)
sqlite3 "$data/keepsake.db" >/dev/null <<SQL
PRAGMA journal_mode=WAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $orders)
INSERT INTO customers(id, name, phone, province, city, district, street, detail)
  SELECT i, '客户' || i, '13' || printf('%09d', (i * 7919) % 1000000000), '浙江省', '杭州市',
         '西湖区', '文三路 ' || i || ' 号', (i % 30) || ' 幢 ' || (i % 600) || ' 室' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $orders)
INSERT INTO orders(id, channel_ref, customer_id, state, created_by, created_at, updated_at)
  SELECT i, 'ch-' || i, i,
         CASE i % 5 WHEN 0 THEN 'placed' WHEN 1 THEN 'in_production' WHEN 2 THEN 'shipped'
                    WHEN 3 THEN 'delivered' ELSE 'completed' END,
         'seed', strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '+' || i || ' minutes'),
         strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '+' || i || ' minutes') FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $orders)
INSERT INTO items(order_id, position, product, options, state, created_at, updated_at)
  SELECT i, 0, 'postcard-cn', '{}', 'approved', '2026-01-01T00:00:00.000Z',
         '2026-01-01T00:00:00.000Z' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $orders)
INSERT INTO shipments(order_id, carrier, tracking_number, state, created_by, created_at,
                      updated_at)
  SELECT i, 'manual', 'SF' || printf('%010d', i), 'in_transit', 'seed', '2026-01-01T00:00:00.000Z',
         '2026-01-01T00:00:00.000Z' FROM n WHERE i % 5 IN (2, 3, 4);
COMMIT;
-- the customers went in as plain text: the schema is taken back to before migration 15, which
-- the server then runs on them, encrypting each under the data key (as an older database is),
-- and 16 after it
DROP TABLE channel_webhooks;
DROP INDEX outbox_channel_due;
ALTER TABLE outbox DROP COLUMN channel;
DROP TABLE data_key;
DROP INDEX customers_phone_index;
DROP INDEX customers_last4_index;
ALTER TABLE customers DROP COLUMN phone_index;
ALTER TABLE customers DROP COLUMN last4_index;
CREATE INDEX customers_phone ON customers(phone);
CREATE INDEX customers_phone_last4 ON customers(substr(phone, -4), name);
DELETE FROM schema_migrations WHERE version >= 15;
ANALYZE;
SQL
seed_end=$(date +%s.%N)
"$bin" serve --data "$data" --listen 127.0.0.1:0 --port-file "$data/port" \
  --job-workers 0 --personal-searches-per-minute 0 2>"$data/server.log" >/dev/null &
server=$!
for _ in $(seq 100); do [ -s "$data/port" ] && break; sleep 0.1; done
port="$(cat "$data/port")"
cs="$("$bin" token create --data "$data" --role cs --name bench-cs)"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r); $(date -u +%F)"
echo "seeded $orders orders in $(awk "BEGIN{printf \"%.1f\", $seed_end - $seed_start}") s; database $(du -h "$data/keepsake.db" | cut -f1)"
for path in number channel_ref tracking_number phone phone_last4 state dates; do
  ./build/keepsake_load --port "$port" --token "$cs" --mode search --search "$path" \
    --orders "$orders" --threads 4 --requests "$requests"
done
