// The byte relays of one request: request head + body to the member, response head + body back.
// Every message goes out as one gather write per relay chunk: the header block rides with the
// first body bytes (PERFORMANCE.md: one write per message, no Nagle stall).
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include <algorithm>
#include <array>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>

#include "proxy/net/client_session.h"
#include "proxy/net/head_writer.h"
#include "proxy/net/route_cookie.h"
#include "proxy/net/session_util.h"
#include "proxy/net/worker.h"

namespace kb::proxy::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;
using detail::with;

namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kLastChunk = "0\r\n\r\n";
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

asio::const_buffer buf(std::string_view s) { return asio::buffer(s.data(), s.size()); }

}  // namespace

asio::awaitable<ClientSession::SendResult> ClientSession::send_request() {
  if (sent_once_) {
    // A retry: the request went out whole in its first write, so send it again (new head: the
    // member, and with it Host and the base path, may have changed).
    if (!replayable_) co_return SendResult::kUpstreamError;
    first_write_[0] = asio::buffer(head_);
    arm(io_timeout_);
    error_code ec;
    bytes_to_ += co_await asio::async_write(up_->socket, first_write_, with(ec));
    co_return ec ? SendResult::kUpstreamError : SendResult::kOk;
  }
  sent_once_ = true;
  replayable_ = false;

  if (expect_continue_ && !sent_continue_ && !req_->is_done() && client_buf_.size() == 0) {
    // Answering 100 ourselves (and dropping Expect) can never deadlock: the member sees an
    // ordinary request with its body.
    sent_continue_ = true;
    if (co_await write_client(kContinue)) co_return SendResult::kClientError;
  }

  auto& body = req_->get().body();
  const bool chunked = req_->chunked();
  const ServerOptions& opts = worker_.options();
  req_->eager(true);
  bool first = true;
  for (;;) {
    std::size_t got = 0;
    if (!req_->is_done()) {
      body.data = body_buf_.get();
      body.size = detail::kBodyBufSize;
      for (;;) {
        if (client_buf_.size() > 0) {
          error_code pec;
          const std::size_t n = req_->put(client_buf_.data(), pec);
          client_buf_.consume(n);
          if (pec == http::error::need_buffer) break;  // relay chunk full
          if (pec == http::error::need_more) pec = {};
          if (pec) {
            body_error_ = pec;
            co_return SendResult::kBadBody;
          }
          if (req_->is_done()) break;
          if (n > 0 && client_buf_.size() > 0) continue;
        }
        if (body.size != detail::kBodyBufSize) break;  // forward what we have now
        // Bulk bodies: read as much as the relay chunk holds, one syscall per chunk.
        const std::size_t want = std::max(detail::kReadSize, static_cast<std::size_t>(body.size));
        if (client_buf_.size() + want > client_buf_.max_size()) {
          body_error_ = http::error::bad_chunk;
          co_return SendResult::kBadBody;
        }
        arm(opts.idle_timeout);
        error_code ec;
        const std::size_t n = co_await client_.async_read_some(client_buf_.prepare(want), with(ec));
        if (ec || closed_) co_return SendResult::kClientError;
        client_buf_.commit(n);
      }
      got = detail::kBodyBufSize - body.size;
      record_.bytes_in += got;
    }
    const bool done = req_->is_done();
    // Kept in first_write_ so a request that went out whole can be replayed on another connection.
    first_write_ = {};
    std::size_t nb = 0;
    if (first) first_write_[nb++] = asio::buffer(head_);
    if (got > 0) {
      if (chunked) {
        char prefix[24];
        const std::size_t len = write_chunk_prefix(got, prefix);
        std::copy(prefix, prefix + len, first_prefix_.begin());
        first_write_[nb++] = asio::buffer(first_prefix_.data(), len);
        first_write_[nb++] = asio::buffer(body_buf_.get(), got);
        first_write_[nb++] = buf(kCrlf);
      } else {
        first_write_[nb++] = asio::buffer(body_buf_.get(), got);
      }
    }
    if (done && chunked) first_write_[nb++] = buf(kLastChunk);
    if (nb > 0) {
      arm(io_timeout_);
      error_code ec;
      bytes_to_ += co_await asio::async_write(up_->socket, first_write_, with(ec));
      if (ec || closed_) co_return closed_ ? SendResult::kClientError : SendResult::kUpstreamError;
    }
    if (first) replayable_ = done;
    first = false;
    if (done) {
      request_sent_ = true;
      co_return SendResult::kOk;
    }
  }
}

