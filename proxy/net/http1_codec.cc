#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include "proxy/net/http1_codec.h"

#include <boost/beast/http/error.hpp>

#include "proxy/net/client_side.h"
#include "proxy/net/hop_by_hop.h"
#include "proxy/net/http1_rules.h"
#include "proxy/net/session_util.h"
#include "proxy/net/worker.h"

namespace kb::proxy::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;
using detail::with;

void Http1Codec::start_request(ExchangeBuffers& b, const ServerOptions& opts) {
  b.request.reset();
  b.response.reset();
  b.arena.reset();  // nothing allocated from it is alive now
  b.request.emplace(std::piecewise_construct, std::make_tuple(),
                    std::make_tuple(ArenaAllocator<char>(b.arena)));
  b.request->header_limit(static_cast<std::uint32_t>(opts.max_header_bytes));
  b.request->body_limit(opts.max_body_bytes > 0 ? opts.max_body_bytes : detail::kNoLimit);
}

HeadRead Http1Codec::reject(error_code pec) {
  if (pec == http::error::header_limit) return {HeadStatus::kReject, 431, "request header too large"};
  if (pec == http::error::body_limit) return {HeadStatus::kReject, 413, "request body too large"};
  return {HeadStatus::kReject, 400, "malformed request"};
}

HeadRead Http1Codec::accept_request_head(const ExchangeBuffers&) { return {}; }

asio::awaitable<HeadRead> Http1Codec::read_request_head(ExchangeBuffers& b) {
  const ServerOptions& opts = conn_.worker().options();
  start_request(b, opts);
  RequestParser& req = *b.request;
  auto& in = b.client_in;
  // strict: the raw head is checked whole before Beast parses any of it (http1_rules.h).
  http1::HeadScanner scan(http1::Limits{opts.max_request_line, opts.max_header_count, opts.max_header_bytes});
  bool stripped = false;
  conn_.arm(opts.client_header_timeout);
  for (;;) {
    if (in.size() > 0 && scan.state() != http1::HeadScanner::State::kDone) {
      scan.feed({static_cast<const char*>(in.data().data()), in.size()});
      if (scan.state() == http1::HeadScanner::State::kError)
        co_return HeadRead{HeadStatus::kReject, scan.verdict().status, scan.verdict().reason};
    }
    if (in.size() > 0 && scan.state() == http1::HeadScanner::State::kDone) {
      // strict: with Transfer-Encoding, the Content-Length lines go before Beast sees the head
      // (Beast refuses the pair; RFC 9112 6.1 lets TE win). Once: the head is complete here.
      if (!stripped) in.consume(scan.strip_content_length(static_cast<char*>(in.data().data())));
      stripped = true;
      error_code pec;
      in.consume(req.put(in.data(), pec));
      if (req.is_header_done() && (!pec || pec == http::error::need_more)) {
        HeadRead ok = accept_request_head(b);
        ok.close_after = scan.te_with_content_length();
        co_return ok;
      }
      if (pec && pec != http::error::need_more) co_return reject(pec);
    }
    if (conn_.draining() && in.size() == 0 && !req.got_some()) co_return HeadRead{HeadStatus::kClose, 0, {}};
    if (in.size() + detail::kReadSize > in.max_size()) co_return reject(http::error::header_limit);
    error_code ec;
    const std::size_t n =
        co_await conn_.stream().async_read_some(in.prepare(detail::kReadSize), with(ec));
    if (ec) {
      const bool partial = in.size() > 0 || req.got_some();
      if (conn_.timed_out() && partial && !conn_.closed())
        co_return HeadRead{HeadStatus::kReject, 408, "request header timeout"};
      co_return HeadRead{HeadStatus::kClose, 0, {}};
    }
    in.commit(n);
  }
}

RequestInfo Http1Codec::request_info(const ExchangeBuffers& b) {
  const RequestParser& req = *b.request;
  const auto& msg = req.get();
  RequestInfo r;
  r.method = msg.method();
  r.method_string = msg.method_string();
  r.target = msg.target();
  r.host = msg[http::field::host];
  r.version = msg.version();
  r.keep_alive = req.keep_alive();
  r.chunked = req.chunked();
  if (const auto cl = req.content_length()) {
    r.has_length = true;
    r.content_length = *cl;
  }
  r.has_body = r.chunked || (r.has_length && r.content_length > 0);
  r.upgrade = req.upgrade();
  r.expect_continue =
      r.has_body && r.version >= 11 && iequals(msg[http::field::expect], "100-continue");
  r.fields = &static_cast<const ArenaFields&>(msg);
  return r;
}

bool Http1Codec::request_body_pending(const ExchangeBuffers& b) {
  return !b.request || !b.request->is_header_done() || !b.request->is_done();
}

}  // namespace kb::proxy::net
