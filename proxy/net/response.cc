// Relaying the member's response: status bookkeeping, the rewritten head (ProxyPassReverse, route
// cookie, re-framing for the client's version), the body through the body pump.
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include "proxy/net/body_pump.h"
#include "proxy/net/connection.h"
#include "proxy/net/exchange.h"
#include "proxy/net/head_writer.h"
#include "proxy/net/route_cookie.h"
#include "proxy/net/worker.h"

namespace kb::proxy::net {

namespace asio = boost::asio;

// Member -> client: member reads under the response timeout, client writes under idle_timeout.
struct Exchange::ResponsePumpHooks {
  Exchange& x;
  bool wrote = false;  // the head went out: too late for an error status
  void before_read() { x.conn_.arm(x.io_timeout_); }
  void on_read(std::size_t n) { x.bytes_from_ += n; }
  void before_write() { x.conn_.arm(x.worker_.options().idle_timeout); }
  void on_written(std::size_t) { wrote = true; }
  void on_chunk(std::size_t got, bool written, bool, bool) {
    if (written) x.record_.bytes_out += got;
  }
  bool closed() const { return x.conn_.closed(); }
};

Framing Exchange::build_response_head(const core::Balancer& balancer, const core::Member& member,
                                      const core::Pick& pick, bool keep) {
  const auto& msg = b_.response->get();
  const unsigned status = msg.result_int();
  ResponseHead rh;
  rh.status = status;
  rh.reason = msg.reason();
  if (head_request() || status == 304) {
    rh.framing = Framing::kNone;
    rh.keep_content_length = true;
  } else if (status == 204 || status < 200) {
    rh.framing = Framing::kNone;
  } else if (const auto cl = b_.response->content_length()) {
    rh.framing = Framing::kLength;
    rh.content_length = *cl;
  } else {
    // HTTP/2: DATA frames delimit the body, so it goes out raw (h2_stream_io.h).
    rh.framing = req_.version >= 11 && !conn_.http2() ? Framing::kChunked : Framing::kClose;
  }
  rh.keep_alive = keep && rh.framing != Framing::kClose;
  rh.client_http10 = req_.version < 11;
  const ReverseRule rule{member.host, member.port, member.base_path, forwarded_.proto, b_.public_host};
  rh.hsts = hsts_;
  rh.rewrite = b_.public_host.empty() ? nullptr : &rule;
  const auto& sticky = balancer.config().sticky;
  b_.scratch.clear();
  if (!sticky.route_cookie.name.empty() && pick.route_changed && member.config != nullptr &&
      !member.config->route.empty()) {
    append_route_cookie(sticky.route_cookie, sticky.separator, member.config->route, b_.scratch);
    rh.set_cookie = b_.scratch;
  }
  b_.head.clear();
  write_response_head<ArenaFields>(rh, msg, b_.head);
  return rh.framing;
}

asio::awaitable<bool> Exchange::relay_response(core::Balancer& balancer, const core::Member& member,
                                               const core::Pick& pick) {
  const unsigned status = b_.response->get().result_int();
  response_status_ = status;
  balancer.on_response(member, static_cast<int>(status), false, Clock::now());
  if (status == 101) {
    co_await end_upload(true);  // a body before a switch is not relayed on
    if (!req_.upgrade) {
      release_upstream(false);
      balancer.on_done(member, bytes_to_, bytes_from_);
      co_return co_await respond_local(502, "member switched protocols unasked");
    }
    const bool ok = co_await tunnel();
    balancer.on_done(member, bytes_to_ + tunnel_up_bytes_, bytes_from_ + tunnel_down_bytes_);
    log_request();
    co_return ok;
  }
  const bool want_keep = client_keep_alive();  // exchange.cc; the body is checked below
  modify_response_headers();  // route_actions.cc
  const Framing framing = build_response_head(balancer, member, pick, want_keep);
  const bool keep = want_keep && framing != Framing::kClose;
  const PumpPlan plan{b_.head, framing == Framing::kChunked, true, 0, b_.body.get(),
                      &b_.response_write, &b_.response_prefix};
  ResponsePumpHooks hooks{*this};
  const PumpResult r =
      co_await pump_body(*b_.response, up_->buffer, up_->socket, conn_.stream(), plan, hooks);
  // The request body may still be going up (upload.cc): a response that ended first stops it,
  // and then neither connection can be reused (the client's unread body is drained on close).
  co_await end_upload(true);
  if (Http1Codec::request_body_pending(b_) && !conn_.closed()) conn_.linger_on_close();
  if (r.end != PumpEnd::kDone) {
    release_upstream(false);
    balancer.on_done(member, bytes_to_, bytes_from_);
    if (r.end != PumpEnd::kSinkGone) {
      if (!hooks.wrote) co_return co_await respond_local(502, "member sent a truncated or invalid response");
      // Too late for an error status: closing tells the client the body is incomplete.
      if (worker_.access_log()) record_.error = "member response truncated";
    }
    log_request();
    co_return false;
  }
  response_complete_ = true;
  release_upstream(b_.response->keep_alive() && request_sent_);
  balancer.on_done(member, bytes_to_, bytes_from_);
  log_request();
  co_return keep && !Http1Codec::request_body_pending(b_);
}

}  // namespace kb::proxy::net
