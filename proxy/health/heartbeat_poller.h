#pragma once
// The heartbeat lbmethod's data source (see docs/heartbeat.md). Apache's members announce their
// free and busy worker slots by multicast to mod_heartmonitor; multicast rarely crosses a pod
// network, so the proxy polls instead: for each member of a balancer with lbmethod heartbeat,
// GET <member base path><heartbeat.path> every heartbeat.interval (minimum 100 ms; first poll at a
// random point in the first interval, then +0..10 % jitter). A 2xx answer whose body parses
// updates MemberState hb_ready / hb_busy / hb_seen_ns; anything else changes nothing, so the
// member's last report simply ages out (heartbeat.maxage) and the lbmethod stops choosing it.
//
// Accepted bodies (whitespace around tokens ignored):
//   ready=8&busy=2            query-string style (Apache's heartbeat format); '&' or spaces separate
//   {"ready": 8, "busy": 2}   a JSON object with integer members (others are ignored)
// `ready` is required; `busy` defaults to 0. Values must be integers in 0..2^31-1.
//
// Schedules are keyed by MemberState like the health checker's, so a reload keeps them.
// Thread safety as HealthChecker: update()/stop() from the control plane; never throws into the
// io_contexts.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "proxy/core/snapshot.h"
#include "proxy/health/member_schedules.h"

namespace kb::proxy::health {

struct HeartbeatReport {
  int32_t ready = 0;
  int32_t busy = 0;
  friend bool operator==(const HeartbeatReport&, const HeartbeatReport&) = default;
};

// Parses a heartbeat body; nullopt when it is neither format or lacks `ready`.
std::optional<HeartbeatReport> parse_heartbeat(std::string_view body);

class HeartbeatPoller {
 public:
  // `seed` drives the jitter (0 = from std::random_device).
  explicit HeartbeatPoller(std::vector<boost::asio::io_context*> contexts, uint64_t seed = 0);
  ~HeartbeatPoller();
  HeartbeatPoller(const HeartbeatPoller&) = delete;
  HeartbeatPoller& operator=(const HeartbeatPoller&) = delete;

  void update(std::shared_ptr<const core::Snapshot> snapshot);
  void stop();
  std::size_t scheduled() const;

  class Schedule;  // heartbeat_poller.cc

 private:
  MemberSchedules<Schedule> schedules_;
};

}  // namespace kb::proxy::health
