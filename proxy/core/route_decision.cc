#include "proxy/core/route_decision.h"

#include <array>

#include "proxy/core/sticky.h"

namespace kb::proxy::core {
namespace {

int32_t index_of(const config::Table& table, const std::string& name) {
  for (std::size_t i = 0; i < table.balancers.size(); ++i)
    if (table.balancers[i].name == name) return static_cast<int32_t>(i);
  return -1;
}

// Weighted pick among the backends, optionally leaving one out (canary "never").
int32_t by_weight(const CompiledRoute& route, uint64_t random, int32_t excluded) {
  const auto n = static_cast<int32_t>(route.balancers.size());
  uint64_t total = route.cumulative.empty() ? 0 : route.cumulative.back();
  uint64_t excluded_weight = 0;
  if (excluded >= 0) {
    const auto e = static_cast<std::size_t>(excluded);
    excluded_weight = route.cumulative[e] - (e == 0 ? 0 : route.cumulative[e - 1]);
  }
  total -= excluded_weight;
  if (total == 0) {
    for (int32_t i = 0; i < n; ++i)
      if (i != excluded) return i;
    return 0;
  }
  uint64_t point = random % total;
  for (int32_t i = 0; i < n; ++i) {
    if (i == excluded) continue;
    const auto u = static_cast<std::size_t>(i);
    const uint64_t w = route.cumulative[u] - (u == 0 ? 0 : route.cumulative[u - 1]);
    if (point < w) return i;
    point -= w;
  }
  return n - 1;
}

// +1: the value forces the canary; -1: forces it away; 0: says nothing.
int canary_verdict(std::string_view value, std::string_view exact) {
  if (!exact.empty()) return value == exact ? 1 : 0;
  if (value == "always") return 1;
  if (value == "never") return -1;
  return 0;
}

}  // namespace

CompiledRoute CompiledRoute::compile(const config::Route& route, const config::Table& table) {
  CompiledRoute c;
  c.config = &route;
  uint64_t sum = 0;
  if (route.backends.empty()) {
    if (!route.balancer.empty()) {
      c.balancers.push_back(index_of(table, route.balancer));
      c.cumulative.push_back(sum = 1);
    }
  } else {
    for (const config::WeightedBackend& b : route.backends) {
      if (b.balancer == route.canary.balancer && route.canary.enabled())
        c.canary = static_cast<int32_t>(c.balancers.size());
      c.balancers.push_back(index_of(table, b.balancer));
      sum += static_cast<uint64_t>(b.weight);
      c.cumulative.push_back(sum);
    }
  }
  if (!route.rewrite.regex.empty()) {
    try {
      c.rewrite_regex.emplace(route.rewrite.regex, std::regex::ECMAScript | std::regex::icase);
    } catch (const std::regex_error&) {  // the codec rejects these; a hand-built table keeps the path
    }
  }
  c.allow = SourceAllowlist::compile(route.allow);
  return c;
}

BackendChoice choose_backend(const CompiledRoute& route, std::span<const std::unique_ptr<Balancer>> balancers,
                             const RequestView& request, uint64_t random) {
  if (route.balancers.empty()) return {};
  if (route.balancers.size() == 1) return {0, BackendReason::kOnly};
  std::array<std::string_view, 8> cookie_storage{};
  std::size_t cookies = 0;
  for (const HeaderView& h : request.headers)
    if (cookies < cookie_storage.size() && iequals(h.name, "cookie")) cookie_storage[cookies++] = h.value;
  const std::span<const std::string_view> cookie_headers(cookie_storage.data(), cookies);

  if (route.canary >= 0) {
    const config::Canary& canary = route.config->canary;
    int verdict = 0;
    BackendReason reason = BackendReason::kCanaryHeader;
    if (!canary.header.empty())
      if (const HeaderView* h = find_header(request, canary.header)) verdict = canary_verdict(h->value, canary.header_value);
    if (verdict == 0 && !canary.cookie.empty()) {
      reason = BackendReason::kCanaryCookie;
      for (std::string_view header : cookie_headers)
        if (auto v = cookie_value(header, canary.cookie)) {
          verdict = canary_verdict(*v, {});
          break;
        }
    }
    if (verdict > 0) return {route.canary, reason};
    if (verdict < 0) return {by_weight(route, random, route.canary), reason};
  }

  for (std::size_t i = 0; i < route.balancers.size(); ++i) {
    const int32_t b = route.balancers[i];
    if (b < 0 || static_cast<std::size_t>(b) >= balancers.size()) continue;
    const Balancer& balancer = *balancers[static_cast<std::size_t>(b)];
    const SessionRoute session = find_session_route(balancer.config().sticky, request.target, cookie_headers);
    if (session.route.empty()) continue;
    for (const Member& m : balancer.members())
      if (m.config != nullptr && m.config->route == session.route) return {static_cast<int32_t>(i), BackendReason::kSession};
  }
  return {by_weight(route, random, -1), BackendReason::kWeight};
}

}  // namespace kb::proxy::core
