// The scheme of a request, apart from routing: which scheme the client used (the connection's, or
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

namespace asio = boost::asio;
using boost::system::error_code;

void Exchange::decide_scheme(const core::Snapshot& snapshot) {
  std::string_view incoming;
  if (conn_.peer_trusted()) {
    for (const auto& f : *req_.fields) {
      if (iequals(f.name_string(), "x-forwarded-proto")) {
        incoming = f.value();
        break;
      }
    }
  }
  forwarded_ = core::decide_forwarded(conn_.peer_trusted(), incoming, conn_.stream().scheme());
  // RFC 6797: never on plain HTTP. Behind a trusted TLS offloader the client did use HTTPS.
  hsts_ = forwarded_.proto == "https" ? snapshot.tls.hsts(b_.host_lc) : std::string_view();
}

core::RequestView Exchange::request_view() {
  auto& views = b_.header_views;
  views.clear();
  for (const auto& f : *req_.fields) views.push_back(core::HeaderView{f.name_string(), f.value()});
  return core::RequestView{req_.method_string, b_.host_lc, target_, views};
}

// A plain-HTTP request on a route with sslredirect: 308 to the same URL on https:// (the
// --https-listen port unless 443). nullopt: serve the request; else whether the connection stays.
asio::awaitable<std::optional<bool>> Exchange::redirect_to_https(const core::Snapshot& snapshot) {
  const ServerOptions& opts = worker_.options();
  if (!opts.https_listen || forwarded_.proto == "https" || !snapshot.tls.any_redirect()) co_return std::nullopt;
  // The route decide() matched (exchange.cc), by its index in the table.
  const int32_t route = decision_.route == nullptr
                            ? core::Router::kNoMatch
                            : static_cast<int32_t>(decision_.route - snapshot.table.routes.data());
  if (!snapshot.tls.ssl_redirect(route)) co_return std::nullopt;
  const bool keep = req_.keep_alive && !Http1Codec::request_body_pending(b_) && !conn_.draining() && !conn_.closed();
  b_.head.clear();
  if (!write_https_redirect(b_.public_host, opts.https_listen_port, target_, keep, b_.head)) co_return std::nullopt;
  response_status_ = 308;
  worker_.stats().local_responses.fetch_add(1, std::memory_order_relaxed);
  const error_code ec = co_await write_client(b_.head);
  response_complete_ = !ec;
  log_request();
  if (!keep && !ec && !conn_.closed()) conn_.linger_on_close();
  co_return keep && !ec;
}

}  // namespace kb::proxy::net
