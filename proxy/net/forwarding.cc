// The request's fields and scheme, apart from routing: the one walk over the fields before routing
// (header views, cookies, X-Forwarded-Proto), which scheme the client used (the connection's, or
// the X-Forwarded-Proto of a --trusted-proxies peer), and what follows from it: X-Forwarded-For
// kept or replaced and X-Forwarded-Proto (build_request_head), the scheme of the Location rewrite
// (build_response_head), the 308 to https:// for plain requests on sslredirect routes, and HSTS.
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include "proxy/core/forwarded.h"
#include "proxy/core/snapshot.h"
#include "proxy/net/connection.h"
#include "proxy/net/exchange.h"
#include "proxy/net/hop_by_hop.h"
#include "proxy/net/https_redirect.h"
#include "proxy/net/worker.h"

namespace kb::proxy::net {

namespace http = boost::beast::http;

// The one walk over the request's fields before routing; each consumer reads what it needs here:
// the header views for Snapshot::decide (only when the table has routes that read headers), the
// Cookie values for the session lookup (attempt_loop.cc), the first X-Forwarded-Proto of a
// --trusted-proxies peer (decide_scheme). The head writer walks the fields once more, as it must
// to copy them.
void Exchange::scan_request_fields(const core::Snapshot& snapshot) {
  const bool views = snapshot.decide_reads_headers;
  const bool trusted = conn_.peer_trusted();
  b_.header_views.clear();
  b_.cookies.clear();
  incoming_proto_.reset();
  for (const auto& f : *req_.fields) {
    const http::field name = f.name();
    if (views) b_.header_views.push_back(core::HeaderView{f.name_string(), f.value()});
    if (name == http::field::cookie) {
      b_.cookies.push_back(f.value());
    } else if (trusted && !incoming_proto_ && name == http::field::unknown &&
               iequals(f.name_string(), "x-forwarded-proto")) {  // Beast has no enum for it
      incoming_proto_ = f.value();
    }
  }
}

void Exchange::decide_scheme(const core::Snapshot& snapshot) {
  forwarded_ = core::decide_forwarded(conn_.peer_trusted(), incoming_proto_.value_or(std::string_view()),
                                      conn_.stream().scheme());
  // RFC 6797: never on plain HTTP. Behind a trusted TLS offloader the client did use HTTPS.
  hsts_ = forwarded_.proto == "https" ? snapshot.tls.hsts(b_.host_lc) : std::string_view();
}

// Views filled by scan_request_fields (none when the table's routes read no header).
core::RequestView Exchange::request_view() {
  return core::RequestView{req_.method_string, b_.host_lc, target_, b_.header_views};
}

// A plain-HTTP request on a route with sslredirect: 308 to the same URL on https:// (the
// --https-listen port unless 443), its Location in b_.rewritten. Status 0: serve the request.
Exchange::LocalAnswer Exchange::redirect_to_https(const core::Snapshot& snapshot) {
  const ServerOptions& opts = worker_.options();
  if (!opts.https_listen || forwarded_.proto == "https" || !snapshot.tls.any_redirect()) return {};
  // The route decide() matched (exchange.cc), by its index in the table.
  const int32_t route = decision_.route == nullptr
                            ? core::Router::kNoMatch
                            : static_cast<int32_t>(decision_.route - snapshot.table.routes.data());
  if (!snapshot.tls.ssl_redirect(route)) return {};
  b_.rewritten.clear();
  if (!https_location(b_.public_host, opts.https_listen_port, target_, b_.rewritten)) return {};
  return {308, b_.rewritten, true};
}

}  // namespace kb::proxy::net
