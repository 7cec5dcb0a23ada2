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
  std::string text{};  // a postcard's greeting (UTF-8), for products that take text
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
  std::string text;           // the customer's greeting (postcards), or empty
  int64_t version = 0;
  std::string created_at;  // UTC, ISO 8601 with milliseconds
  std::string updated_at;
};

struct Order {
  int64_t id = 0;
  std::string number;  // human-facing: KS00000042
  std::string channel_ref;
  std::string channel;  // the name of the channel's tokens that placed it; empty if staff did
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
  std::string purged_at{};  // when a purge deleted the file ("" while it is there)
};

struct OrderFilter {
  std::optional<std::string> state;
  std::optional<std::string> channel;  // only the orders this channel placed
  std::optional<std::string> channel_ref;
  // KS00000042, as an agent types it too: ks42, "KS 0000 0042"
  std::optional<std::string> number;
  // personal-data searches (customer service): the full phone, or its last four digits with
  // the customer's name: the full name (any letter case), or the surname alone (a Chinese
  // name's first one or two characters, a Latin name's last word)
  std::optional<std::string> tracking_number;  // any shipment of the order
  std::optional<std::string> phone;
  std::optional<std::string> phone_last4;
  std::optional<std::string> name;
  // the other orders of the customer of this order (the same phone, by its blind index): the
  // caller's other orders beside the one an agent has open
  std::optional<int64_t> same_customer_as;
  std::optional<std::string> created_from;  // inclusive, ISO 8601 UTC
  std::optional<std::string> created_to;    // exclusive
  std::optional<int64_t> before_id;         // keyset cursor: orders with a smaller id
  int limit = 50;                           // 1..200
};

// An item that waits on a person (OrderRepository::ItemsWaitingOnAPerson).
struct WaitingItem {
  Item item;
  std::string order_number;
  std::string reason;  // of the step that left it in its state
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
  std::string error;       // the reason of the last failure, plain words
  std::string error_code;  // and its code: mesh.unreadable, sandbox.out_of_memory, ...
  std::string result;      // JSON text written by the worker
  std::string params;      // JSON text: the item's options when the job was queued
  std::string created_at;
  std::string updated_at;
};

struct TokenInfo {
  int64_t id = 0;
  std::string name;
  Role role = Role::kChannel;
};

// A token as `keepsake token list` shows it: never the token itself (only its hash is kept).
struct TokenRecord {
  int64_t id = 0;
  std::string name;
  Role role = Role::kChannel;
  std::string created_at;
  std::optional<std::string> expires_at;
  std::optional<std::string> revoked_at;
  bool demo = false;
};

// A customer-service ticket (DESIGN: tickets with SLAs). `order_id` is empty for a query that
// is about no order.
struct Ticket {
  int64_t id = 0;
  std::optional<int64_t> order_id;
  std::string order_number;
  std::string type;     // query, complaint, change_request, fault
  std::string channel;  // phone, chat, channel_api, system
  int level = 3;        // 1 (most urgent) to 4
  std::string state;    // open, pending_customer, pending_internal, resolved, closed
  std::string subject;  // staff-written summary; no personal data
  std::string opened_by;
  std::string created_at;
  std::string updated_at;
  std::string first_response_at;  // the first answer to the customer; empty before
  std::string resolved_at;        // empty unless resolved or closed
  int64_t paused_ms = 0;          // time spent waiting for the customer, pauses over
  std::string paused_since;       // set while waiting for the customer
  std::string breaches;           // recorded breaches: "first_response", "resolution"
  int64_t version = 0;
};

// One line of a ticket's log: a message to or from the customer, an internal note, a state
// change, an SLA breach.
struct TicketEntry {
  int64_t id = 0;
  std::string at;
  std::string author;
  std::string role;
  std::string kind;  // message, note, state, breach
  std::string body;
};

struct NewTicket {
  std::optional<int64_t> order_id;
  std::string type;
  std::string channel;
  int level = 3;
  std::string subject;
  std::string body{};  // the first message, if any
};

struct TicketFilter {
  std::optional<std::string> state;  // one state, or "active": every state before resolved
  std::optional<int64_t> order_id;
  std::optional<int64_t> before_id;
  int limit = 50;
};

struct AuditEntry {
  int64_t id = 0;
  std::string at;
  std::string actor;
  std::string role;
  std::string action;
  std::optional<int64_t> order_id;
  std::string detail;
  std::string peer;
};

