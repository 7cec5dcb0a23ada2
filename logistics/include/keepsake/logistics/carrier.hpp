// Carriers behind one interface: book a parcel (the carrier's waybill number, its routing and
// sorting codes, its own label data), cancel a booking, ask where a parcel is, and read the
// carrier's tracking pushes in its native form. Built in:
//   manual     the courier the shop books by phone: the lead types or scans its waybill
//   simulated  numbers issued here, for the demo and the tests; refused by a production server
//   sf         SF Express open platform (std/service: EXP_RECE_CREATE_ORDER, ..., msgDigest),
//              and its own label from cloud print (COM_RECE_CLOUD_PRINT_WAYBILLS) if configured
//   zto, yto, sto, jd, ems   through Kuaidi100 (e-waybill label/order, poll, query.do)
// The real ones are configured by a credentials file (CarriersFromFile); their secrets are never
// logged and never in the repository. docs/logistics.md says how to configure each.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "keepsake/logistics/shipment.hpp"

namespace keepsake::logistics {

// One side of a parcel as a carrier books it.
struct Party {
  std::string name;
  std::string phone;
  std::string company;
  std::string province;
  std::string city;
  std::string district;
  std::string address;  // street, building, room
};

struct BookingRequest {
  // Ours, derived from the parcel (order number and parcel number): the same on every retry,
  // so that a carrier that got the first attempt answers "duplicate" instead of booking twice.
  std::string carrier_order_id;
  Party sender;
  Party recipient;
  std::string contents;  // "1 x Photo magnet, 2 x Postcard"
  int weight_g = 0;
  int parcels = 1;
  // A courier to collect the parcel from the sender from this time ("2026-12-06 16:00:00", the
  // sender's local time), or empty: the shop hands it over itself. Only carriers that
  // BooksPickup() take one.
  std::string pickup_at;
};

// What a carrier answers for a booked parcel.
struct Booking {
  std::string waybill;
  std::string routing_code;   // the big code a sorter reads: SF destRouteLabel, Kuaidi100 bulkpen
  std::string sorting_code;   // the second code (SF codingMapping, Kuaidi100 sortingCode), or ""
  std::string carrier_label;  // the carrier's label data (SF's twoDimensionCode), or ""
  bool recovered = false;     // found by asking after a "duplicate" answer, not newly booked
  // The label the carrier drew itself, a PDF (SF's cloud print), or empty: then ours is
  // printed. When the carrier was asked for one and it did not come, why (the parcel is booked
  // all the same).
  std::string label_pdf;
  std::string label_problem;
};

enum class CarrierErrc {
  kRefused,       // the carrier will not take this parcel: bad address, out of its area
  kDuplicate,     // the carrier already has this order id and could not say its waybill
  kUnavailable,   // no answer in time, or the carrier's own failure: retry later, same id
  kUnauthorized,  // our credentials or signature were refused: fix the credentials file
  kProtocol,      // an answer we cannot read
  kNotSupported,  // this carrier does not do that (manual books nothing)
};

struct CarrierError {
  CarrierErrc code = CarrierErrc::kProtocol;
  std::string message;       // for the lead, in plain words, with the carrier's own
  std::string carrier_code;  // the carrier's error code as sent, for the record
};

template <typename T>
using CarrierResult = tl::expected<T, CarrierError>;

// A push from a carrier, read and its signature checked: scans per waybill.
struct WaybillScans {
  std::string carrier;  // our carrier name (sf, zto, ...)
  std::string waybill;
  std::vector<TrackingEvent> events;
};

// The form fields of an application/x-www-form-urlencoded request or answer.
using FormFields = std::multimap<std::string, std::string>;
// A form body (a carrier's push) as its fields, percent escapes and + decoded.
FormFields ParseForm(const std::string& body);

class Carrier {
 public:
  virtual ~Carrier() = default;
  virtual std::string Name() const = 0;
  // How the label and the console name it: CarrierDisplayName(Name()).
  std::string DisplayName() const;
  // Whether it books parcels and issues waybills itself (manual does not).
  virtual bool Books() const { return true; }
  // Whether a booking can ask a courier to come and collect (BookingRequest::pickup_at).
  virtual bool BooksPickup() const { return false; }
  virtual CarrierResult<Booking> Book(const BookingRequest& request) = 0;
  // Cancels a booked parcel that has not been handed over.
  virtual CarrierResult<void> Cancel(const std::string& carrier_order_id,
                                     const std::string& waybill);
  // The parcel's scans now (a poll, for parcels whose pushes stopped). `phone_last4`: SF and
  // Kuaidi100 ask for it to show a parcel's route to anyone but its sender.
  virtual CarrierResult<std::vector<TrackingEvent>> Track(const std::string& waybill,
                                                          const std::string& phone_last4);
  // Asks the carrier to push this waybill's scans to `callback_url` (Kuaidi100's poll; SF
  // pushes every waybill of the account without asking).
  virtual CarrierResult<void> Subscribe(const std::string& waybill, const std::string& phone_last4);
  // Whether `number` can be this carrier's waybill: what a label's Code 128 can carry.
  virtual tl::expected<void, std::string> CheckWaybill(const std::string& number) const;
};

// The carriers a server offers: manual always, simulated in demo or trial mode, and the real
// ones its credentials file configures.
class Carriers {
 public:
  Carriers() = default;
  Carriers(Carriers&&) = default;
  Carriers& operator=(Carriers&&) = default;
  // nullptr for a carrier this server does not offer.
  Carrier* Find(const std::string& name) const;
  std::vector<std::string> Names() const;
  const std::vector<std::unique_ptr<Carrier>>& All() const { return carriers_; }
  // A push in SF Express's native form (route push: msgData, timestamp, msgDigest), its digest
  // checked with the account's check word. Errors: kUnauthorized (digest), kProtocol.
  CarrierResult<std::vector<WaybillScans>> ReadSfPush(const FormFields& form) const;
  // A push in Kuaidi100's native form (param, sign = MD5(param + salt)). The courier is the
  // push's own com. Errors: kUnauthorized (sign), kProtocol.
  CarrierResult<std::vector<WaybillScans>> ReadKuaidi100Push(const FormFields& form) const;

  void Add(std::unique_ptr<Carrier> carrier) { carriers_.push_back(std::move(carrier)); }
  std::string sf_check_word;   // set when SF is configured
  std::string kuaidi100_salt;  // set when Kuaidi100 is configured

 private:
  std::vector<std::unique_ptr<Carrier>> carriers_;
};

// `allow_simulated`: the demo or a trial server (--simulated-carrier), never production.
// `credentials_json`: the carriers file's text, or empty for none. Errors: the file's mistakes
// in words, naming the field (never its secrets).
tl::expected<Carriers, std::string> MakeCarriers(bool allow_simulated,
                                                 const std::string& credentials_json);

// How a label names a carrier Keepsake knows ("SF Express", "ZTO Express"); the name itself
// for one it does not.
std::string CarrierDisplayName(const std::string& name);

// The manual and simulated carriers on their own (for the CLI and tests).
std::unique_ptr<Carrier> MakeCarrier(const std::string& name);

// The day's last hand-over to each courier, "HH:MM" in the shop's time (assets/logistics.json
// "cut_off": {"sf": "17:00", "default": "18:00"}); a courier without its own takes "default".
// Errors in words: the file unreadable, a time that is not HH:MM.
tl::expected<std::map<std::string, std::string>, std::string> CutOffTimes(
    const std::string& assets_dir);

}  // namespace keepsake::logistics
