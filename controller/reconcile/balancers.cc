#include "controller/reconcile/balancers.h"

#include <algorithm>
#include <set>

#include "controller/reconcile/balancer_settings.h"
#include "controller/reconcile/service_members.h"
#include "controller/reconcile/values.h"
#include "proxy/config/table_yaml.h"
#include "proxy/config/validate.h"

namespace kb::controller::reconcile {
namespace {

namespace cfg = proxy::config;

std::vector<cfg::Member> strip(std::vector<SelectableMember>& members) {
  std::vector<cfg::Member> out;
  out.reserve(members.size());
  for (auto& sm : members) out.push_back(std::move(sm.member));
  return out;
}

// spec.members -> members; a member with a bad URL is skipped, other bad fields keep defaults.
std::vector<SelectableMember> static_members(const std::vector<kube::BcMember>& spec_members,
                                             const cfg::Balancer& balancer, const MemberDefaults& defaults,
                                             FieldErrors& errors) {
  std::vector<SelectableMember> members;
  std::set<std::string> names;
  for (size_t i = 0; i < spec_members.size(); ++i) {
    const kube::BcMember& sm = spec_members[i];
    const std::string path = "spec.members[" + std::to_string(i) + "]";
    std::string error;
    cfg::MemberUrl url;
    if (!cfg::parse_member_url(sm.url, url, error)) {
      errors.push_back({path + ".url", error + "; member skipped"});
      continue;
    }
    SelectableMember out;
    cfg::Member& m = out.member;
    m.url = sm.url;
    m.name = sm.name.empty() ? sm.url : sm.name;
    if (!names.insert(m.name).second) {
      errors.push_back({path + ".name", "duplicate member name '" + m.name + "'; member skipped"});
      continue;
    }
    out.pod_name = m.name;
    out.address = url.host;
    if (valid_route(sm.route, error)) m.route = sm.route;
    else errors.push_back({path + ".route", error});
    m.redirect = sm.redirect;
    m.loadfactor = defaults.loadfactor;
    if (sm.load_factor) {
      if (*sm.load_factor >= 1 && *sm.load_factor <= 100) m.loadfactor = *sm.load_factor;
      else errors.push_back({path + ".loadFactor", "must be between 1 and 100"});
    }
    m.lbset = defaults.lbset;
    if (sm.lb_set) {
      if (*sm.lb_set >= 0 && *sm.lb_set <= 99) m.lbset = static_cast<int>(*sm.lb_set);
      else errors.push_back({path + ".lbSet", "must be between 0 and 99"});
    }
    if (sm.status) {
      cfg::StatusFlags flags;
      if (cfg::parse_status_flags(*sm.status, flags, error)) m.status = flags;
      else errors.push_back({path + ".status", error});
    }
    m.retry = defaults.retry;
    auto duration = [&](const std::optional<std::string>& text, const char* field, auto assign) {
      if (!text) return;
      cfg::Duration d{};
      if (cfg::parse_duration(*text, d, error)) assign(d);
      else errors.push_back({path + "." + field, error});
    };
    duration(sm.retry, "retry", [&](cfg::Duration d) { m.retry = d; });
    duration(sm.timeout, "timeout", [&](cfg::Duration d) { m.timeout = d; });
    duration(sm.connection_timeout, "connectionTimeout", [&](cfg::Duration d) { m.connection_timeout = d; });
    m.health_check = balancer.health_check;
    members.push_back(std::move(out));
  }
  return members;
}

// A redirect must name a route of the same balancer (Apache follows it only there).
void check_redirects(std::vector<SelectableMember>& members, FieldErrors& errors) {
  std::set<std::string> routes;
  for (const auto& sm : members)
    if (!sm.member.route.empty()) routes.insert(sm.member.route);
  for (auto& sm : members) {
    if (!sm.member.redirect.empty() && !routes.contains(sm.member.redirect)) {
      errors.push_back({"spec.members", "member " + sm.member.name + " redirects to unknown route '" +
                                            sm.member.redirect + "'; redirect cleared"});
      sm.member.redirect.clear();
    }
  }
}

kube::Condition invalid_spec_condition(const FieldErrors& errors, int64_t generation) {
  kube::Condition c;
  c.type = "InvalidSpec";
  c.observed_generation = generation;
  if (errors.empty()) {
    c.status = "False";
    c.reason = "Valid";
    c.message = "the spec is valid";
    return c;
  }
  c.status = "True";
  c.reason = "InvalidSpec";
  for (const FieldError& e : errors) {
    if (!c.message.empty()) c.message += "; ";
    c.message += e.to_string();
  }
  // metav1.Condition allows 32768 characters; the events carry every error in full anyway.
  constexpr size_t kMaxMessage = 4096;
  if (c.message.size() > kMaxMessage) c.message = c.message.substr(0, kMaxMessage - 3) + "...";
  return c;
}

}  // namespace

cfg::Balancer render_service_balancer(const std::string& name, const kube::Service* service,
                                      const kube::ServicePort* port, const Indexes& indexes, FieldErrors& errors,
                                      const NginxBalancerSettings& nginx) {
  cfg::Balancer b;
  b.name = name;
  if (service == nullptr) return b;
  apply_nginx_balancer(nginx, b);
  MemberDefaults defaults;
  apply_annotations(service->metadata.annotations, b, defaults, errors);
  if (port == nullptr) return b;
  auto members = endpoint_members(*port, indexes.slices_of(service->metadata.namespace_name, service->metadata.name),
                                  defaults, b.health_check);
  dedupe_routes(members, "endpoints", errors);
  b.members = strip(members);
  return b;
}

ClusterResult render_cluster(const kube::BalancerCluster& cluster, const Indexes& indexes) {
  ClusterResult r;
  const kube::ObjectMeta& meta = cluster.metadata;
  const kube::BalancerClusterSpec& spec = cluster.spec;
  r.status.namespace_name = meta.namespace_name;
  r.status.name = meta.name;
  r.status.observed_generation = meta.generation;

  const bool has_service = spec.service.has_value();
  const bool has_members = spec.members.has_value();
  if (has_service == has_members) {
    r.errors.push_back({"spec", has_service ? "set either service or members, not both; the balancer is not rendered"
                                            : "needs service or members; the balancer is not rendered"});
    r.status.invalid_spec = invalid_spec_condition(r.errors, meta.generation);
    return r;
  }

  cfg::Balancer b;
  b.name = cluster_balancer_name(meta.namespace_name, meta.name);
  MemberDefaults defaults;
  std::vector<SelectableMember> members;
  if (has_service) {
    const kube::BcServiceRef& ref = *spec.service;
    if (ref.name.empty()) r.errors.push_back({"spec.service.name", "must name a Service"});
    const kube::Service* service = ref.name.empty() ? nullptr : indexes.service(meta.namespace_name, ref.name);
    const ResolvedPort port =
        resolve_service_port(service, ref.port.is_int ? ref.port.int_value : 0, ref.port.is_int ? "" : ref.port.str_value);
    if (!port.error.empty()) r.errors.push_back({"spec.service.port", port.error});
    if (!ref.name.empty()) r.service_key = meta.namespace_name + "/" + ref.name + ":" + port.key;
    if (service != nullptr) apply_annotations(service->metadata.annotations, b, defaults, r.service_errors);
    apply_cluster_spec(spec, b, defaults, r.errors);
    if (service != nullptr && port.port != nullptr)
      members = endpoint_members(*port.port, indexes.slices_of(meta.namespace_name, ref.name), defaults, b.health_check);
  } else {
    apply_cluster_spec(spec, b, defaults, r.errors);
    members = static_members(*spec.members, b, defaults, r.errors);
  }
  apply_member_overrides(spec.member_overrides, members, r.errors);
  dedupe_routes(members, has_service ? "spec.memberOverrides" : "spec.members", r.errors);
  check_redirects(members, r.errors);

  for (const SelectableMember& sm : members) {
    kube::BcMemberStatus ms;
    ms.name = sm.member.name;
    ms.route = sm.member.route;
    ms.address = sm.member.url;
    ms.status = cfg::format_status_flags(sm.member.status);
    r.status.members.push_back(std::move(ms));
  }
  r.status.total_members = static_cast<int64_t>(members.size());
  b.members = strip(members);
  r.status.balancer = b.name;
  r.balancer = std::move(b);
  r.status.invalid_spec = invalid_spec_condition(r.errors, meta.generation);
  return r;
}

}  // namespace kb::controller::reconcile
