#pragma once
// What a matched route does to a request besides choosing a balancer: pure functions the exchange
// (proxy/net) calls, in this order (docs/table-format.md "Route"):
//   1. allowlist   CompiledRoute::allow.allows(client address)       false -> 403
//   2. redirect    redirect_location(route, request)                  -> status + Location, no member
//   3. body limit  body_too_large(route, content_length, received)    true -> 413
//   4. rewrite     rewritten_target(route, regex, target, out)        new request-target for the member
//                  rewritten_host(route)                              Host for the member, or ""
//   5. headers     apply_header_modifier(route.request_headers, request fields) before sending,
//                  apply_header_modifier(route.response_headers, response fields) before replying
// None allocates unless it produces a new string; none throws.
#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <string_view>

#include "proxy/config/table.h"

namespace kb::proxy::core {

// The request as the redirect sees it.
struct RedirectRequest {
  std::string_view scheme = "http";  // of the listener the request came in on
  std::string_view host;             // Host without port
  uint16_t port = 80;                // the listener's port
  std::string_view target;           // "/path?query"
};

// The Location for a route with `redirect` (Gateway API RequestRedirect): the literal url, or the
// request's URL with the redirect's parts replaced. Without a port, a changed scheme takes its
// well-known port, else the listener's; 80 for http and 443 for https are never written.
// replaceprefix replaces the route's matched prefix ("/foo" + "/xyz": "/foo/bar" -> "/xyz/bar").
// The query string is kept.
std::string redirect_location(const config::Route& route, const RedirectRequest& request);

// The request-target to send to the member after the route's `rewrite`, written into `out`
// (cleared first, so a reused string allocates nothing in steady state); false, with `out` empty,
// when the path stays as it is. `regex` is the compiled rewrite.regex (icase, as ingress-nginx
// writes `(?i)`), nullptr when the route has none. nginx semantics: when the regex finds a match in
// the path, the whole path becomes the replacement with $1..$9 filled in (std::regex allocates its
// match results there). The query string is kept, unless the replacement has its own '?'.
bool rewritten_target(const config::Route& route, const std::regex* regex, std::string_view target,
                      std::string& out);

// rewrite.hostname, or "" to keep the usual Host (the member's, or the client's with preservehost).
inline std::string_view rewritten_host(const config::Route& route) { return route.rewrite.hostname; }

// maxbodysize: true when the declared length, or the bytes received so far of a chunked body,
// exceed it (answer 413). Without maxbodysize never.
inline bool body_too_large(const config::Route& route, std::optional<uint64_t> content_length, uint64_t received) {
  if (!route.max_body_size || *route.max_body_size == 0) return false;  // 0 = unlimited, as nginx
  return (content_length && *content_length > *route.max_body_size) || received > *route.max_body_size;
}

// Gateway API HTTPHeaderFilter on any fields type with set/insert/erase(name[, value]), such as
// boost::beast::http::fields: set replaces every value, add appends one, remove deletes all; in
// that order, so a name both set and removed ends up removed.
template <typename Fields>
void apply_header_modifier(const config::HeaderModifier& modifier, Fields& fields) {
  for (const auto& [name, value] : modifier.set) fields.set(name, value);
  for (const auto& [name, value] : modifier.add) fields.insert(name, value);
  for (const std::string& name : modifier.remove) fields.erase(name);
}

}  // namespace kb::proxy::core
