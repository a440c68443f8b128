// The one attempt loop: pick a member, connect (or reuse a pooled connection), send, read the
// response head, and fail over by the rules in proxy_server.h. The statuses it answers with when
// no attempt succeeds (502, 503, 504) are decided here and nowhere else.
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/error.hpp>

#include "proxy/net/connection.h"
#include "proxy/net/exchange.h"
#include "proxy/net/session_util.h"
#include "proxy/net/worker.h"

namespace kb::proxy::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using detail::with;

struct Exchange::Attempt {
  core::StickyRequest sticky;
  core::Pick pick;
  const core::Member* member = nullptr;
  int failovers = 0;
  bool fresh_only = false;  // the pooled connection was dead: retry once on a new one
  bool need_pick = true;
  bool reused = false;
};

// The steps that complete at once on the common path (a member picked, a pooled connection) are
// plain functions: a coroutine call costs a frame allocation even when it never suspends.
asio::awaitable<bool> Exchange::proxy(core::Balancer& balancer) {
  modify_request_headers();  // route_actions.cc: after the session lookup's cookies (forwarding.cc)
  b_.tried.clear();
  Attempt a;
  a.sticky = core::StickyRequest{req_.target, b_.cookies};
  for (;;) {
    if (a.need_pick) {
      pick(balancer, a);
      if (a.member == nullptr) {
        if (auto answered = co_await no_member(balancer, a)) co_return *answered;
      }
      picked(a);
    }
    a.need_pick = true;
    set_route_timeouts(balancer, *a.member);
    if (!take_pooled(a)) {
      if (auto answered = co_await open_upstream(balancer, a)) co_return *answered;
      if (!up_) continue;  // the connect failed: fail over
    }

    build_request_head(balancer, *a.member);
    const auto sent_at = Clock::now();
    member_phase_ = true;  // from here a client that hangs up ends the exchange (upload.cc)
    SendResult sent = co_await send_request();
    ReadResult got = ReadResult::kNoResponse;
    if (sent == SendResult::kOk) got = co_await read_response_header();
    if (sent == SendResult::kOk && got == ReadResult::kOk) {
      // Per-member response class and latency for /metrics: atomics, no label lookup here.
      a.member->state->record_response(
          static_cast<int>(b_.response->get().result_int()),
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent_at));
      const bool keep = co_await relay_response(balancer, *a.member, a.pick);
      member_phase_ = false;
      co_return keep;
    }
    // The body's upload failed first (the client, its body) or the response did (then stop it).
    if (const SendResult upload = co_await end_upload(true); upload != SendResult::kOk) sent = upload;
    member_phase_ = false;
    release_upstream(false);
    if (auto answered = co_await after_failure(balancer, a, sent, got)) co_return *answered;
  }
}

void Exchange::pick(core::Balancer& balancer, Attempt& a) {
  a.pick = balancer.pick(a.sticky, b_.tried, Clock::now());
  a.member = a.pick.member;
}

// pick() found no member: wait for one (the balancer's timeout) or answer. nullopt: one was found.
asio::awaitable<std::optional<bool>> Exchange::no_member(core::Balancer& balancer, Attempt& a) {
  if (b_.tried.empty() && balancer.config().timeout.count() > 0 &&
      !(a.pick.failover && balancer.config().nofailover)) {
    co_await wait_for_member(balancer, a);
  }
  if (a.member != nullptr) co_return std::nullopt;
  // After failed attempts Apache answers 503 too (its scheme handler's connect failure).
  if (!b_.tried.empty() && !(a.pick.failover && balancer.config().nofailover))
    co_return co_await respond_local(503, "no member could be reached");
  co_return co_await respond_local(a.pick.error_status > 0 ? a.pick.error_status : 503, "no member available");
}

// A member was picked for the next attempt.
void Exchange::picked(Attempt& a) {
  ++attempts_;
  bytes_to_ = bytes_from_ = 0;
  a.fresh_only = false;
  if (worker_.access_log()) {
    const core::Member& m = *a.member;
    record_.member = m.config != nullptr ? m.config->name : m.host_header;
    record_.route = m.config != nullptr ? m.config->route : std::string();
    record_.session_route = a.pick.session_route;
  }
}

// Apache's balancer `timeout`: wait for a member to become usable, polling every timeout/100 (as
// mod_proxy_balancer sleeps), before answering 503.
asio::awaitable<void> Exchange::wait_for_member(core::Balancer& balancer, Attempt& a) {
  const auto deadline = Clock::now() + balancer.config().timeout;
  asio::steady_timer timer(conn_.stream().get_executor());
  const auto step = std::max<Clock::duration>(balancer.config().timeout / 100,
                                              std::chrono::milliseconds(10));
  while (a.member == nullptr && !conn_.closed() && Clock::now() < deadline) {
    error_code ec;
    timer.expires_after(step);
    co_await timer.async_wait(with(ec));
    if (ec) break;
    a.pick = balancer.pick(a.sticky, b_.tried, Clock::now());
    a.member = a.pick.member;
  }
}

// A pooled connection to the picked member in up_, unless the last one was found dead.
bool Exchange::take_pooled(Attempt& a) {
  a.reused = false;
  if (!a.fresh_only) up_ = worker_.pool().acquire(a.member->host_header);
  if (!up_) return false;
  a.reused = true;
  worker_.stats().upstream_connections_reused.fetch_add(1, std::memory_order_relaxed);
  return true;
}

