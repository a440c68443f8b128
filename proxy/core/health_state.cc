#include "proxy/core/health_state.h"

#include <algorithm>

namespace kb::proxy::core {

HcStep hc_step(bool unhealthy, HcCounts counts, const config::HealthCheck& hc, bool ok) {
  HcStep step{counts, HcTransition::kNone};
  if (unhealthy) {
    step.counts.fails = 0;
    if (!ok) {
      step.counts.passes = 0;  // consecutive passes only
      return step;
    }
    if (++step.counts.passes >= std::max(hc.passes, 1)) {
      step.counts.passes = 0;
      step.transition = HcTransition::kRecovered;
    }
    return step;
  }
  step.counts.passes = 0;
  if (ok) {
    step.counts.fails = 0;  // consecutive failures only
    return step;
  }
  if (++step.counts.fails >= std::max(hc.fails, 1)) {
    step.counts.fails = 0;
    step.transition = HcTransition::kFailed;
  }
  return step;
}

HcTransition hc_apply(MemberState& state, const config::HealthCheck& hc, bool ok, int status,
                      int64_t now_ns) {
  const bool unhealthy = state.has(kHcFailed | kInError);
  const HcCounts before{state.hc_pass_count.load(std::memory_order_relaxed),
                        state.hc_fail_count.load(std::memory_order_relaxed)};
  const HcStep step = hc_step(unhealthy, before, hc, ok);
  state.hc_pass_count.store(step.counts.passes, std::memory_order_relaxed);
  state.hc_fail_count.store(step.counts.fails, std::memory_order_relaxed);
  state.hc_last_status.store(status, std::memory_order_relaxed);
  state.hc_last_ok.store(ok, std::memory_order_relaxed);
  state.hc_last_check_ns.store(now_ns, std::memory_order_relaxed);
  (ok ? state.hc_checks_passed : state.hc_checks_failed).fetch_add(1, std::memory_order_relaxed);
  if (step.transition == HcTransition::kFailed) {
    state.set(kHcFailed);
  } else if (step.transition == HcTransition::kRecovered) {
    state.clear(kHcFailed | kInError);
  }
  return step.transition;
}

bool hc_response_ok(const config::HealthCheck& hc, int status, std::string_view body) {
  if (status < hc.expect_status_min || status > hc.expect_status_max) return false;
  return hc.expect_body.empty() || body.find(hc.expect_body) != std::string_view::npos;
}

const char* to_string(HcTransition t) {
  switch (t) {
    case HcTransition::kNone: return "none";
    case HcTransition::kFailed: return "failed";
    case HcTransition::kRecovered: return "recovered";
  }
  return "?";
}

}  // namespace kb::proxy::core
