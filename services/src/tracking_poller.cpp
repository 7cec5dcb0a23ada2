// Polls the carriers for parcels whose pushes stopped (tracking_poller.hpp).
#include "keepsake/services/tracking_poller.hpp"

#include <spdlog/spdlog.h>

#include "keepsake/logistics/booking.hpp"
#include "keepsake/logistics/shipment_repository.hpp"

namespace keepsake::services {

namespace {

constexpr int kParcelsPerRound = 100;

}  // namespace

TrackingPoller::TrackingPoller(const ServerConfig& config, orders::Store& store)
    : config_(config),
      store_(store),
      carriers_(
          logistics::MakeCarriers(false, config.carriers_json).value_or(logistics::Carriers())) {}

TrackingPoller::~TrackingPoller() { Stop(); }

void TrackingPoller::Start() {
  bool any = false;
  for (const auto& c : carriers_.All()) any |= c->Books();
  if (!any || config_.tracking_poll_round_s <= 0) return;
  rounds_.Start(std::chrono::seconds(config_.tracking_poll_round_s), [this] { PollOnce(); });
}

void TrackingPoller::Stop() { rounds_.Stop(); }

int TrackingPoller::PollOnce() {
  std::vector<std::string> names;
  for (const auto& c : carriers_.All()) {
    if (c->Books()) names.push_back(c->Name());
  }
  logistics::ShipmentRepository shipments(store_);
  auto quiet = shipments.QuietShipments(
      names, orders::NowUnixMs(), int64_t{config_.tracking_poll_after_s} * 1000, kParcelsPerRound);
  if (!quiet) {
    spdlog::error("event=tracking_poll_unreadable error=\"{}\"", quiet.error().message);
    return 0;
  }
  int asked = 0;
  for (const logistics::Shipment& parcel : *quiet) {
    if (rounds_.Stopping()) break;
    logistics::Carrier* carrier = carriers_.Find(parcel.carrier);
    if (carrier == nullptr) continue;
    ++asked;
    // marked first: a carrier that hangs or fails is not asked again before the quiet time
    if (auto marked = shipments.MarkPolled(parcel.id); !marked) {
      spdlog::error("event=tracking_poll_unrecorded shipment={} error=\"{}\"", parcel.id,
                    marked.error().message);
      continue;
    }
    auto outcome = logistics::RefreshTracking(store_, *carrier, parcel.id);
    if (!outcome) {
      spdlog::error("event=tracking_poll_failed shipment={} error=\"{}\"", parcel.id,
                    outcome.error().message);
    } else if (outcome->failure) {
      // the carrier's words can name the recipient: the code and our parcel id only
      spdlog::warn("event=tracking_poll_refused shipment={} carrier={} code={}", parcel.id,
                   parcel.carrier, outcome->failure->carrier_code);
    } else if (outcome->shipment && outcome->shipment->state != parcel.state) {
      spdlog::info("event=tracking_polled shipment={} from={} to={}", parcel.id, parcel.state,
                   outcome->shipment->state);
    }
  }
  return asked;
}

}  // namespace keepsake::services
