#include "controller/reconcile/service_members.h"

#include <algorithm>
#include <map>
#include <set>

#include "controller/reconcile/values.h"
#include "proxy/config/table_yaml.h"

namespace kb::controller::reconcile {
namespace {

namespace cfg = proxy::config;

std::string pick_route(const kube::Endpoint& ep, const std::string& pod, const std::string& address,
                       const MemberDefaults& defaults) {
  auto pod_route = [&] {
    if (!pod.empty()) return pod_hostname(pod);
    if (!ep.hostname.empty()) return pod_hostname(ep.hostname);
    return address;
  };
  switch (defaults.route_from) {
    case RouteFrom::kAddress:
      return address;
    case RouteFrom::kHostname:
      return ep.hostname.empty() ? pod_route() : pod_hostname(ep.hostname);
    case RouteFrom::kAnnotation: {
      auto it = defaults.routes.find(pod);
      if (it == defaults.routes.end()) it = defaults.routes.find(address);
      return it == defaults.routes.end() ? pod_route() : it->second;
    }
    case RouteFrom::kPodName:
      break;
  }
  return pod_route();
}

}  // namespace

std::string member_url(const std::string& address, int32_t port) {
  const bool ipv6 = address.find(':') != std::string::npos;
  return "http://" + (ipv6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

std::vector<SelectableMember> endpoint_members(const kube::ServicePort& port,
                                               const std::vector<const kube::EndpointSlice*>& slices,
                                               const MemberDefaults& defaults,
                                               const cfg::HealthCheck& health_check) {
  // Keyed by URL: an endpoint can appear in two slices while the EndpointSlice controller moves
  // it; a ready copy beats a draining one.
  std::map<std::string, SelectableMember> by_url;
  for (const kube::EndpointSlice* slice : slices) {
    if (slice->address_type == "FQDN") continue;  // not produced for selector Services; no IP to dial
    const kube::EndpointPort* ep_port = nullptr;
    for (const auto& p : slice->ports)
      if (p.name == port.name && p.port && (p.protocol.empty() || p.protocol == "TCP")) ep_port = &p;
    if (ep_port == nullptr) continue;
    for (const kube::Endpoint& ep : slice->endpoints) {
      const bool terminating = ep.conditions.is_terminating();
      if (!terminating && !ep.conditions.is_ready()) continue;
      const std::string pod = ep.target_ref ? ep.target_ref->name : std::string();
      for (const std::string& address : ep.addresses) {
        SelectableMember sm;
        sm.pod_name = pod;
        sm.address = address;
        cfg::Member& m = sm.member;
        m.url = member_url(address, *ep_port->port);
        m.name = pod.empty() ? address : pod;
        m.route = pick_route(ep, pod, address, defaults);
        m.loadfactor = defaults.loadfactor;
        m.lbset = defaults.lbset;
        m.retry = defaults.retry;
        m.health_check = health_check;
        m.status.drain = terminating;
        auto [it, inserted] = by_url.try_emplace(m.url, sm);
        if (!inserted && it->second.member.status.drain && !terminating) it->second = std::move(sm);
      }
    }
  }
  std::vector<SelectableMember> members;
  members.reserve(by_url.size());
  for (auto& [url, sm] : by_url) members.push_back(std::move(sm));
  std::sort(members.begin(), members.end(), [](const SelectableMember& a, const SelectableMember& b) {
    return std::tie(a.member.name, a.member.url) < std::tie(b.member.name, b.member.url);
  });
  // A pod with two addresses (dual stack) would give two members of the same name: names are the
  // runtime-state identity, so the later one is qualified with its address.
  std::set<std::string> names;
  for (auto& sm : members)
    if (!names.insert(sm.member.name).second) sm.member.name += "@" + sm.address;
  return members;
}

void apply_member_overrides(const std::vector<kube::BcMemberOverride>& overrides,
                            std::vector<SelectableMember>& members, FieldErrors& errors) {
  // Validate each override once, then apply the valid parts.
  for (size_t i = 0; i < overrides.size(); ++i) {
    const kube::BcMemberOverride& ov = overrides[i];
    const std::string path = "spec.memberOverrides[" + std::to_string(i) + "]";
    std::string error;
    if (ov.pod_name.empty() == ov.address.empty())
      errors.push_back({path + ".selector", "must set exactly one of podName and address"});
    if (ov.route && !valid_route(*ov.route, error)) errors.push_back({path + ".route", error});
    if (ov.load_factor && (*ov.load_factor < 1 || *ov.load_factor > 100))
      errors.push_back({path + ".loadFactor", "must be between 1 and 100"});
    if (ov.lb_set && (*ov.lb_set < 0 || *ov.lb_set > 99)) errors.push_back({path + ".lbSet", "must be between 0 and 99"});
    cfg::StatusFlags probe;
    if (ov.status && !cfg::parse_status_flags(*ov.status, probe, error)) errors.push_back({path + ".status", error});
  }
  for (SelectableMember& sm : members) {
    for (const kube::BcMemberOverride& ov : overrides) {
      const bool match = ov.pod_name.empty() != ov.address.empty() &&
                         ((!ov.pod_name.empty() && ov.pod_name == sm.pod_name) ||
                          (!ov.address.empty() && ov.address == sm.address));
      if (!match) continue;
      std::string error;
      if (ov.route && valid_route(*ov.route, error)) sm.member.route = *ov.route;
      if (ov.load_factor && *ov.load_factor >= 1 && *ov.load_factor <= 100) sm.member.loadfactor = *ov.load_factor;
      if (ov.lb_set && *ov.lb_set >= 0 && *ov.lb_set <= 99) sm.member.lbset = static_cast<int>(*ov.lb_set);
      if (ov.status) {
        cfg::StatusFlags flags = sm.member.status;
        if (cfg::parse_status_flags(*ov.status, flags, error)) sm.member.status = flags;
      }
      break;  // first match wins
    }
  }
}

void dedupe_routes(std::vector<SelectableMember>& members, const std::string& field, FieldErrors& errors) {
  std::map<std::string, std::string> owner;  // route -> member name
  for (SelectableMember& sm : members) {
    if (sm.member.route.empty()) continue;
    auto [it, inserted] = owner.try_emplace(sm.member.route, sm.member.name);
    if (!inserted) {
      errors.push_back({field, "member " + sm.member.name + " has the same route '" + sm.member.route +
                                   "' as member " + it->second + "; its route is cleared"});
      sm.member.route.clear();
    }
  }
}

}  // namespace kb::controller::reconcile
