#pragma once
// The decision API the data plane calls for every request: which member, what to do on failure,
// what a response means for a member's state. No I/O here, so tests drive it without sockets.
//
// Contract with proxy/net (the only caller on the request path):
//   1. pick(request, tried, now) for attempt 1; on a connect failure call on_failure() and pick()
//      again with the failed member added to `tried`, while attempts <= max_attempts().
//      After the request was sent, retry only idempotent requests without a streamed body.
//   2. every successful pick() increments the member's busy count; call on_done() exactly once per
//      pick() (also for failed attempts) with the bytes sent to and read from that member.
//   3. on_response(member, status, timed_out) for every upstream response or read timeout
//      (failonstatus / failontimeout put the member in error; the client still gets the response).
// Every method is safe to call from any worker thread at once.
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/table.h"
#include "proxy/core/member_state.h"

namespace kb::proxy::core {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

// One member as a snapshot sees it: immutable config plus a handle on the shared runtime state
// (keyed by balancer name + member name, so it survives table swaps).
struct Member {
  const config::Member* config = nullptr;  // points into the snapshot's table
  std::shared_ptr<MemberState> state;
  std::string host;          // from the URL
  uint16_t port = 80;
  std::string host_header;   // "host:port" or "host" for port 80
  std::string base_path;     // URL path prefix, "" when the URL has none
  uint32_t index = 0;        // position in the balancer (config order)
};

// What the request contributes to stickiness: the request-target and every Cookie header value.
struct StickyRequest {
  std::string_view target;                    // "/app;jsessionid=abc.r1?x=1"
  std::span<const std::string_view> cookies;  // each Cookie header's value
};

struct Pick {
  const Member* member = nullptr;  // null: no usable member; answer error_status
  int error_status = 0;            // 503 when none usable (nofailover or none at all)
  bool sticky_hit = false;         // routed by the session route
  bool failover = false;           // the session's route was known but its member unusable
  bool route_changed = false;      // Apache's BALANCER_ROUTE_CHANGED (set the route cookie)
  std::string session_route;       // route parsed from the request, "" if none
};

class Balancer {
 public:
  virtual ~Balancer() = default;
  virtual const config::Balancer& config() const = 0;
  virtual std::span<const Member> members() const = 0;
  virtual Pick pick(const StickyRequest& request, std::span<const Member* const> tried,
                    TimePoint now) = 0;
  // A connect failure or 500 from the member: sets E unless I (Apache's proxy handler loop).
  virtual void on_failure(const Member& member, TimePoint now) = 0;
  virtual void on_response(const Member& member, int status, bool timed_out, TimePoint now) = 0;
  virtual void on_done(const Member& member, uint64_t bytes_to, uint64_t bytes_from) = 0;
  // Failover attempts after the first (Apache's maxattempts; default members - 1).
  virtual int max_attempts() const = 0;
};

}  // namespace kb::proxy::core
