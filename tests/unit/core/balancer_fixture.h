#pragma once
// Builds a balancer from a hand-written config and drives it like proxy/net would.
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "proxy/config/table.h"
#include "proxy/core/balancer.h"
#include "proxy/core/availability.h"
#include "proxy/core/balancer_impl.h"

namespace kb::proxy::core::testing {

inline const TimePoint kT0 = TimePoint(std::chrono::hours(1000));

struct BalancerFixture {
  config::Balancer cfg;
  std::unique_ptr<Balancer> balancer;
  TimePoint now = kT0;

  config::Member& add(const std::string& name, double loadfactor = 1, const std::string& route = "") {
    config::Member m;
    m.url = "http://" + name + ":80";
    m.name = name;
    m.route = route;
    m.loadfactor = loadfactor;
    cfg.members.push_back(m);
    return cfg.members.back();
  }

  Balancer& build(lb::RandomSource random = {}) {
    std::vector<Member> members;
    for (const auto& c : cfg.members) {
      Member m;
      m.config = &c;
      m.host = c.name;
      members.push_back(m);
    }
    balancer = make_balancer(cfg, std::move(members), std::move(random));
    return *balancer;
  }

  const Member& member(const std::string& name) const {
    for (const Member& m : balancer->members())
      if (m.config->name == name) return m;
    throw std::runtime_error("no member " + name);
  }
  MemberState& state(const std::string& name) const { return *member(name).state; }

  // One complete request: pick, then done. Returns the member name or "503".
  std::string request(std::string_view target = "/", std::vector<std::string_view> cookies = {},
                      Pick* out = nullptr) {
    StickyRequest req{target, cookies};
    Pick p = balancer->pick(req, {}, now);
    std::string name = p.member ? p.member->config->name : std::to_string(p.error_status);
    if (p.member) balancer->on_done(*p.member, 0, 0);
    if (out) *out = std::move(p);
    return name;
  }

  std::string sequence(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += (i ? " " : "") + request();
    return s;
  }
};

}  // namespace kb::proxy::core::testing
