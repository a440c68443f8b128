#include "controller/runtime/status.h"

#include "controller/runtime/clock.h"

namespace kb::controller::runtime {

namespace {

const kube::Condition* find_condition(const kube::BalancerClusterStatus& status, const std::string& type) {
  for (const auto& c : status.conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

const kube::ProxyMemberStats* find_member(const std::vector<kube::ProxyMemberStats>& live,
                                          const kube::BcMemberStatus& member) {
  for (const auto& m : live) {
    if (m.name == member.name) return &m;
  }
  for (const auto& m : live) {
    if (m.url == member.address) return &m;
  }
  return nullptr;
}

kube::Condition condition(std::string type, std::string status, std::string reason, std::string message) {
  kube::Condition c;
  c.type = std::move(type);
  c.status = std::move(status);
  c.reason = std::move(reason);
  c.message = std::move(message);
  return c;
}

}  // namespace

kube::BalancerClusterStatus desired_status(const reconcile::BalancerClusterStatusUpdate& update,
                                           const std::vector<kube::ProxyMemberStats>* live,
                                           const kube::BalancerClusterStatus& current,
                                           std::chrono::system_clock::time_point now) {
  kube::BalancerClusterStatus out;
  out.observed_generation = update.observed_generation;
  out.members = update.members;
  out.total_members = static_cast<int64_t>(update.members.size());
  for (auto& member : out.members) {
    const kube::ProxyMemberStats* stats = live ? find_member(*live, member) : nullptr;
    if (!stats) continue;
    member.healthy = stats->usable;
    member.elected = stats->elected;
    member.busy = stats->busy;
    member.bytes_in = stats->bytes_in;
    member.bytes_out = stats->bytes_out;
    // The proxy's live flags (errors, drains from the balancer-manager); "Ok" means none.
    if (!stats->status.empty()) member.status = stats->status == "Ok" ? "" : stats->status;
    if (stats->last_check_ms_ago >= 0) {
      member.last_health_check = format_time(now - std::chrono::milliseconds(stats->last_check_ms_ago));
    }
    if (member.healthy) ++out.healthy_members;
  }
  out.health_summary = std::to_string(out.healthy_members) + "/" + std::to_string(out.total_members);

  const bool invalid = update.invalid_spec.status == "True";
  kube::Condition invalid_spec = update.invalid_spec;
  if (invalid_spec.type.empty()) invalid_spec.type = "InvalidSpec";
  if (invalid_spec.status.empty()) invalid_spec = condition("InvalidSpec", "False", "Valid", "");

  kube::Condition ready;
  kube::Condition degraded;
  const std::string counts = std::to_string(out.healthy_members) + " of " +
                             std::to_string(out.total_members) + " members healthy";
  if (invalid && update.balancer.empty()) {
    ready = condition("Ready", "False", "InvalidSpec", "the spec is invalid; see InvalidSpec");
    degraded = condition("Degraded", "False", "InvalidSpec", "");
  } else if (!live) {
    ready = condition("Ready", "Unknown", "ProxyUnavailable", "the proxy's admin API could not be read");
    degraded = condition("Degraded", "Unknown", "ProxyUnavailable", "");
  } else if (out.total_members == 0) {
    ready = condition("Ready", "False", "NoMembers", "the balancer has no members");
    degraded = condition("Degraded", "False", "NoMembers", "");
  } else {
    ready = out.healthy_members > 0 ? condition("Ready", "True", "MembersAvailable", counts)
                                    : condition("Ready", "False", "NoHealthyMembers", counts);
    degraded = out.healthy_members < out.total_members
                   ? condition("Degraded", "True", "MembersUnhealthy", counts)
                   : condition("Degraded", "False", "AllMembersHealthy", counts);
  }
  const std::string stamp = format_time(now);
  for (kube::Condition* c : {&ready, &degraded, &invalid_spec}) {
    c->observed_generation = update.observed_generation;
    const kube::Condition* old = find_condition(current, c->type);
    c->last_transition_time = (old && old->status == c->status && !old->last_transition_time.empty())
                                  ? old->last_transition_time
                                  : stamp;
    out.conditions.push_back(*c);
  }
  return out;
}

bool significant_change(const kube::BalancerClusterStatus& a, const kube::BalancerClusterStatus& b) {
  auto strip = [](kube::BalancerClusterStatus s) {
    for (auto& m : s.members) {
      m.elected = m.busy = m.bytes_in = m.bytes_out = 0;
      m.last_health_check.clear();
    }
    return s;
  };
  return !(strip(a) == strip(b));
}

}  // namespace kb::controller::runtime