// A new connection in up_; on a connect failure up_ stays empty and the result says whether the
// exchange is over (a value) or fails over (nullopt).
asio::awaitable<std::optional<bool>> Exchange::open_upstream(core::Balancer& balancer, Attempt& a) {
  const core::Member& member = *a.member;
  const error_code ec = co_await connect(member, route_connect_timeout(balancer, member));
  if (!ec) co_return std::nullopt;
  worker_.stats().upstream_connect_failures.fetch_add(1, std::memory_order_relaxed);
  release_upstream(false);
  balancer.on_failure(member, Clock::now());
  balancer.on_done(member, 0, 0);
  b_.tried.push_back(&member);
  if (conn_.closed()) co_return false;
  if (a.failovers < max_attempts(balancer)) {
    ++a.failovers;
    co_return std::nullopt;
  }
  if (worker_.access_log()) record_.error = "connect: " + ec.message();
  co_return co_await respond_local(503, "no member could be reached");  // as Apache
}

// After an attempt without a usable response: answer, or nullopt to try again.
asio::awaitable<std::optional<bool>> Exchange::after_failure(core::Balancer& balancer, Attempt& a,
                                                             SendResult sent, ReadResult got) {
  const core::Member& member = *a.member;
  if (sent == SendResult::kClientError || sent == SendResult::kBadBody ||
      sent == SendResult::kSlowBody || got == ReadResult::kClientGone || conn_.closed()) {
    balancer.on_done(member, bytes_to_, bytes_from_);
    if (sent == SendResult::kBadBody && !conn_.closed()) {
      const bool too_big = body_error_ == http::error::body_limit;
      co_return co_await respond_local(too_big ? 413 : 400,
                                       too_big ? "request body too large" : "malformed request body");
    }
    // nginx's client_body_timeout: 408, and the connection closes (the body was not read).
    if (sent == SendResult::kSlowBody && !conn_.closed())
      co_return co_await respond_local(408, "request body too slow");
    if (response_status_ == 0 && sent != SendResult::kBadBody) {
      response_status_ = 499;  // nginx's "client closed request", for the access log
      if (worker_.access_log()) record_.error = "client closed the connection";
    }
    log_request();
    co_return false;
  }
  // A write of the request that outlived the send timeout (the route's sendtimeout) is a timeout
  // like a late response (nginx's proxy_send_timeout: 504), not a member that closed.
  const bool send_timed_out = sent == SendResult::kUpstreamError && conn_.timed_out();
  if (got == ReadResult::kTimeout || send_timed_out) {
    worker_.stats().upstream_timeouts.fetch_add(1, std::memory_order_relaxed);
    balancer.on_response(member, 0, true, Clock::now());
    balancer.on_done(member, bytes_to_, bytes_from_);
    co_return co_await respond_local(504, send_timed_out ? "member did not take the request in time"
                                                         : "member did not answer in time");
  }
  if (got == ReadResult::kNoResponse || sent == SendResult::kUpstreamError) {
    if (a.reused && replayable_) {
      // A keep-alive connection the member had already closed: not the member's fault.
      worker_.stats().upstream_stale_retries.fetch_add(1, std::memory_order_relaxed);
      a.fresh_only = true;
      a.need_pick = false;
      co_return std::nullopt;
    }
    balancer.on_done(member, bytes_to_, bytes_from_);
    b_.tried.push_back(&member);
    if (replayable_ && !req_.has_body && detail::idempotent(req_.method) &&
        a.failovers < max_attempts(balancer)) {
      ++a.failovers;
      co_return std::nullopt;
    }
    co_return co_await respond_local(502, "member closed the connection without a response");
  }
  balancer.on_done(member, bytes_to_, bytes_from_);
  co_return co_await respond_local(502, "invalid response from member");
}

asio::awaitable<error_code> Exchange::connect(const core::Member& member,
                                              std::chrono::milliseconds timeout) {
  up_ = std::make_unique<UpstreamConn>(worker_.context());
  up_->key = member.host_header;
  error_code ec;
  tcp::endpoint endpoint;
  const auto address = asio::ip::make_address(member.host, ec);
  conn_.arm(timeout);
  if (!ec) {
    endpoint = tcp::endpoint(address, member.port);
  } else {
    tcp::resolver resolver(worker_.context());
    resolver_ = &resolver;
    ec = {};
    const auto results =
        co_await resolver.async_resolve(member.host, std::to_string(member.port), with(ec));
    resolver_ = nullptr;
    if (!ec && results.empty()) ec = asio::error::host_not_found;
    if (ec) co_return conn_.timed_out() ? error_code(asio::error::timed_out) : ec;
    endpoint = *results.begin();
  }
  if (conn_.closed()) co_return asio::error::operation_aborted;
  co_await up_->socket.async_connect(endpoint, with(ec));
  if (ec) co_return conn_.timed_out() ? error_code(asio::error::timed_out) : ec;
  error_code ignored;
  up_->socket.set_option(tcp::no_delay(true), ignored);
  worker_.stats().upstream_connections_opened.fetch_add(1, std::memory_order_relaxed);
  co_return error_code{};
}

}  // namespace kb::proxy::net
