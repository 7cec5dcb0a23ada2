// Booking a parcel with a carrier, cancelling it, and asking the carrier where it is.
// A booking is written down before the carrier is called (its carrier order id fixed: the
// order number and the parcel's number) and its answer after, so that a timeout leaves a
// clear attempt with its reason, and the retry sends the same id (the carrier answers
// "duplicate" rather than booking twice; SF's adapter then asks what it booked). The carrier
// is called outside any transaction: the database is never held while a courier thinks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keepsake/logistics/carrier.hpp"
#include "keepsake/logistics/shipment.hpp"
#include "keepsake/orders/product_catalog.hpp"
#include "keepsake/orders/store.hpp"

namespace keepsake::logistics {

struct ParcelToBook {
  int64_t order_id = 0;
  int weight_g = 0;
  std::string size_mm;
  int64_t replaces = 0;             // a reship: the failed parcel this one is sent instead of
  std::string reason;               // why it is sent again
  std::vector<int64_t> items = {};  // a split: the items it carries (ShipmentRepository)
  // a return: the claim whose piece the customer sends back (the customer is the sender, the
  // shop the recipient; carrier order id KS<order>-R<n>)
  int64_t claim_id = 0;
  std::string pickup_at = {};  // a courier collects it from then (Carrier::BooksPickup)
};

// The lead's presets for a parcel of `order` (assets/products.json, each product's "parcel"):
// the weights of its items (cancelled ones aside) added up, and the largest of their boxes
// (the small goods of an order travel in the box of its biggest). 0 and "" where no product
// gives a preset. A weight or size the lead types wins over it.
struct ParcelPreset {
  int weight_g = 0;
  std::string size_mm;  // "LxWxH"
};
ParcelPreset PresetFor(const orders::Order& order, const orders::ProductCatalog& catalog,
                       const std::vector<int64_t>& items = {});

// A booking attempt that has not (yet) become a parcel.
struct BookingAttempt {
  int64_t id = 0;
  std::string carrier;
  std::string carrier_order_id;
  std::string state;   // pending (the call is out or its answer was lost), failed
  std::string reason;  // the carrier's refusal or silence, in words
  std::string carrier_code;
  int attempts = 0;
  std::string updated_at;
};

// What came of a booking or a cancellation: the parcel, or the carrier's refusal (recorded).
struct CarrierOutcome {
  std::optional<Shipment> shipment;
  std::optional<CarrierError> failure;
  std::string carrier_order_id;
  int attempts = 0;
  std::string note;  // what else happened (the tracking subscription failed, ...)
};

// Books a parcel of `parcel.order_id` with `carrier` and makes its shipment (state created)
// with the carrier's waybill and codes. The sender is assets/logistics.json's sender_contact;
// the recipient the order's. Errors (nothing sent): kNotFound, kIllegalTransition (the
// order is not ready to ship), kInvalidArgument (no recipient, no sender in the settings).
orders::Result<CarrierOutcome> BookParcel(orders::Store& store,
                                          const orders::ProductCatalog& catalog,
                                          const std::string& assets_dir, Carrier& carrier,
                                          const ParcelToBook& parcel, const orders::Actor& actor);

// The order's booking attempts that did not end in a parcel, oldest first.
orders::Result<std::vector<BookingAttempt>> OpenBookings(orders::Store& store, int64_t order_id);

// Cancels a parcel not yet handed over: with its carrier first when it booked the parcel (a
// refusal leaves the parcel as it was), then state cancelled. `carrier` is nullptr for one
// this server no longer offers: the parcel is cancelled here only. Errors: kNotFound,
// kVersionConflict, the table's refusal.
orders::Result<CarrierOutcome> CancelParcel(orders::Store& store, Carrier* carrier,
                                            int64_t shipment_id, const orders::Actor& actor,
                                            std::optional<int64_t> expected_version);

// Asks the carrier for the parcel's scans now and applies them (as a push would be): for the
// lead's "ask the courier" and for parcels whose pushes stopped.
orders::Result<CarrierOutcome> RefreshTracking(orders::Store& store, Carrier& carrier,
                                               int64_t shipment_id);

}  // namespace keepsake::logistics