asio::awaitable<ClientSession::ReadResult> ClientSession::read_response_header() {
  const std::size_t limit = std::max<std::size_t>(worker_.options().max_header_bytes, 8192);
  const bool head_request = req_->get().method() == http::verb::head;
  auto fresh_parser = [&] {
    res_.emplace(std::piecewise_construct, std::make_tuple(),
                 std::make_tuple(ArenaAllocator<char>(arena_)));
    res_->header_limit(static_cast<std::uint32_t>(limit));
    res_->body_limit(detail::kNoLimit);
    if (head_request) res_->skip(true);
  };
  fresh_parser();
  auto& in = up_->buffer;
  bool got_any = false;
  arm(io_timeout_);
  for (;;) {
    if (in.size() > 0) {
      error_code pec;
      const std::size_t n = res_->put(in.data(), pec);
      if (!pec && res_->is_header_done()) {
        const unsigned status = res_->get().result_int();
        if (status >= 100 && status < 200 && status != 101) {
          // Interim responses: 102 Processing and 103 Early Hints go on to an HTTP/1.1 client
          // as the member sent them (never to HTTP/1.0, RFC 9110 15.2); 100 Continue is the
          // proxy's own business (send_request answers Expect itself).
          if (status != 100 && req_->get().version() >= 11) {
            const std::string interim(static_cast<const char*>(in.data().data()), n);
            in.consume(n);
            if (co_await write_client(interim)) co_return ReadResult::kClientGone;
            arm(io_timeout_);
          } else {
            in.consume(n);
          }
          fresh_parser();
          continue;
        }
        in.consume(n);
        // strict: the member's framing is held to RFC 9112 before anything reaches the client;
        // kBadResponse answers 502 and closes the member connection.
        if (const http1::Verdict strict = http1::check_response_head(res_->get().base()); !strict.ok()) {
          if (worker_.access_log()) record_.error = strict.reason;
          co_return ReadResult::kBadResponse;
        }
        co_return ReadResult::kOk;
      }
      in.consume(n);
      if (pec && pec != http::error::need_more) co_return ReadResult::kBadResponse;
    }
    if (in.size() + detail::kReadSize > limit + 2 * detail::kReadSize)
      co_return ReadResult::kBadResponse;
    error_code ec;
    const std::size_t n =
        co_await up_->socket.async_read_some(in.prepare(detail::kReadSize), with(ec));
    if (ec || closed_) {
      if (timed_out_) co_return ReadResult::kTimeout;
      co_return got_any ? ReadResult::kBadResponse : ReadResult::kNoResponse;
    }
    in.commit(n);
    bytes_from_ += n;
    got_any = true;
  }
}

