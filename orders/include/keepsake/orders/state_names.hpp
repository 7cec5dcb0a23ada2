// The names of every state and event of the order, item, claim and ticket tables, written once.
// The tables (state_machine.cpp) are built from these, the repositories compare against them,
// and the console reads the same names from GET /api/v1/state-machines. A name here is part of
// the API: renaming one is a breaking change (and a migration of the stored rows).
#pragma once

#include <string_view>

namespace keepsake::orders {

namespace order_state {
inline constexpr std::string_view kPlaced = "placed";
inline constexpr std::string_view kInProduction = "in_production";
inline constexpr std::string_view kReadyToPack = "ready_to_pack";
inline constexpr std::string_view kPacked = "packed";
inline constexpr std::string_view kShipped = "shipped";
inline constexpr std::string_view kDelivered = "delivered";
inline constexpr std::string_view kCompleted = "completed";
inline constexpr std::string_view kOnHold = "on_hold";
inline constexpr std::string_view kCancelled = "cancelled";
inline constexpr std::string_view kDeliveryException = "delivery_exception";
}  // namespace order_state

namespace order_event {
inline constexpr std::string_view kStartProduction = "start_production";
inline constexpr std::string_view kCancel = "cancel";
inline constexpr std::string_view kHold = "hold";
inline constexpr std::string_view kResume = "resume";
inline constexpr std::string_view kAllProduced = "all_produced";
inline constexpr std::string_view kPack = "pack";
inline constexpr std::string_view kShip = "ship";
inline constexpr std::string_view kDeliver = "deliver";
inline constexpr std::string_view kDeliveryException = "delivery_exception";
inline constexpr std::string_view kReship = "reship";
inline constexpr std::string_view kComplete = "complete";
}  // namespace order_event

namespace item_state {
inline constexpr std::string_view kAwaitingAsset = "awaiting_asset";
inline constexpr std::string_view kPreparing = "preparing";
inline constexpr std::string_view kNeedsReview = "needs_review";
inline constexpr std::string_view kRework = "rework";
inline constexpr std::string_view kAwaitingCustomer = "awaiting_customer";
inline constexpr std::string_view kApproved = "approved";
inline constexpr std::string_view kInProduction = "in_production";
inline constexpr std::string_view kProduced = "produced";
inline constexpr std::string_view kFailed = "failed";
inline constexpr std::string_view kCancelled = "cancelled";
}  // namespace item_state

namespace item_event {
inline constexpr std::string_view kAttachAsset = "attach_asset";
inline constexpr std::string_view kCancel = "cancel";
inline constexpr std::string_view kPrepared = "prepared";
inline constexpr std::string_view kPassedChecks = "passed_checks";
inline constexpr std::string_view kPrepareFailed = "prepare_failed";
inline constexpr std::string_view kUnusable = "unusable";
inline constexpr std::string_view kApprove = "approve";
inline constexpr std::string_view kRequestRework = "request_rework";
inline constexpr std::string_view kAskCustomer = "ask_customer";
inline constexpr std::string_view kSubmitReview = "submit_review";
inline constexpr std::string_view kReprepare = "reprepare";
inline constexpr std::string_view kRetry = "retry";
inline constexpr std::string_view kReopen = "reopen";
inline constexpr std::string_view kStartProduction = "start_production";
inline constexpr std::string_view kProduced = "produced";
inline constexpr std::string_view kQcFailed = "qc_failed";
}  // namespace item_event

namespace claim_state {
inline constexpr std::string_view kSubmitted = "submitted";
inline constexpr std::string_view kUnderReview = "under_review";
inline constexpr std::string_view kApprovedReprint = "approved_reprint";
inline constexpr std::string_view kApprovedRefund = "approved_refund";
inline constexpr std::string_view kRejected = "rejected";
inline constexpr std::string_view kFulfilled = "fulfilled";
inline constexpr std::string_view kClosed = "closed";
}  // namespace claim_state

namespace claim_event {
inline constexpr std::string_view kStartReview = "start_review";
inline constexpr std::string_view kApproveReprint = "approve_reprint";
inline constexpr std::string_view kApproveRefund = "approve_refund";
inline constexpr std::string_view kReject = "reject";
inline constexpr std::string_view kFulfil = "fulfil";
inline constexpr std::string_view kClose = "close";
}  // namespace claim_event

namespace ticket_state {
inline constexpr std::string_view kOpen = "open";
inline constexpr std::string_view kPendingCustomer = "pending_customer";
inline constexpr std::string_view kPendingInternal = "pending_internal";
inline constexpr std::string_view kResolved = "resolved";
inline constexpr std::string_view kClosed = "closed";
}  // namespace ticket_state

namespace ticket_event {
inline constexpr std::string_view kWaitCustomer = "wait_customer";
inline constexpr std::string_view kWaitInternal = "wait_internal";
inline constexpr std::string_view kResolve = "resolve";
inline constexpr std::string_view kCustomerReplied = "customer_replied";
inline constexpr std::string_view kInternalDone = "internal_done";
inline constexpr std::string_view kReopen = "reopen";
inline constexpr std::string_view kClose = "close";
}  // namespace ticket_event

}  // namespace keepsake::orders
