#include "proxy/net/reverse_rewrite.h"

#include <charconv>

#include "proxy/net/hop_by_hop.h"

namespace kb::proxy::net {

namespace {

bool starts_with_icase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// The authority must name the member: host (bracketed for IPv6) with its port, or without a port
// when the member listens on 80.
bool authority_matches(std::string_view authority, const ReverseRule& rule) {
  const bool v6 = rule.member_host.find(':') != std::string_view::npos;
  std::string_view host_part;
  std::string_view port_part;
  if (v6) {
    if (authority.size() < rule.member_host.size() + 2 || authority.front() != '[') return false;
    if (!iequals(authority.substr(1, rule.member_host.size()), rule.member_host)) return false;
    if (authority[rule.member_host.size() + 1] != ']') return false;
    std::string_view rest = authority.substr(rule.member_host.size() + 2);
    if (rest.empty()) return rule.member_port == 80;
    if (rest.front() != ':') return false;
    port_part = rest.substr(1);
  } else {
    const auto colon = authority.find(':');
    host_part = authority.substr(0, colon);
    if (!iequals(host_part, rule.member_host)) return false;
    if (colon == std::string_view::npos) return rule.member_port == 80;
    port_part = authority.substr(colon + 1);
  }
  unsigned port = 0;
  const auto* end = port_part.data() + port_part.size();
  auto [ptr, ec] = std::from_chars(port_part.data(), end, port);
  return ec == std::errc{} && ptr == end && !port_part.empty() && port == rule.member_port;
}

}  // namespace

bool reverse_rewrite(std::string_view value, const ReverseRule& rule, std::string& out) {
  constexpr std::string_view kScheme = "http://";
  if (!starts_with_icase(value, kScheme)) return false;
  std::string_view rest = value.substr(kScheme.size());
  const auto auth_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, auth_end);
  if (!authority_matches(authority, rule)) return false;
  rest = auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);

  std::string_view base = rule.base_path;
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  if (!base.empty()) {
    if (rest.substr(0, base.size()) != base) return false;
    const std::string_view after = rest.substr(base.size());
    if (!after.empty() && after.front() != '/' && after.front() != '?' && after.front() != '#') {
      return false;  // "/base2" is not under "/base"
    }
    rest = after;
  }
  out.append(rule.public_scheme);
  out.append("://");
  out.append(rule.public_host);
  if (rest.empty() || rest.front() != '/') out.push_back('/');
  out.append(rest);
  return true;
}

bool is_reverse_rewritten(boost::beast::http::field name, std::string_view name_string) {
  using boost::beast::http::field;
  if (name == field::location || name == field::content_location) return true;
  return name == field::uri || iequals(name_string, "uri");
}

}  // namespace kb::proxy::net