asio::awaitable<bool> ClientSession::relay_response(core::Balancer& balancer,
                                                    const core::Member& member,
                                                    const core::Pick& pick) {
  const ServerOptions& opts = worker_.options();
  auto& msg = res_->get();
  const unsigned status = msg.result_int();
  response_status_ = status;
  balancer.on_response(member, static_cast<int>(status), false, Clock::now());
  const auto& req = req_->get();
  const bool client11 = req.version() >= 11;

  if (status == 101) {
    if (!req_->upgrade()) {
      release_upstream(false);
      balancer.on_done(member, bytes_to_, bytes_from_);
      co_return co_await respond_local(502, "member switched protocols unasked");
    }
    const bool ok = co_await tunnel();
    balancer.on_done(member, bytes_to_ + tunnel_up_bytes_, bytes_from_ + tunnel_down_bytes_);
    log_request();
    co_return ok;
  }

  ResponseHead rh;
  rh.status = status;
  rh.reason = msg.reason();
  if (req.method() == http::verb::head || status == 304) {
    rh.framing = Framing::kNone;
    rh.keep_content_length = true;
  } else if (status == 204 || status < 200) {
    rh.framing = Framing::kNone;
  } else if (const auto cl = res_->content_length()) {
    rh.framing = Framing::kLength;
    rh.content_length = *cl;
  } else {
    rh.framing = client11 ? Framing::kChunked : Framing::kClose;
  }
  const bool keep = client_keep_alive_ && rh.framing != Framing::kClose && !draining_;
  rh.keep_alive = keep;
  rh.client_http10 = !client11;
  const ReverseRule rule{member.host, member.port, member.base_path, opts.public_scheme,
                         public_host_};
  rh.rewrite = public_host_.empty() ? nullptr : &rule;
  const auto& sticky = balancer.config().sticky;
  scratch_.clear();
  if (!sticky.route_cookie.name.empty() && pick.route_changed && member.config != nullptr &&
      !member.config->route.empty()) {
    append_route_cookie(sticky.route_cookie, sticky.separator, member.config->route, scratch_);
    rh.set_cookie = scratch_;
  }
  head_.clear();
  write_response_head<ArenaFields>(rh, msg, head_);

  auto& body = msg.body();
  auto& in = up_->buffer;
  const bool chunked = rh.framing == Framing::kChunked;
  res_->eager(true);
  bool head_pending = true;
  bool broken = false;
  std::array<asio::const_buffer, 5> out;
  char prefix[24];
  for (;;) {
    std::size_t got = 0;
    if (!res_->is_done()) {
      body.data = body_buf_.get();
      body.size = detail::kBodyBufSize;
      for (;;) {
        if (in.size() > 0) {
          error_code pec;
          const std::size_t n = res_->put(in.data(), pec);
          in.consume(n);
          if (pec == http::error::need_buffer) break;
          if (pec == http::error::need_more) pec = {};
          if (pec) {
            broken = true;
            break;
          }
          if (res_->is_done()) break;
          if (n > 0 && in.size() > 0) continue;
        }
        if (body.size != detail::kBodyBufSize) break;
        arm(io_timeout_);
        error_code ec;
        const std::size_t want = std::max(detail::kReadSize, static_cast<std::size_t>(body.size));
        const std::size_t n = co_await up_->socket.async_read_some(in.prepare(want), with(ec));
        if (ec == asio::error::eof) {
          error_code pec;
          res_->put_eof(pec);  // completes a close-delimited body; anything else is truncated
          if (pec) broken = true;
          break;
        }
        if (ec || closed_) {
          broken = true;
          break;
        }
        in.commit(n);
        bytes_from_ += n;
      }
      got = detail::kBodyBufSize - body.size;
    }
    if (broken && head_pending) {
      release_upstream(false);
      balancer.on_done(member, bytes_to_, bytes_from_);
      co_return co_await respond_local(502, "member sent a truncated or invalid response");
    }
    if (broken) {
      // Too late for an error status: closing tells the client the body is incomplete.
      release_upstream(false);
      balancer.on_done(member, bytes_to_, bytes_from_);
      if (worker_.access_log()) record_.error = "member response truncated";
      log_request();
      co_return false;
    }
    const bool done = res_->is_done();
    out = {};
    std::size_t nb = 0;
    if (head_pending) out[nb++] = asio::buffer(head_);
    if (got > 0) {
      if (chunked) {
        out[nb++] = asio::buffer(prefix, write_chunk_prefix(got, prefix));
        out[nb++] = asio::buffer(body_buf_.get(), got);
        out[nb++] = buf(kCrlf);
      } else {
        out[nb++] = asio::buffer(body_buf_.get(), got);
      }
    }
    if (done && chunked) out[nb++] = buf(kLastChunk);
    if (nb > 0) {
      arm(opts.idle_timeout);
      error_code ec;
      co_await asio::async_write(client_, out, with(ec));
      if (ec || closed_) {
        release_upstream(false);
        balancer.on_done(member, bytes_to_, bytes_from_);
        log_request();
        co_return false;
      }
    }
    record_.bytes_out += got;
    head_pending = false;
    if (done) break;
  }
  release_upstream(res_->keep_alive() && request_sent_);
  balancer.on_done(member, bytes_to_, bytes_from_);
  log_request();
  co_return keep;
}

}  // namespace kb::proxy::net