// Which orders a purge takes: those that ended before a time, every order, or one customer's
// (a data subject's request, named by one of their order numbers: every order with the same
// phone), ended or not.
struct PurgeScope {
  std::string before_iso;
  bool everything = false;
  std::string order_number;
};

// A stored file (assets/, by its sha256) that only purged orders used, or none: it is deleted.
struct PurgedFile {
  std::string sha256;
  std::string kind;  // mesh or image
  std::string format;
  int64_t bytes = 0;
};

// A file a purged order used that a kept order uses too (the same picture in two orders): it
// stays, and the certificate says so.
struct SharedFile {
  std::string sha256;
  int64_t kept_orders = 0;
};

struct PurgeResult {
  int64_t id = 0;      // the purges row
  int orders = 0;      // orders whose customer data went
  int customers = 0;   // customer rows deleted
  std::string digest;  // sha256 over the purged order numbers: proves which, names nobody
  std::string at;
  std::vector<std::string> order_numbers;
  int64_t texts_redacted = 0;  // greetings, ticket subjects and messages, reasons, claims, ...
  std::vector<PurgedFile> files;
  std::vector<SharedFile> shared_files;
  std::string actor;  // who purged
  std::string scope;  // "order KS00000042", "every order", "orders ended before <time>"
};

// A notification waiting in the outbox, or delivered, with its attempts.
struct OutboxMessage {
  int64_t id = 0;
  std::string event_id;  // evt_123: the receiver de-duplicates by it
  std::string kind;
  std::string at;
  std::string body;   // the JSON sent
  std::string state;  // pending, delivered, dead
  int attempts = 0;
  int64_t next_attempt_ms = 0;
  std::string last_error;
  std::string channel{};  // the channel of the order it is about ("" for none)
};

// Where one channel's notifications go: its URL and the secret they are signed with; after a
// rotation the previous secret signs too, until `previous_until_ms`.
struct ChannelWebhook {
  std::string channel;
  std::string url;
  std::string secret;
  std::string previous_secret;
  int64_t previous_until_ms = 0;
  std::string updated_at;
};

// A warranty claim on one item of a delivered order.
struct Claim {
  int64_t id = 0;
  int64_t order_id = 0;
  std::string order_number;
  int64_t item_id = 0;
  std::string reason;  // damaged_in_transit, print_defect, colour_off, wrong_item, lost_parcel
  std::string description;
  std::vector<std::string> evidence;  // image asset ids
  std::string state;  // submitted, under_review, approved_reprint, approved_refund, rejected,
                      // fulfilled, closed
  std::string override_reason;  // an admin's, for a claim outside the window
  std::string decision_note;
  int64_t refund_cents = 0;
  std::string refund_reference;
  std::optional<int64_t> reprint_order_id;
  std::string opened_by;
  std::string created_at;
  std::string updated_at;
  int64_t version = 0;
};

struct NewClaim {
  int64_t item_id = 0;
  std::string reason;
  std::string description;
  std::vector<std::string> evidence;
  std::string override_reason;  // admins only: opens a claim outside the window
};

struct ClaimDecision {
  std::string event;  // start_review, approve_reprint, approve_refund, reject, fulfil, close
  std::string note;
  int64_t refund_cents = 0;      // approve_refund
  std::string refund_reference;  // approve_refund or fulfil of a refund: the payment's reference
  std::optional<int64_t> expected_version;
};

// One month's figures for the contract's monthly report (report_store.cpp). Orders are those
// created in the month; tickets, claims, breaches and QC failures those that happened in it.
struct MonthlyReport {
  std::string month;  // 2026-11
  int orders = 0;
  struct Count {
    std::string key;  // e.g. "postcard-cn|shipped", "complaint|2", "print_defect"
    int count = 0;
  };
  std::vector<Count> orders_by_product_state;
  struct Turnaround {
    int orders = 0;  // how many orders the figures are over
    double p50_hours = 0;
    double p90_hours = 0;
  };
  Turnaround placed_to_shipped;
  Turnaround shipped_to_delivered;
  int items_reviewed = 0;  // reached an engineer's review
  int items_reworked = 0;  // sent back to rework at least once
  int qc_failures = 0;
  std::vector<Count> tickets_by_type_level;
  int complaints = 0;
  int sla_breaches = 0;
  std::vector<Count> claims_by_reason;
  std::vector<Count> claims_by_state;
  struct Day {
    std::string date;  // 2026-11-01
    int orders = 0;
    double mean_placed_to_shipped_hours = -1;  // -1: none shipped
  };
  std::vector<Day> days;
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
