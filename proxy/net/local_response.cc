// The proxy's own short text/plain answers (400, 404, 405, 408, 413, 431, 502, 503, 504).
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
  const bool keep = req_.keep_alive && !Http1Codec::request_body_pending(b_) && !conn_.draining() &&
                    !conn_.closed();
  std::string& out = b_.head;
  out.clear();
  write_simple_response(status, text, keep, out);
  if (b_.request && b_.request->is_header_done() && b_.request->get().method() == http::verb::head) {
    out.resize(out.find("\r\n\r\n") + 4);
  }
  response_status_ = status;
  worker_.stats().local_responses.fetch_add(1, std::memory_order_relaxed);
  if (worker_.access_log() && record_.error.empty()) record_.error = text;
  const error_code ec =
      conn_.closed() ? error_code(asio::error::operation_aborted) : co_await write_client(out);
  log_request();
  if (!keep && !ec && !conn_.closed()) conn_.linger_on_close();
  co_return keep && !ec;
}

}  // namespace kb::proxy::net
