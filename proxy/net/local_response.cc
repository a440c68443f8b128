// The proxy's own answers: short text/plain ones (400, 403, 404, 405, 408, 413, 431, 502, 503, 504)
// and a route's redirects.
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include "proxy/net/connection.h"
#include "proxy/net/exchange.h"
#include "proxy/net/head_writer.h"
#include "proxy/net/worker.h"

namespace kb::proxy::net {

namespace asio = boost::asio;
using boost::system::error_code;

// Once the request's scheme and host are known (decide_scheme), an HTTPS request of an HSTS host
// gets Strict-Transport-Security on these answers too, as on relayed ones (docs/tls.md).
asio::awaitable<bool> Exchange::respond_local(unsigned status, std::string_view text) {
  const bool keep = keep_alive();
  std::string& out = b_.head;
  out.clear();
  write_simple_response(status, text, keep, out, hsts_);
  if (head_request()) out.resize(out.find("\r\n\r\n") + 4);
  if (worker_.access_log() && record_.error.empty()) record_.error = text;
  co_return co_await send_local(status, keep);
}

// A route's `redirect` and sslredirect's 308 to https://: status and Location, no body.
asio::awaitable<bool> Exchange::respond_redirect(unsigned status, std::string_view location) {
  const bool keep = keep_alive();
  b_.head.clear();
  write_redirect_response(status, location, keep, b_.head, hsts_);
  co_return co_await send_local(status, keep);
}

// Writes b_.head to the client and logs the request.
asio::awaitable<bool> Exchange::send_local(unsigned status, bool keep) {
  response_status_ = status;
  worker_.stats().local_responses.fetch_add(1, std::memory_order_relaxed);
  const error_code ec =
      conn_.closed() ? error_code(asio::error::operation_aborted) : co_await write_client(b_.head);
  response_complete_ = !ec;
  log_request();
  if (!keep && !ec && !conn_.closed()) conn_.linger_on_close();
  co_return keep && !ec;
}

}  // namespace kb::proxy::net
