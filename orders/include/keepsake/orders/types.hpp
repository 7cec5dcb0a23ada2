// Plain value types that cross the orders module's border. No SQLite or JSON types here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "keepsake/orders/role.hpp"

namespace keepsake::orders {

struct Address {
  std::string province;
  std::string city;
  std::string district;
  std::string street;
  std::string detail;  // building, unit and room
};

// Personal data: kept in its own table so that a purge can remove it and keep the order.
struct Customer {
  std::string name;
  std::string phone;
  Address address;
};

struct Actor {
  std::string name;  // token name or "keepsake"; never personal data
  Role role = Role::kSystem;
};

struct NewItem {
  std::string product;
  std::string asset_id;  // empty: the item waits for an asset
  std::map<std::string, int64_t> options;
};

struct NewOrder {
  std::string channel_ref;
  Customer customer;
  std::vector<NewItem> items;
};

struct Item {
  int64_t id = 0;
  int64_t order_id = 0;
  int position = 0;
  std::string product;
  std::map<std::string, int64_t> options;
  std::string asset_id;
  std::string state;
  std::string print_file;     // sha256 of the approved print file, frozen at approval; or empty
  std::string tuning = "{}";  // JSON object: an engineer's fine-tuning for the next preparation
  int64_t version = 0;
  std::string created_at;  // UTC, ISO 8601 with milliseconds
  std::string updated_at;
};

struct Order {
  int64_t id = 0;
  std::string number;  // human-facing: KS00000042
  std::string channel_ref;
  std::optional<Customer> customer;  // nullopt once purged
  std::string state;
  std::string held_from;  // the state an on_hold order returns to
  int64_t version = 0;    // optimistic concurrency: bumped by every change
  std::string created_at;
  std::string updated_at;
  std::vector<Item> items;
};

// One line of an order's append-only timeline.
struct Event {
  int64_t id = 0;
  int64_t order_id = 0;
  std::optional<int64_t> item_id;
  std::string at;  // UTC
  std::string actor;
  std::string role;
  std::string kind;  // order.created, order.transition, item.transition, job.failed, ...
  std::string from_state;
  std::string to_state;
  std::string reason;
  std::string detail;  // JSON text, no personal data
};

struct Asset {
  std::string id;      // the sha256 of the content, hex
  std::string kind;    // mesh or image
  std::string format;  // glb, obj, png, zip, ...
  int64_t bytes = 0;
  std::string created_at;
};

struct OrderFilter {
  std::optional<std::string> state;
  std::optional<std::string> channel_ref;
  std::optional<std::string> created_from;  // inclusive, ISO 8601 UTC
  std::optional<std::string> created_to;    // exclusive
  std::optional<int64_t> before_id;         // keyset cursor: orders with a smaller id
  int limit = 50;                           // 1..200
};

struct OrderPage {
  std::vector<Order> orders;
  std::optional<int64_t> next_cursor;
};

struct Job {
  int64_t id = 0;
  std::string kind;
  int64_t item_id = 0;
  std::string asset_id;
  std::string state;  // queued, leased, succeeded, failed, dead
  int attempts = 0;
  int max_attempts = 0;
  int progress = 0;  // 0-100
  std::string phase;
  std::string error;   // the reason of the last failure, plain words
  std::string result;  // JSON text written by the worker
  std::string params;  // JSON text: the item's options when the job was queued
  std::string created_at;
  std::string updated_at;
};

struct TokenInfo {
  int64_t id = 0;
  std::string name;
  Role role = Role::kChannel;
};

struct AuditRecord {
  std::string actor;
  std::string role;
  std::string action;  // e.g. token.create, order.reveal
  std::optional<int64_t> order_id;
  std::string detail;  // no personal data
  std::string peer;    // the TCP peer address, never a client-sent header
};

}  // namespace keepsake::orders
