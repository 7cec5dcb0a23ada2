// Parcels and their scans: the rows the shipment repository reads and writes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keepsake/orders/types.hpp"

namespace keepsake::logistics {

// A parcel of an order. Its rows live in the orders' database file so that a parcel and its
// order change in one transaction (orders/transaction.hpp).
struct Shipment {
  int64_t id = 0;
  int64_t order_id = 0;
  std::string order_number;
  std::string carrier;          // manual, simulated, or a configured courier
  std::string tracking_number;  // the waybill number
  std::string state;            // the shipment table's states (logistics)
  bool reshipment = false;      // the parcel of a warranty reprint
  int weight_g = 0;
  std::string size_mm;  // "300x200x100"
  std::string created_by;
  std::string created_at;
  std::string updated_at;
  int64_t version = 0;
  std::string last_scan_at;  // the newest carrier scan's time, or empty
  // what a carrier that booked the parcel said (empty for manual and old parcels)
  std::string carrier_order_id;  // ours, sent to the carrier: KS<order>-P<n>
  std::string routing_code;      // the big code on the label (SF destRouteLabel, bulkpen)
  std::string sorting_code;      // the second code (SF codingMapping), or empty
  std::string carrier_label;     // the carrier's own label data (SF twoDimensionCode), or empty
  int64_t replaces = 0;          // the failed parcel this one is sent instead of, or 0
  std::vector<int64_t> items;    // the items it carries
  // A return: the claim whose broken piece the customer sends back in it (to the shop; the
  // order does not follow it and it is not on the packing list), or 0.
  int64_t claim_id = 0;
  std::string pickup_at;  // a courier was booked to collect it from then ("YYYY-MM-DD HH:MM:SS")
  // The size of the label the carrier drew itself ("100x150"), kept to be printed in place of
  // ours (ShipmentRepository::CarrierLabelPdf), or empty when it drew none.
  std::string carrier_label_size;
};

// An order the logistics lead has to pack or hand over: ready_to_pack or packed, with the time
// it became ready and the parcels it has so far.
struct PackingQueueEntry {
  orders::Order order;
  std::string ready_since;
  std::vector<Shipment> parcels;  // returns left out
  // its items in no parcel that counts (not cancelled, not replaced by a reship): the rest of
  // a split order, or what could go ahead of it
  std::vector<int64_t> unparcelled;
};

// One scan of a parcel as a carrier reports it, normalised to the shipment table's statuses.
struct TrackingEvent {
  std::string event_id;      // the carrier's (or aggregator's) id: duplicates are dropped by it
  std::string at;            // when it happened, ISO 8601 UTC
  std::string status;        // in_transit, out_for_delivery, delivered, exception, ...
  std::string carrier_code;  // as sent, for the record
  std::string description;
};

struct TrackingOutcome {
  int shipment_id = 0;
  int recorded = 0;    // new events
  int duplicates = 0;  // events seen before
  std::string shipment_state;
  std::string order_state;
};

struct NewShipment {
  int64_t order_id = 0;
  std::string carrier;
  std::string tracking_number;
  int weight_g = 0;
  std::string size_mm{};
  std::string carrier_order_id{};
  std::string routing_code{};
  std::string sorting_code{};
  std::string carrier_label{};
  int64_t booking_id = 0;  // the carrier booking this parcel ends (carrier_bookings), or 0
  // Reship: the parcel of this order that its courier lost, returned or gave up on (state
  // exception, returned or expired), and why it is sent again (on the timeline)
  int64_t replaces = 0;
  std::string reason{};
  // The items it carries (a split: what is ready now); empty: every item of the order not in
  // another parcel yet. A reship carries the items of the parcel it replaces.
  std::vector<int64_t> items{};
  int64_t claim_id = 0;     // a return parcel for this claim (it carries the claim's item)
  std::string pickup_at{};  // the carrier was asked to collect it from then
  // The carrier's own label (a PDF, checked readable) and its page size ("100x150"), or empty
  std::string carrier_label_pdf{};
  std::string carrier_label_size{};
};

}  // namespace keepsake::logistics
