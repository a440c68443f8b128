// The member side of one attempt: the request (head + body through the body pump, answering
// Expect: 100-continue itself) and the response head (interim 1xx responses handled here).
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <string>

#include "proxy/net/body_pump.h"
#include "proxy/net/connection.h"
#include "proxy/net/exchange.h"
#include "proxy/net/http1_rules.h"
#include "proxy/net/session_util.h"
#include "proxy/net/worker.h"

namespace kb::proxy::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;
using detail::with;

asio::awaitable<Exchange::SendResult> Exchange::send_request() {
  if (sent_once_) co_return co_await resend_request();
  sent_once_ = true;
  replayable_ = false;
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  if (req_.expect_continue && !sent_continue_ && !b_.request->is_done() && b_.client_in.size() == 0) {
    // Answering 100 ourselves (and dropping Expect) can never deadlock: the member sees an
    // ordinary request with its body.
    sent_continue_ = true;
    if (co_await write_client(kContinue)) co_return SendResult::kClientError;
  }
  if (req_.has_body) {
    // The body goes up beside the response read (upload.cc); end_upload() collects its result.
    start_upload();
    co_return SendResult::kOk;
  }
  // No body: the head alone, kept in b_.request_write for a replay.
  error_code ec;
  b_.request_write = {};
  b_.request_write[0] = asio::buffer(b_.head);
  conn_.arm(send_timeout_);
  bytes_to_ += co_await asio::async_write(up_->socket, asio::buffer(b_.head), with(ec));
  if (ec) co_return conn_.closed() ? SendResult::kClientError : SendResult::kUpstreamError;
  request_sent_ = true;
  replayable_ = true;
  co_return SendResult::kOk;
}

// A retry: the request went out whole in its first write, so send it again (new head: the member,
// and with it Host and the base path, may have changed).
asio::awaitable<Exchange::SendResult> Exchange::resend_request() {
  if (!replayable_) co_return SendResult::kUpstreamError;
  b_.request_write[0] = asio::buffer(b_.head);
  conn_.arm(send_timeout_);
  error_code ec;
  bytes_to_ += co_await asio::async_write(up_->socket, b_.request_write, with(ec));
  co_return ec ? SendResult::kUpstreamError : SendResult::kOk;
}

void Exchange::fresh_response_parser() {
  const std::size_t limit = std::max<std::size_t>(worker_.options().max_header_bytes, 8192);
  b_.response.emplace(std::piecewise_construct, std::make_tuple(),
                      std::make_tuple(ArenaAllocator<char>(b_.arena)));
  b_.response->header_limit(static_cast<std::uint32_t>(limit));
  b_.response->body_limit(detail::kNoLimit);
  if (head_request()) b_.response->skip(true);
}

asio::awaitable<Exchange::ReadResult> Exchange::read_response_header() {
  const std::size_t limit = std::max<std::size_t>(worker_.options().max_header_bytes, 8192);
  fresh_response_parser();
  auto& in = up_->buffer;
  bool got_any = false;
  conn_.arm(io_timeout_);
  for (;;) {
    if (in.size() > 0) {
      error_code pec;
      const std::size_t n = b_.response->put(in.data(), pec);
      if (!pec && b_.response->is_header_done()) {
        const unsigned status = b_.response->get().result_int();
        if (status < 100 || status >= 200 || status == 101) {
          in.consume(n);
          // strict: the member's framing is held to RFC 9112 before anything reaches the client;
          // kBadResponse answers 502 and closes the member connection.
          if (const http1::Verdict strict = http1::check_response_head(b_.response->get().base());
              !strict.ok()) {
            if (worker_.access_log()) record_.error = strict.reason;
            co_return ReadResult::kBadResponse;
          }
          co_return ReadResult::kOk;
        }
        // Interim responses: 102 Processing and 103 Early Hints go on to an HTTP/1.1 client as
        // the member sent them (never to HTTP/1.0, RFC 9110 15.2); 100 Continue is the proxy's
        // own business (send_request answers Expect itself).
        if (status != 100 && req_.version >= 11) {
          const std::string interim(static_cast<const char*>(in.data().data()), n);
          in.consume(n);
          if (co_await write_client(interim)) co_return ReadResult::kClientGone;
          conn_.arm(io_timeout_);
        } else {
          in.consume(n);
        }
        fresh_response_parser();
        continue;
      }
      in.consume(n);
      if (pec && pec != http::error::need_more) co_return ReadResult::kBadResponse;
    }
    if (in.size() + detail::kReadSize > limit + 2 * detail::kReadSize) co_return ReadResult::kBadResponse;
    error_code ec;
    const std::size_t n = co_await up_->socket.async_read_some(in.prepare(detail::kReadSize), with(ec));
    if (ec || conn_.closed()) {
      if (conn_.timed_out()) co_return ReadResult::kTimeout;
      co_return got_any ? ReadResult::kBadResponse : ReadResult::kNoResponse;
    }
    in.commit(n);
    bytes_from_ += n;
    got_any = true;
  }
}

}  // namespace kb::proxy::net
