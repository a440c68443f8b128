#include "proxy/core/member_state.h"

#include <cmath>

namespace kb::proxy::core {

uint32_t to_bits(const config::StatusFlags& flags) {
  uint32_t bits = 0;
  if (flags.disabled) bits |= kDisabled;
  if (flags.stopped) bits |= kStopped;
  if (flags.ignore_errors) bits |= kIgnoreErrors;
  if (flags.hot_standby) bits |= kHotStandby;
  if (flags.hot_spare) bits |= kHotSpare;
  if (flags.in_error) bits |= kInError;
  if (flags.drain) bits |= kDrain;
  if (flags.hc_failed) bits |= kHcFailed;
  return bits;
}

config::StatusFlags from_bits(uint32_t bits) {
  config::StatusFlags flags;
  flags.disabled = (bits & kDisabled) != 0;
  flags.stopped = (bits & kStopped) != 0;
  flags.ignore_errors = (bits & kIgnoreErrors) != 0;
  flags.hot_standby = (bits & kHotStandby) != 0;
  flags.hot_spare = (bits & kHotSpare) != 0;
  flags.in_error = (bits & kInError) != 0;
  flags.drain = (bits & kDrain) != 0;
  flags.hc_failed = (bits & kHcFailed) != 0;
  return flags;
}

// Apache stores loadfactor x100 (so 1.5 works with integer arithmetic) and requires 1..100; we
// round instead of truncating so 1.15 is 115, not 114, and clamp so a bad value cannot make the
// byrequests or bytraffic arithmetic divide by zero or go negative.
static int32_t scaled_loadfactor(double loadfactor) {
  if (!std::isfinite(loadfactor)) return 100;
  const long scaled = std::lround(loadfactor * 100.0);
  if (scaled < 1) return 1;
  if (scaled > 10000) return 10000;
  return static_cast<int32_t>(scaled);
}

MemberState::MemberState(const config::Member& member)
    : flags(to_bits(member.status)), lbfactor(scaled_loadfactor(member.loadfactor)), lbset(member.lbset) {}

}  // namespace kb::proxy::core
