#pragma once
// mod_proxy_hcheck's per-member state machine and result evaluation. Pure: the checker
// (proxy/health/health_checker.h) does the I/O and calls these.
//
// Apache (modules/proxy/mod_proxy_hcheck.c) per check:
//   member is C or E: a success increments pcount; at hcpasses, C and E are cleared.
//   otherwise:        a failure increments fcount; at hcfails, C is set.
// Apache never resets fcount on a success, so hcfails counts cumulative failures although its
// docs say "back-to-back". We implement the documented intent: CONSECUTIVE results. A success
// while healthy resets the fail count and a failure while unhealthy resets the pass count, so a
// flapping member neither fails nor recovers by accumulation.
#include <cstdint>
#include <string_view>

#include "proxy/config/table.h"
#include "proxy/core/member_state.h"

namespace kb::proxy::core {

enum class HcTransition {
  kNone,       // no flip (only counters moved)
  kFailed,     // healthy -> C set
  kRecovered,  // C and/or E cleared
};

struct HcCounts {
  int32_t passes = 0;
  int32_t fails = 0;
  friend bool operator==(const HcCounts&, const HcCounts&) = default;
};

struct HcStep {
  HcCounts counts;
  HcTransition transition = HcTransition::kNone;
};

// One result applied to the counts. `unhealthy` = the member currently has C or E.
HcStep hc_step(bool unhealthy, HcCounts counts, const config::HealthCheck& hc, bool ok);

// Applies one result to the live state: counters, C / E flags and the hc_last_* fields.
// `status` is the HTTP status (0 for a TCP check, -1 for a connect error or timeout).
HcTransition hc_apply(MemberState& state, const config::HealthCheck& hc, bool ok, int status,
                      int64_t now_ns);

// Whether an HTTP answer passes: status within [expect_status_min, expect_status_max] and, when
// expect_body is set, the body contains it.
bool hc_response_ok(const config::HealthCheck& hc, int status, std::string_view body);

const char* to_string(HcTransition t);

}  // namespace kb::proxy::core
