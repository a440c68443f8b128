#include "proxy/core/snapshot.h"

#include <charconv>

#include "proxy/core/balancer_impl.h"

namespace kb::proxy::core {
namespace {

// Fills host, port, host_header and base_path from a member URL "http://host[:port][/base]".
// Rejects nothing: the codec validates URLs; here a malformed port just means the default 80.
void parse_member_url(std::string_view url, Member& m) {
  if (auto scheme = url.find("://"); scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  const std::size_t path_start = url.find_first_of("/?#");
  std::string_view authority = url.substr(0, path_start);
  std::string_view path = path_start == std::string_view::npos ? std::string_view{} : url.substr(path_start);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);

  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {  // IPv6 literal
    const std::size_t close = authority.find(']');
    host = authority.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1);
    if (close != std::string_view::npos && close + 1 < authority.size() && authority[close + 1] == ':')
      port = authority.substr(close + 2);
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  m.host = std::string(host);
  m.port = 80;
  unsigned value = 0;
  if (!port.empty()) {
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec == std::errc() && end == port.data() + port.size() && value > 0 && value <= 65535)
      m.port = static_cast<uint16_t>(value);
  }
  const bool v6 = m.host.find(':') != std::string::npos;
  m.host_header = v6 ? "[" + m.host + "]" : m.host;
  if (m.port != 80) m.host_header += ":" + std::to_string(m.port);

  // The base path is prepended to request paths: keep it without query and trailing slash.
  path = path.substr(0, path.find_first_of("?#"));
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  m.base_path = std::string(path);
}

}  // namespace

Balancer* Snapshot::route(std::string_view host, std::string_view path) const {
  const int32_t i = router.match(host, path);
  if (i < 0 || static_cast<std::size_t>(i) >= balancers.size()) return nullptr;
  return balancers[static_cast<std::size_t>(i)].get();
}

RouteDecision Snapshot::decide(const RequestView& request, uint64_t random) const {
  RouteDecision d;
  const int32_t r = router.match_route(request);
  if (r == Router::kNoMatch) {
    const int32_t b = router.default_backend();
    if (b >= 0 && static_cast<std::size_t>(b) < balancers.size()) d.balancer = balancers[static_cast<std::size_t>(b)].get();
    return d;
  }
  const CompiledRoute& compiled = routes[static_cast<std::size_t>(r)];
  d.route = compiled.config;
  d.compiled = &compiled;
  const BackendChoice choice = choose_backend(compiled, balancers, request, random);
  d.reason = choice.reason;
  if (choice.backend < 0) return d;
  d.backend = d.route->backends.empty() ? -1 : choice.backend;
  const int32_t b = compiled.balancers[static_cast<std::size_t>(choice.backend)];
  if (b >= 0 && static_cast<std::size_t>(b) < balancers.size()) d.balancer = balancers[static_cast<std::size_t>(b)].get();
  return d;
}

std::shared_ptr<const Snapshot> build_snapshot(config::Table table, StateRegistry& registry,
                                               uint64_t generation) {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->table = std::move(table);  // from here on, config pointers into it stay valid
  snapshot->generation = generation;
  auto states = registry.bind(snapshot->table);
  snapshot->balancers.reserve(snapshot->table.balancers.size());
  for (std::size_t i = 0; i < snapshot->table.balancers.size(); ++i) {
    const config::Balancer& b = snapshot->table.balancers[i];
    std::vector<Member> members(b.members.size());
    for (std::size_t j = 0; j < b.members.size(); ++j) {
      Member& m = members[j];
      m.config = &b.members[j];
      m.state = states[i][j];
      m.index = static_cast<uint32_t>(j);
      parse_member_url(b.members[j].url, m);
    }
    snapshot->balancers.push_back(make_balancer(b, std::move(members)));
  }
  snapshot->router = Router::compile(snapshot->table);
  snapshot->tls = TlsPolicy::compile(snapshot->table);
  snapshot->routes.reserve(snapshot->table.routes.size());
  for (const config::Route& r : snapshot->table.routes) {
    snapshot->routes.push_back(CompiledRoute::compile(r, snapshot->table));
    if (!r.headers.empty() || r.backends.size() > 1) snapshot->decide_reads_headers = true;
  }
  return snapshot;
}

}  // namespace kb::proxy::core
