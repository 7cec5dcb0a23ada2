// Carriers behind one interface: issue a waybill number for a parcel, or check one the
// logistics lead typed or scanned. Built in: `manual` (the courier's own waybill, typed or
// scanned) and `simulated` (numbers issued here, for the demo and the tests). Real couriers
// (SF Express, ZTO, JD) or an aggregator plug in as further implementations.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <tl/expected.hpp>

namespace keepsake::logistics {

class Carrier {
 public:
  virtual ~Carrier() = default;
  virtual std::string Name() const = 0;
  // A new waybill number for the parcel of `order_number` (its `parcel`-th), or the reason
  // this carrier cannot issue one (manual: the lead types the courier's number).
  virtual tl::expected<std::string, std::string> IssueWaybill(const std::string& order_number,
                                                              int parcel) = 0;
  // Whether `number` can be this carrier's waybill: what a label's Code 128 can carry.
  virtual tl::expected<void, std::string> CheckWaybill(const std::string& number) const;
};

// nullptr for a carrier Keepsake does not know.
std::unique_ptr<Carrier> MakeCarrier(const std::string& name);
std::vector<std::string> CarrierNames();

}  // namespace keepsake::logistics
