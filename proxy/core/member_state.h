#pragma once
// Runtime state of one member, shared by every snapshot that contains the member (keyed by balancer
// name + member name in StateRegistry), so a table reload keeps health, counters and edits.
// Everything is atomic: worker threads, the health checker and the admin listener touch it at once.
// Read-modify-write sequences that must be consistent across members (byrequests' lbstatus
// accounting) are serialised by the owning balancer, not here.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

#include "proxy/config/table.h"

namespace kb::proxy::core {

// Apache's status flags as bits (the letters are Apache's).
enum StatusFlag : uint32_t {
  kDisabled = 1u << 0,      // D
  kStopped = 1u << 1,       // S
  kIgnoreErrors = 1u << 2,  // I
  kHotStandby = 1u << 3,    // H
  kHotSpare = 1u << 4,      // R
  kInError = 1u << 5,       // E
  kDrain = 1u << 6,         // N
  kHcFailed = 1u << 7,      // C
};

uint32_t to_bits(const config::StatusFlags& flags);
config::StatusFlags from_bits(uint32_t bits);

struct MemberState {
  explicit MemberState(const config::Member& member);

  // Flags: initial value from the table's `status`; errors, health checks and edits change it.
  std::atomic<uint32_t> flags{0};
  // Effective loadfactor x100 (Apache allows decimals: 1.5 -> 150) and lbset; edits change them.
  std::atomic<int32_t> lbfactor{100};
  std::atomic<int32_t> lbset{0};

  // Balancing counters (Apache's lbstatus, busy, elected, transferred = bytes to, read = bytes from).
  std::atomic<int64_t> lbstatus{0};
  std::atomic<int64_t> busy{0};
  std::atomic<uint64_t> elected{0};
  std::atomic<uint64_t> transferred{0};
  std::atomic<uint64_t> read{0};
  std::atomic<uint32_t> retries{0};
  std::atomic<int64_t> error_time_ns{0};  // steady_clock time the member entered E

  // Sticky accounting for metrics: requests routed by session route / failed over.
  std::atomic<uint64_t> sticky_hits{0};
  std::atomic<uint64_t> sticky_failovers{0};
  // Requests whose session route no member has, counted on the member that took them.
  std::atomic<uint64_t> sticky_misses{0};

  // Active health check (written by the checker only; see health_state.h).
  std::atomic<int32_t> hc_pass_count{0};
  std::atomic<int32_t> hc_fail_count{0};
  std::atomic<int64_t> hc_last_check_ns{0};  // steady_clock; 0 = never checked
  std::atomic<int32_t> hc_last_status{0};    // HTTP status of the last check, -1 connect error
  std::atomic<bool> hc_last_ok{false};

  // Heartbeat lbmethod: what the member last reported (see docs/heartbeat.md).
  std::atomic<int32_t> hb_ready{-1};  // -1 = no heartbeat yet
  std::atomic<int32_t> hb_busy{0};
  std::atomic<int64_t> hb_seen_ns{0};

  // Responses by status class (index 0 = 1xx .. 4 = 5xx) and upstream latency (time to the
  // response head), exported by /metrics. Per-member atomics: no label lookup on the request path.
  static constexpr std::array<double, 11> kLatencyBoundsSeconds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                                   0.1,   0.25,   0.5,   1,    2.5};
  std::array<std::atomic<uint64_t>, 5> responses_by_class{};
  std::array<std::atomic<uint64_t>, kLatencyBoundsSeconds.size() + 1> latency_buckets{};  // last = +Inf
  std::atomic<uint64_t> latency_sum_us{0};
  // Health-check results, counted by the checker.
  std::atomic<uint64_t> hc_checks_passed{0};
  std::atomic<uint64_t> hc_checks_failed{0};

  void record_response(int status, std::chrono::microseconds latency) {
    const int cls = status / 100 - 1;
    if (cls >= 0 && cls < 5) responses_by_class[cls].fetch_add(1, std::memory_order_relaxed);
    const double seconds = static_cast<double>(latency.count()) / 1e6;
    std::size_t bucket = 0;
    while (bucket < kLatencyBoundsSeconds.size() && seconds > kLatencyBoundsSeconds[bucket]) ++bucket;
    latency_buckets[bucket].fetch_add(1, std::memory_order_relaxed);
    latency_sum_us.fetch_add(static_cast<uint64_t>(latency.count()), std::memory_order_relaxed);
  }

  bool has(uint32_t flag) const { return (flags.load(std::memory_order_relaxed) & flag) != 0; }
  void set(uint32_t flag) { flags.fetch_or(flag, std::memory_order_relaxed); }
  void clear(uint32_t flag) { flags.fetch_and(~flag, std::memory_order_relaxed); }
};

}  // namespace kb::proxy::core
