// The proxy's own answers: short text/plain ones (400, 403, 404, 405, 408, 413, 431, 502, 503, 504)
// and a route's redirects.
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include "proxy/net/connection.h"
#include "proxy/net/exchange.h"
#include "proxy/net/head_writer.h"
#include "proxy/net/worker.h"

namespace kb::proxy::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;

asio::awaitable<bool> Exchange::respond_local(unsigned status, std::string_view text) {
  const bool keep = local_keep_alive();
  std::string& out = b_.head;
  out.clear();
  write_simple_response(status, text, keep, out);
  if (b_.request && b_.request->is_header_done() && b_.request->get().method() == http::verb::head) {
    out.resize(out.find("\r\n\r\n") + 4);
  }
  if (worker_.access_log() && record_.error.empty()) record_.error = text;
  co_return co_await send_local(status, keep);
}

// A route's `redirect`: status and Location, no body (route_actions.cc).
asio::awaitable<bool> Exchange::respond_redirect(unsigned status, std::string_view location) {
  const bool keep = local_keep_alive();
  b_.head.clear();
  write_redirect_response(status, location, keep, b_.head);
  co_return co_await send_local(status, keep);
}

// Unread request body bytes close the connection after a local answer.
bool Exchange::local_keep_alive() const {
  return req_.keep_alive && !Http1Codec::request_body_pending(b_) && !conn_.draining() && !conn_.closed();
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
