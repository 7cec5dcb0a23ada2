// Asks the carriers about parcels whose pushes stopped: a parcel on its way of which nothing
// was heard for a while (no scan, no change, no earlier poll; 6 hours by default) is looked up
// with its carrier's own query (SF's route search, Kuaidi100's real-time query), and what the
// carrier says moves it as a push would. A carrier that fails is asked again after the same
// quiet time; each round asks about at most 100 parcels. Manual and simulated parcels have
// nobody to ask.
#pragma once

#include "keepsake/logistics/carrier.hpp"
#include "keepsake/orders/store.hpp"
#include "keepsake/services/config.hpp"
#include "keepsake/services/round_loop.hpp"

namespace keepsake::services {

class TrackingPoller {
 public:
  TrackingPoller(const ServerConfig& config, orders::Store& store);
  ~TrackingPoller();
  TrackingPoller(const TrackingPoller&) = delete;
  TrackingPoller& operator=(const TrackingPoller&) = delete;

  void Start();  // no-op when no carrier can be asked
  void Stop();
  // One round now: returns how many parcels were asked about.
  int PollOnce();

 private:
  const ServerConfig& config_;
  orders::Store& store_;
  logistics::Carriers carriers_;
  RoundLoop rounds_;
};

}  // namespace keepsake::services
