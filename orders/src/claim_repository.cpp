// The store's warranty claims: opening within the window after delivery, the decisions of the
// claim table, and the reshipment order a reprint creates.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "database.hpp"
#include "keepsake/orders/job_kind.hpp"
#include "keepsake/orders/sla.hpp"
#include "keepsake/orders/state_machine.hpp"
#include "keepsake/orders/state_names.hpp"
#include "keepsake/orders/store.hpp"
#include "store_rows.hpp"

namespace keepsake::orders {

using nlohmann::json;

namespace {

constexpr const char* kClaimColumns =
    "c.id, c.order_id, o.number, c.item_id, c.reason, c.description, c.evidence, c.state, "
    "c.override_reason, c.decision_note, c.refund_cents, c.refund_reference, c.reprint_order_id, "
    "c.opened_by, c.created_at, c.updated_at, c.version FROM claims c JOIN orders o ON o.id = "
    "c.order_id";

Claim ClaimFromRow(SQLite::Statement& q) {
  Claim c;
  c.id = q.getColumn(0).getInt64();
  c.order_id = q.getColumn(1).getInt64();
  c.order_number = q.getColumn(2).getString();
  c.item_id = q.getColumn(3).getInt64();
  c.reason = q.getColumn(4).getString();
  c.description = q.getColumn(5).getString();
  const json evidence = json::parse(q.getColumn(6).getString(), nullptr, false);
  if (evidence.is_array()) {
    for (const json& e : evidence) {
      if (e.is_string()) c.evidence.push_back(e.get<std::string>());
    }
  }
  c.state = q.getColumn(7).getString();
  c.override_reason = q.getColumn(8).getString();
  c.decision_note = q.getColumn(9).getString();
  c.refund_cents = q.getColumn(10).getInt64();
  c.refund_reference = q.getColumn(11).getString();
  if (!q.getColumn(12).isNull()) c.reprint_order_id = q.getColumn(12).getInt64();
  c.opened_by = q.getColumn(13).getString();
  c.created_at = q.getColumn(14).getString();
  c.updated_at = q.getColumn(15).getString();
  c.version = q.getColumn(16).getInt64();
  return c;
}

std::optional<Claim> LoadClaim(SQLite::Database& db, int64_t id) {
  SQLite::Statement q(db, std::string("SELECT ") + kClaimColumns + " WHERE c.id = ?");
  q.bind(1, id);
  if (!q.executeStep()) return std::nullopt;
  return ClaimFromRow(q);
}

// When the order was delivered (its last transition to delivered), or empty.
std::string DeliveredAt(SQLite::Database& db, int64_t order_id) {
  SQLite::Statement q(db,
                      "SELECT at FROM events WHERE order_id = ? AND kind = 'order.transition' AND "
                      "to_state = 'delivered' ORDER BY id DESC LIMIT 1");
  q.bind(1, order_id);
  return q.executeStep() ? q.getColumn(0).getString() : std::string();
}

// The reprint: a new order for the same customer, marked as the original's reshipment, with
// one item approved on the original's frozen print file.
Result<int64_t> CreateReshipment(SQLite::Database& db, const Claim& claim, const Item& item,
                                 const Actor& actor, const std::string& now) {
  if (item.print_file.empty()) {
    return Fail(Errc::kInvalidArgument,
                "item " + std::to_string(item.id) +
                    " has no approved print file to reprint; decide a refund instead",
                "event");
  }
  SQLite::Statement original(db,
                             "SELECT channel_ref, customer_id, channel FROM orders WHERE id = ?");
  original.bind(1, claim.order_id);
  if (!original.executeStep()) return Fail(Errc::kNotFound, "the claim's order is gone");
  SQLite::Statement ord(db,
                        "INSERT INTO orders(channel_ref, customer_id, state, created_by, "
                        "created_at, updated_at, reshipment_of, channel) "
                        "VALUES(?,?,'placed',?,?,?,?,?)");
  ord.bind(1, original.getColumn(0).getString() + "-claim" + std::to_string(claim.id));
  if (original.getColumn(1).isNull()) {
    ord.bind(2);
  } else {
    ord.bind(2, original.getColumn(1).getInt64());
  }
  ord.bind(3, actor.name);
  ord.bind(4, now);
  ord.bind(5, now);
  ord.bind(6, claim.order_id);
  ord.bind(7, original.getColumn(2).getString());
  ord.exec();
  const int64_t order_id = db.getLastInsertRowid();
  SQLite::Statement it(
      db,
      "INSERT INTO items(order_id, position, product, options, asset_id, state, "
      "created_at, updated_at, print_file, text) "
      "SELECT ?, 0, product, options, asset_id, 'approved', ?, ?, print_file, text "
      "FROM items WHERE id = ?");
  it.bind(1, order_id);
  it.bind(2, now);
  it.bind(3, now);
  it.bind(4, item.id);
  it.exec();
  const std::string role(RoleName(actor.role));
  rows::AppendEvent(db, Event{0, order_id, std::nullopt, now, actor.name, role, "order.created", "",
                              "placed", "reprint for claim " + std::to_string(claim.id),
                              json{{"items", 1},
                                   {"reshipment_of", claim.order_id},
                                   {"claim", claim.id},
                                   {"print_file", item.print_file}}
                                  .dump()});
  return order_id;
}

}  // namespace

Result<Claim> ClaimRepository::OpenClaim(const NewClaim& claim, const Actor& actor,
                                         int window_days) {
  static const std::vector<std::string> reasons = {"damaged_in_transit", "print_defect",
                                                   "colour_off", "wrong_item", "lost_parcel"};
  if (std::find(reasons.begin(), reasons.end(), claim.reason) == reasons.end()) {
    return Fail(Errc::kInvalidArgument, "unknown claim reason '" + claim.reason + "'", "reason",
                reasons);
  }
  if (claim.description.size() > 2000) {
    return Fail(Errc::kInvalidArgument, "description is at most 2000 bytes", "description");
  }
  if (claim.evidence.size() > 10) {
    return Fail(Errc::kInvalidArgument, "at most 10 photos", "evidence");
  }
  if (!claim.override_reason.empty() && actor.role != Role::kAdmin) {
    return Fail(Errc::kForbiddenTransition, "only an admin may open a claim outside the window",
                "override_reason");
  }
  return db_->Write([&](SQLite::Database& db) -> Result<Claim> {
    auto item = rows::LoadItem(db, claim.item_id);
    if (!item) {
      return Fail(Errc::kNotFound, "item " + std::to_string(claim.item_id) + " does not exist",
                  "item");
    }
    for (const std::string& asset : claim.evidence) {
      SQLite::Statement kind(db, "SELECT kind FROM assets WHERE id = ?");
      kind.bind(1, asset);
      if (!kind.executeStep() || kind.getColumn(0).getString() != "image") {
        return Fail(Errc::kInvalidArgument,
                    "evidence " + asset.substr(0, 12) +
                        "... is not an uploaded photo (PNG, "
                        "JPEG or WebP)",
                    "evidence");
      }
    }
    const std::string delivered = DeliveredAt(db, item->order_id);
    const std::string now = NowUtcIso();
    const int64_t age_ms = delivered.empty() ? -1 : UnixMsFromIso(now) - UnixMsFromIso(delivered);
    const bool in_window = age_ms >= 0 && age_ms <= int64_t{window_days} * 86'400'000;
    if (!in_window && claim.override_reason.empty()) {
      return Fail(Errc::kInvalidArgument,
                  delivered.empty()
                      ? "the order has not been delivered; a claim before delivery needs an "
                        "admin's override_reason"
                      : "the order was delivered on " + delivered.substr(0, 10) + ", more than " +
                            std::to_string(window_days) +
                            " days ago; a late claim needs an admin's override_reason",
                  "item");
    }
    SQLite::Statement ins(db,
                          "INSERT INTO claims(order_id, item_id, reason, description, evidence, "
                          "state, override_reason, opened_by, created_at, updated_at) "
                          "VALUES(?,?,?,?,?,'submitted',?,?,?,?)");
    ins.bind(1, item->order_id);
    ins.bind(2, item->id);
    ins.bind(3, claim.reason);
    ins.bind(4, claim.description);
    ins.bind(5, json(claim.evidence).dump());
    ins.bind(6, in_window ? std::string() : claim.override_reason);
    ins.bind(7, actor.name);
    ins.bind(8, now);
    ins.bind(9, now);
    ins.exec();
    const int64_t id = db.getLastInsertRowid();
    // each photo is decoded in the sandbox, like any customer file, before anyone relies on it
    for (const std::string& asset : claim.evidence) {
      SQLite::Statement job(db,
                            "INSERT INTO jobs(kind, item_id, asset_id, state, max_attempts, "
                            "run_after_ms, created_at, updated_at, params) "
                            "VALUES(?, ?, ?, 'queued', 2, ?, ?, ?, ?)");
      job.bind(1, std::string(JobKindName(JobKind::kInspectEvidence)));
      job.bind(2, item->id);
      job.bind(3, asset);
      job.bind(4, NowUnixMs());
      job.bind(5, now);
      job.bind(6, now);
      job.bind(7, json{{"claim", id}}.dump());
      job.exec();
    }
    rows::AppendEvent(
        db, Event{0, item->order_id, item->id, now, actor.name, std::string(RoleName(actor.role)),
                  "claim.opened", "", "submitted", in_window ? "" : claim.override_reason,
                  json{{"claim", id}, {"reason", claim.reason}}.dump()});
    return *LoadClaim(db, id);
  });
}

Result<Claim> ClaimRepository::GetClaim(int64_t id) {
  return db_->Read([&](SQLite::Database& db) -> Result<Claim> {
    auto c = LoadClaim(db, id);
    if (!c) return Fail(Errc::kNotFound, "claim " + std::to_string(id) + " does not exist");
    return *c;
  });
}

Result<std::vector<Claim>> ClaimRepository::ListClaims(int64_t order_id, const std::string& state,
                                                       int limit) {
  if (limit < 1 || limit > 500) return Fail(Errc::kInvalidArgument, "limit must be 1-500", "limit");
  return db_->Read([&](SQLite::Database& db) -> Result<std::vector<Claim>> {
    SQLite::Statement q(db, std::string("SELECT ") + kClaimColumns +
                                " WHERE (? = 0 OR c.order_id = ?) AND (? = '' OR c.state = ?) "
                                "ORDER BY c.id DESC LIMIT ?");
    q.bind(1, order_id);
    q.bind(2, order_id);
    q.bind(3, state);
    q.bind(4, state);
    q.bind(5, limit);
    std::vector<Claim> out;
    while (q.executeStep()) out.push_back(ClaimFromRow(q));
    return out;
  });
}

Result<Claim> ClaimRepository::DecideClaim(int64_t id, const ClaimDecision& decision,
                                           const Actor& actor) {
  if (decision.note.size() > 1000) {
    return Fail(Errc::kInvalidArgument, "note is at most 1000 bytes", "note");
  }
  if (decision.event == claim_event::kApproveRefund &&
      (decision.refund_cents <= 0 || decision.refund_reference.empty() ||
       decision.refund_reference.size() > 100)) {
    return Fail(Errc::kInvalidArgument,
                "a refund needs refund_cents (> 0) and refund_reference (the payment's id)",
                decision.refund_cents <= 0 ? "refund_cents" : "refund_reference");
  }
  if ((decision.event == claim_event::kReject || decision.event == claim_event::kApproveReprint) &&
      decision.note.empty()) {
    return Fail(Errc::kInvalidArgument, decision.event + " needs a note for the customer", "note");
  }
  return db_->Write([&](SQLite::Database& db) -> Result<Claim> {
    auto claim = LoadClaim(db, id);
    if (!claim) return Fail(Errc::kNotFound, "claim " + std::to_string(id) + " does not exist");
    if (decision.expected_version && *decision.expected_version != claim->version) {
      return Fail(Errc::kVersionConflict,
                  "claim " + std::to_string(id) + " changed since you read it; reload", "version");
    }
    auto row = ClaimStateMachine().Find(claim->state, decision.event, actor.role);
    if (!row) return tl::unexpected(row.error());
    const std::string to((*row)->to);
    const std::string now = NowUtcIso();
    std::optional<int64_t> reprint = claim->reprint_order_id;
    if (decision.event == claim_event::kApproveReprint) {
      auto item = rows::LoadItem(db, claim->item_id);
      if (!item) return Fail(Errc::kNotFound, "the claim's item is gone");
      auto created = CreateReshipment(db, *claim, *item, actor, now);
      if (!created) return tl::unexpected(created.error());
      reprint = *created;
    }
    SQLite::Statement upd(db,
                          "UPDATE claims SET state = ?, decision_note = CASE WHEN ? = '' THEN "
                          "decision_note ELSE ? END, refund_cents = CASE WHEN ? > 0 THEN ? ELSE "
                          "refund_cents END, refund_reference = CASE WHEN ? = '' THEN "
                          "refund_reference ELSE ? END, reprint_order_id = ?, updated_at = ?, "
                          "version = version + 1 WHERE id = ?");
    upd.bind(1, to);
    upd.bind(2, decision.note);
    upd.bind(3, decision.note);
    upd.bind(4, decision.refund_cents);
    upd.bind(5, decision.refund_cents);
    upd.bind(6, decision.refund_reference);
    upd.bind(7, decision.refund_reference);
    if (reprint) {
      upd.bind(8, *reprint);
    } else {
      upd.bind(8);
    }
    upd.bind(9, now);
    upd.bind(10, id);
    upd.exec();
    // a decision is news for the channel (webhook); other steps are for the timeline
    const bool decided = to == claim_state::kApprovedReprint ||
                         to == claim_state::kApprovedRefund || to == claim_state::kRejected;
    json detail = {{"claim", id}, {"event", decision.event}};
    if (reprint) detail["reprint_order"] = *reprint;
    if (decision.refund_cents > 0) detail["refund_cents"] = decision.refund_cents;
    rows::AppendEvent(
        db, Event{0, claim->order_id, claim->item_id, now, actor.name,
                  std::string(RoleName(actor.role)), decided ? "claim.decided" : "claim.transition",
                  claim->state, to, decision.note, detail.dump()});
    return *LoadClaim(db, id);
  });
}

}  // namespace keepsake::orders
