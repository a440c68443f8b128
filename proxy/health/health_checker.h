#pragma once
// Active health checks (Apache mod_proxy_hcheck) for every member whose hcmethod is not None.
//
// Each checked member has one schedule, keyed by its MemberState (so a table reload that keeps the
// member keeps its schedule and counters). A schedule lives on a strand of one of the given
// io_contexts (the proxy's workers, round robin): its first check comes at a random point within
// the first interval (so a thousand members do not fire at once), then one check per interval
// (+0..10 % jitter) after the previous check finished, so checks of one member never overlap.
// A member with S (stopped) is skipped while S is set.
//
// A check: TCP connect (hcmethod TCP), or an HTTP/1.0 request (OPTIONS / HEAD / GET; the *11
// variants send HTTP/1.1 with Connection: close) to the member URL's base path + hcuri, with Host.
// Timeout per check: min(the member's connection timeout, max(hcinterval, 1 s), 5 s) -- never
// below 1 s by way of a short interval, so a loaded host does not produce false failures.
// Results go through core::hc_apply (consecutive hcfails / hcpasses); only a flip is logged.
//
// When a reload turns a member's hcmethod to None, its C flag is cleared (only the checker sets C;
// nothing would ever clear it otherwise).
//
// Thread safety: update() and stop() are for the control plane (one thread at a time; a mutex
// guards them anyway). Never throws into the io_contexts.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "proxy/core/snapshot.h"
#include "proxy/health/member_schedules.h"

namespace kb::proxy::health {

struct HealthEvent {
  std::string balancer;
  std::string member;
  std::string from;    // "ok" or "failed" (C/E set)
  std::string to;
  std::string reason;  // e.g. "3 consecutive failed checks, last: connect: Connection refused"
};
using HealthLog = std::function<void(const HealthEvent&)>;

class HealthChecker {
 public:
  // `contexts` must outlive the checker's schedules: call stop() before destroying them.
  // `seed` drives the jitter (0 = from std::random_device).
  HealthChecker(std::vector<boost::asio::io_context*> contexts, HealthLog log, uint64_t seed = 0);
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  // Follows a new table: starts schedules for new checked members, retargets kept ones (new
  // hcmethod, interval, ... apply from their next check), stops the others.
  void update(std::shared_ptr<const core::Snapshot> snapshot);
  // Stops every schedule (pending timers and checks are cancelled on their strands).
  void stop();

  std::size_t scheduled() const;  // members being checked

  class Schedule;  // one member's timer and check (health_checker.cc)

 private:
  HealthLog log_;
  MemberSchedules<Schedule> schedules_;
};

// The effective check timeout for a member (see above).
std::chrono::milliseconds check_timeout(const config::Balancer& balancer, const config::Member& member);

}  // namespace kb::proxy::health
