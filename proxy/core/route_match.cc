#include "proxy/core/route_match.h"

namespace kb::proxy::core {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

const HeaderView* find_header(const RequestView& request, std::string_view name) {
  for (const HeaderView& h : request.headers)
    if (iequals(h.name, name)) return &h;
  return nullptr;
}

std::optional<std::string_view> query_param(std::string_view target, std::string_view name) {
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(q + 1);
  if (auto hash = query.find('#'); hash != std::string_view::npos) query = query.substr(0, hash);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

bool RouteMatch::Condition::test(std::string_view actual) const {
  if (bad_regex) return false;
  if (!regex) return actual == value;
  // The hot path throws nothing: std::regex may throw on pathological input (error_complexity);
  // that is a non-match.
  try {
    return std::regex_match(actual.begin(), actual.end(), *regex);
  } catch (const std::regex_error&) {
    return false;
  }
}

RouteMatch RouteMatch::compile(const config::Route& route) {
  RouteMatch m;
  m.methods_ = route.methods;
  auto conditions = [](const std::vector<config::ValueMatch>& in, std::vector<Condition>& out) {
    for (const config::ValueMatch& v : in) {
      Condition c{v.name, v.value, std::nullopt, false};
      if (v.type == config::MatchType::kRegex) {
        try {
          c.regex.emplace(v.value, std::regex::ECMAScript);
        } catch (const std::regex_error&) {
          c.bad_regex = true;
        }
      }
      out.push_back(std::move(c));
    }
  };
  conditions(route.headers, m.headers_);
  conditions(route.query_params, m.queries_);
  return m;
}

bool RouteMatch::matches(const RequestView& request) const {
  if (!methods_.empty()) {
    bool any = false;
    for (const std::string& method : methods_) any = any || method == request.method;
    if (!any) return false;
  }
  for (const Condition& c : headers_) {
    const HeaderView* h = find_header(request, c.name);
    if (h == nullptr || !c.test(h->value)) return false;
  }
  for (const Condition& c : queries_) {
    const std::optional<std::string_view> v = query_param(request.target, c.name);
    if (!v || !c.test(*v)) return false;
  }
  return true;
}

}  // namespace kb::proxy::core
