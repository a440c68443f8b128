// The matched route's actions on the wire, in the order docs/table-format.md "Route" gives:
//   allow (403) -> redirect (answered here) -> body limit (413) -> rewrite (target and Host for the
//   member) -> request header modifiers (attempt_loop.cc, once) -> per-route connect, response and
//   send timeouts and maxattempts (every attempt) -> response header modifiers (response.cc).
// What each action computes is proxy/core's (route_actions.h, pure and unit-tested); this file
// only applies it to the exchange. Requests that matched no route (the default backend) get none.
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include <algorithm>
#include <charconv>

#include "proxy/core/route_actions.h"
#include "proxy/net/connection.h"
#include "proxy/net/exchange.h"
#include "proxy/net/session_util.h"
#include "proxy/net/worker.h"

namespace kb::proxy::net {


namespace {

// The port in a Host header ("example.com:8080", "[::1]:8443"), else `otherwise`.
uint16_t host_port(std::string_view host, uint16_t otherwise) {
  const std::size_t close = host.rfind(']');
  const std::size_t colon = host.rfind(':');
  if (colon == std::string_view::npos || (close != std::string_view::npos && colon < close))
    return otherwise;
  const std::string_view digits = host.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535)
    return otherwise;
  return static_cast<uint16_t>(port);
}

}  // namespace

// Status 0: forward through decision_.balancer; else the local answer (route() sends it).
Exchange::LocalAnswer Exchange::enforce_route() {
  const core::RouteDecision& d = decision_;
  if (d.route == nullptr) {
    if (d.balancer == nullptr) return {404, "no route for this host and path"};
    return {};  // the default backend
  }
  const config::Route& route = *d.route;
  if (!d.compiled->allow.empty() && !d.compiled->allow.allows(conn_.client_ip()))
    return {403, "client address not allowed by the route's allow list"};
  if (route.redirect.enabled()) {
    const std::string_view scheme = forwarded_.proto;
    const core::RedirectRequest request{
        scheme, b_.host_lc, host_port(b_.public_host, scheme == "https" ? 443 : 80), target_};
    b_.rewritten = core::redirect_location(route, request);
    return {static_cast<unsigned>(route.redirect.status), b_.rewritten, true};
  }
  if (const LocalAnswer a = enforce_body_limit(route); a.status != 0) return a;
  if (target_.starts_with('/')) rewrite_for_member(*d.compiled);
  if (d.balancer == nullptr) return {503, "the route names no usable balancer"};
  return {};
}

// A declared length over the limit is refused before any member is contacted. A chunked body is
// counted by the request parser as it streams: past the limit the send ends with body_limit and
// the attempt loop answers 413 (closing the member connection; a body that overflows within the
// first relay chunk never reaches the member at all, the head rides on that chunk's write).
Exchange::LocalAnswer Exchange::enforce_body_limit(const config::Route& route) {
  if (!route.max_body_size || *route.max_body_size == 0) return {};
  const std::optional<uint64_t> declared =
      req_.has_length ? std::optional<uint64_t>(req_.content_length) : std::nullopt;
  if (core::body_too_large(route, declared, 0)) return {413, "request body larger than the route's maxbodysize"};
  const uint64_t server = worker_.options().max_body_bytes;
  b_.request->body_limit(server > 0 ? std::min(server, *route.max_body_size)
                                    : *route.max_body_size);
  return {};
}

void Exchange::rewrite_for_member(const core::CompiledRoute& compiled) {
  const std::regex* regex = compiled.rewrite_regex ? &*compiled.rewrite_regex : nullptr;
  if (core::rewritten_target(*compiled.config, regex, target_, b_.rewritten))
    target_ = b_.rewritten;
}

// Once per exchange, after the session cookies were collected (scan_request_fields: the balancer's
// session lookup sees the client's request, as decide() did). Fields live in the arena: erased
// values stay readable.
void Exchange::modify_request_headers() {
  if (decision_.route != nullptr && !decision_.route->request_headers.empty())
    core::apply_header_modifier(decision_.route->request_headers, b_.request->get());
}

void Exchange::modify_response_headers() {
  if (decision_.route != nullptr && !decision_.route->response_headers.empty())
    core::apply_header_modifier(decision_.route->response_headers, b_.response->get());
}

std::string_view Exchange::route_host() const {
  return decision_.route != nullptr ? core::rewritten_host(*decision_.route) : std::string_view();
}

// The route's connecttimeout, else the member's, else the balancer's.
std::chrono::milliseconds Exchange::route_connect_timeout(const core::Balancer& b,
                                                          const core::Member& m) const {
  const config::Route* r = decision_.route;
  if (r != nullptr && r->connect_timeout) return detail::positive_or_forever(*r->connect_timeout);
  return detail::connect_timeout(b, m);
}

// The route's timeout (response) and sendtimeout (between two writes of the request; without it
// the response timeout, as before), else the member's and the balancer's.
void Exchange::set_route_timeouts(const core::Balancer& b, const core::Member& m) {
  const config::Route* r = decision_.route;
  io_timeout_ = r != nullptr && r->timeout ? detail::positive_or_forever(*r->timeout)
                                           : detail::response_timeout(b, m);
  send_timeout_ =
      r != nullptr && r->send_timeout ? detail::positive_or_forever(*r->send_timeout) : io_timeout_;
}

// Failovers after the first attempt: the route's maxattempts, else the balancer's.
int Exchange::max_attempts(const core::Balancer& balancer) const {
  const config::Route* r = decision_.route;
  return r != nullptr && r->maxattempts ? *r->maxattempts : balancer.max_attempts();
}

}  // namespace kb::proxy::net
