#pragma once
// Apache's member availability rules (proxy_util.c), shared by the lbmethods and sticky routing:
//   usable(w)    = !(w & (D|S|E|C))          N (drain), H, R and I do not make a member unusable
//   try_retry(w) = clear E when !S and (I or retry elapsed); retries++
//   mark_error(w)= E + error_time unless I
// Lock-free: flags are atomics; a clear is counted once even when two threads race.
#include <chrono>
#include <cstdint>

#include "proxy/core/balancer.h"
#include "proxy/core/member_state.h"

namespace kb::proxy::core {

inline constexpr uint32_t kUnusableMask = kDisabled | kStopped | kInError | kHcFailed;

inline int64_t to_ns(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

inline bool usable_bits(uint32_t bits) { return (bits & kUnusableMask) == 0; }
inline bool usable(const MemberState& s) { return usable_bits(s.flags.load(std::memory_order_acquire)); }
inline bool usable(const Member& m) { return usable(*m.state); }

// Apache's ap_proxy_retry_worker: a member in error comes back lazily, with the first request
// after `retry` (at once with I). retry=0 means "retry always". Returns whether E was cleared.
inline bool try_retry(const Member& m, TimePoint now) {
  MemberState& s = *m.state;
  const uint32_t bits = s.flags.load(std::memory_order_acquire);
  if ((bits & kInError) == 0 || (bits & kStopped) != 0) return false;
  const int64_t retry_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(m.config->retry).count();
  const bool elapsed = retry_ns <= 0 || to_ns(now) > s.error_time_ns.load(std::memory_order_acquire) + retry_ns;
  if ((bits & kIgnoreErrors) == 0 && !elapsed) return false;
  // Only the thread that actually clears the bit counts the retry.
  if ((s.flags.fetch_and(~kInError, std::memory_order_acq_rel) & kInError) == 0) return false;
  s.retries.fetch_add(1, std::memory_order_relaxed);
  return true;
}

// Apache's reaction to a connect failure, a 500/503 from the handler, failonstatus or
// failontimeout: the member goes into error unless it ignores errors (I).
inline void mark_error(const Member& m, TimePoint now) {
  MemberState& s = *m.state;
  if (s.has(kIgnoreErrors)) return;
  s.error_time_ns.store(to_ns(now), std::memory_order_release);
  s.flags.fetch_or(kInError, std::memory_order_acq_rel);
}

}  // namespace kb::proxy::core
