// Connection lifecycle, request header, routing and the attempt loop (pick, connect, send, retry).
// The byte relays live in relay.cc and tunnel.cc.
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include "proxy/net/client_session.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>

#include "proxy/core/snapshot.h"
#include "proxy/net/head_writer.h"
#include "proxy/net/hop_by_hop.h"
#include "proxy/net/session_util.h"
#include "proxy/net/worker.h"

namespace kb::proxy::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using detail::with;

void ClientSession::start(Worker& worker, tcp::socket socket) {
  auto self = std::make_shared<ClientSession>(worker, std::move(socket));
  asio::co_spawn(
      worker.context(), [self]() -> asio::awaitable<void> { co_await self->run(); },
      asio::detached);
}

ClientSession::ClientSession(Worker& worker, tcp::socket socket)
    : worker_(worker),
      client_(std::move(socket)),
      client_buf_(worker.options().max_header_bytes + detail::kBodyBufSize + detail::kReadSize) {
  error_code ec;
  client_.set_option(tcp::no_delay(true), ec);
  const auto remote = client_.remote_endpoint(ec);
  if (!ec) {
    client_ip_ = remote.address().to_string();
    client_port_ = remote.port();
  }
  worker_.link(this);
  worker_.stats().client_connections_active.fetch_add(1, std::memory_order_relaxed);
}

ClientSession::~ClientSession() {
  worker_.unlink(this);
  worker_.stats().client_connections_active.fetch_sub(1, std::memory_order_relaxed);
}

void ClientSession::arm(std::chrono::milliseconds timeout) {
  timed_out_ = false;
  deadline_ = Clock::now() + timeout;
}

void ClientSession::on_sweep(Clock::time_point now) {
  if (now < deadline_) return;
  timed_out_ = true;
  deadline_ = Clock::time_point::max();
  error_code ec;
  client_.cancel(ec);
  if (up_) up_->socket.cancel(ec);
  if (resolver_ != nullptr) resolver_->cancel();
}

void ClientSession::on_drain() {
  draining_ = true;
  if (idle_wait_) {
    error_code ec;
    client_.cancel(ec);
  }
}

void ClientSession::close() {
  closed_ = true;
  draining_ = true;
  error_code ec;
  client_.close(ec);
  if (up_) up_->socket.close(ec);
  if (resolver_ != nullptr) resolver_->cancel();
  if (tunnel_done_) tunnel_done_->cancel();
}

asio::awaitable<void> ClientSession::run() {
  while (!closed_ && co_await serve_one()) {
    ++requests_served_;
  }
  error_code ec;
  release_upstream(false);
  if (!closed_ && linger_) {
    // Closing with unread request bytes would make the kernel send RST, which can destroy the
    // error response before the client reads it: half-close, then drain for a bounded time.
    client_.shutdown(tcp::socket::shutdown_send, ec);
    arm(std::chrono::milliseconds(2000));
    std::size_t drained = 0;
    while (!ec && drained < 16 * 1024 * 1024) {
      client_buf_.consume(client_buf_.size());
      drained += co_await client_.async_read_some(client_buf_.prepare(detail::kReadSize), with(ec));
    }
  }
  client_.shutdown(tcp::socket::shutdown_both, ec);
  client_.close(ec);
}

bool ClientSession::request_body_pending() const {
  return !req_ || !req_->is_header_done() || !req_->is_done();
}

asio::awaitable<ClientSession::HeaderResult> ClientSession::read_request_header() {
  const ServerOptions& opts = worker_.options();
  idle_wait_ = client_buf_.size() == 0;
  // An idle keep-alive connection holds no relay buffer: it goes back to the worker's spares.
  if (idle_wait_ && body_buf_) worker_.give_body_buffer(std::move(body_buf_));
  arm(idle_wait_ && requests_served_ > 0 ? opts.idle_timeout : opts.client_header_timeout);
  for (;;) {
    if (client_buf_.size() > 0) {
      // strict: the raw head is checked whole before Beast parses it (http1_rules.h).
      head_scan_.feed({static_cast<const char*>(client_buf_.data().data()), client_buf_.size()});
      if (head_scan_.state() == http1::HeadScanner::State::kError) {
        co_await respond_local(head_scan_.verdict().status, head_scan_.verdict().reason);
        co_return HeaderResult::kError;
      }
    }
    if (client_buf_.size() > 0 && head_scan_.state() == http1::HeadScanner::State::kDone) {
      error_code pec;
      const std::size_t n = req_->put(client_buf_.data(), pec);
      client_buf_.consume(n);
      if (!pec && req_->is_header_done()) break;
      if (pec && pec != http::error::need_more) {
        const unsigned status = pec == http::error::header_limit ? 431
                                : pec == http::error::body_limit ? 413
                                                                 : 400;
        co_await respond_local(status, status == 431   ? "request header too large"
                                       : status == 413 ? "request body too large"
                                                       : "malformed request");
        co_return HeaderResult::kError;
      }
      if (req_->is_header_done()) break;
    }
    if (draining_ && client_buf_.size() == 0 && !req_->got_some()) co_return HeaderResult::kClose;
    if (client_buf_.size() + detail::kReadSize > client_buf_.max_size()) {
      co_await respond_local(431, "request header too large");
      co_return HeaderResult::kError;
    }
    error_code ec;
    const std::size_t n =
        co_await client_.async_read_some(client_buf_.prepare(detail::kReadSize), with(ec));
    if (ec) {
      const bool partial = client_buf_.size() > 0 || req_->got_some();
      if (timed_out_ && partial && !closed_) {
        co_await respond_local(408, "request header timeout");
      }
      co_return HeaderResult::kClose;
    }
    client_buf_.commit(n);
    if (idle_wait_) {
      idle_wait_ = false;
      arm(opts.client_header_timeout);
    }
  }
  idle_wait_ = false;
  co_return HeaderResult::kOk;
}

asio::awaitable<bool> ClientSession::serve_one() {
  const ServerOptions& opts = worker_.options();
  req_.reset();
  res_.reset();
  arena_.reset();  // nothing allocated from it is alive now
  req_.emplace(std::piecewise_construct, std::make_tuple(),
               std::make_tuple(ArenaAllocator<char>(arena_)));
  req_->header_limit(static_cast<std::uint32_t>(opts.max_header_bytes));
  req_->body_limit(opts.max_body_bytes > 0 ? opts.max_body_bytes : detail::kNoLimit);
  head_scan_ = http1::HeadScanner(http1::Limits{opts.max_request_line, opts.max_header_count, opts.max_header_bytes});
  started_ = Clock::now();
  client_keep_alive_ = false;
  has_body_ = expect_continue_ = sent_continue_ = request_sent_ = false;
  replayable_ = sent_once_ = false;
  bytes_to_ = bytes_from_ = 0;
  response_status_ = 0;
  attempts_ = 0;
  target_ = {};
  public_host_.clear();
  body_error_ = {};
  if (worker_.access_log()) {
    record_ = RequestRecord{};
  }

  const HeaderResult header = co_await read_request_header();
  if (header != HeaderResult::kOk) co_return false;
  started_ = Clock::now();
  if (!body_buf_) body_buf_ = worker_.take_body_buffer();
  if (worker_.access_log()) record_.start = std::chrono::system_clock::now();
  worker_.stats().requests.fetch_add(1, std::memory_order_relaxed);

  auto& msg = req_->get();
  client_keep_alive_ = req_->keep_alive();
  const auto content_length = req_->content_length();
  has_body_ = req_->chunked() || (content_length && *content_length > 0);
  expect_continue_ =
      has_body_ && msg.version() >= 11 && iequals(msg[http::field::expect], "100-continue");

  if (msg.method() == http::verb::connect)
    co_return co_await respond_local(405, "CONNECT is not supported");
  // strict: framing, Host and target rules (http1_rules.h); a refusal closes the connection.
  const http1::RequestVerdict strict = http1::check_request_head(msg.base());
  if (!strict.ok()) {
    client_keep_alive_ = false;
    co_return co_await respond_local(strict.status, strict.reason);
  }
  const std::string_view target = strict.target;
  const std::string_view host = strict.host;
  target_ = target;
  public_host_.assign(host);
  detail::routing_host(host, host_lc_);

  // Copied once: the request finishes on the table it began on.
  const std::shared_ptr<const core::Snapshot> snapshot = worker_.snapshot();
  if (!snapshot) co_return co_await respond_local(503, "no balancer table loaded");
  core::Balancer* balancer = snapshot->route(host_lc_, target.substr(0, target.find('?')));
  if (balancer == nullptr) co_return co_await respond_local(404, "no route for this host and path");
  if (worker_.access_log()) record_.balancer = balancer->config().name;
  co_return co_await proxy(*balancer);
}

void ClientSession::build_request_head(const core::Balancer& balancer, const core::Member& member) {
  const auto& msg = req_->get();
  RequestHead h;
  h.method = msg.method_string();
  h.base_path = member.base_path;
  h.target = target_;
  h.host = balancer.config().preserve_host && !public_host_.empty()
               ? std::string_view(public_host_)
               : std::string_view(member.host_header);
  h.client_ip = client_ip_;
  h.proto = worker_.options().public_scheme;
  h.forwarded_host = public_host_;
  if (req_->chunked()) {
    h.framing = Framing::kChunked;
  } else if (const auto cl = req_->content_length()) {
    h.framing = Framing::kLength;
    h.content_length = *cl;
  }
  h.upgrade = req_->upgrade();
  h.drop_expect = true;  // the proxy answers 100-continue itself
  head_.clear();
  write_request_head<ArenaFields>(h, msg, head_);
}

asio::awaitable<bool> ClientSession::proxy(core::Balancer& balancer) {
  const auto& msg = req_->get();
  cookies_.clear();
  for (const auto& f : msg) {
    if (f.name() == http::field::cookie) cookies_.push_back(f.value());
  }
  const core::StickyRequest sticky{msg.target(), cookies_};
  tried_.clear();
  int failovers = 0;
  bool fresh_only = false;  // the pooled connection was dead: retry once on a new one
  bool need_pick = true;
  core::Pick pick;
  const core::Member* member = nullptr;

  for (;;) {
    if (need_pick) {
      pick = balancer.pick(sticky, tried_, Clock::now());
      member = pick.member;
      if (member == nullptr && tried_.empty() && balancer.config().timeout.count() > 0 &&
          !(pick.failover && balancer.config().nofailover)) {
        // Apache's balancer `timeout`: wait for a member to become usable, polling every
        // timeout/100 (as mod_proxy_balancer sleeps), before answering 503.
        const auto deadline = Clock::now() + balancer.config().timeout;
        asio::steady_timer timer(client_.get_executor());
        const auto step = std::max<Clock::duration>(balancer.config().timeout / 100, std::chrono::milliseconds(10));
        while (member == nullptr && !closed_ && Clock::now() < deadline) {
          error_code ec;
          timer.expires_after(step);
          co_await timer.async_wait(with(ec));
          if (ec) break;
          pick = balancer.pick(sticky, tried_, Clock::now());
          member = pick.member;
        }
      }
      if (member == nullptr) {
        // After failed attempts the answer is about reachability (502), not availability.
        // nofailover: the session's member is gone and the client gets the core's 503, as Apache.
        if (!tried_.empty() && !(pick.failover && balancer.config().nofailover))
          co_return co_await respond_local(502, "no member could be reached");
        co_return co_await respond_local(pick.error_status > 0 ? pick.error_status : 503,
                                         "no member available");
      }
      ++attempts_;
      bytes_to_ = bytes_from_ = 0;
      fresh_only = false;
      if (worker_.access_log()) {
        record_.member = member->config != nullptr ? member->config->name : member->host_header;
        record_.route = member->config != nullptr ? member->config->route : std::string();
        record_.session_route = pick.session_route;
      }
    }
    need_pick = true;
    io_timeout_ = detail::response_timeout(balancer, *member);

    bool reused = false;
    if (!fresh_only) up_ = worker_.pool().acquire(member->host_header);
    if (up_) {
      reused = true;
      worker_.stats().upstream_connections_reused.fetch_add(1, std::memory_order_relaxed);
    } else {
      const error_code ec = co_await connect(*member, detail::connect_timeout(balancer, *member));
      if (ec) {
        worker_.stats().upstream_connect_failures.fetch_add(1, std::memory_order_relaxed);
        release_upstream(false);
        balancer.on_failure(*member, Clock::now());
        balancer.on_done(*member, 0, 0);
        tried_.push_back(member);
        if (closed_) co_return false;
        if (failovers < balancer.max_attempts()) {
          ++failovers;
          continue;
        }
        if (worker_.access_log()) record_.error = "connect: " + ec.message();
        co_return co_await respond_local(502, "no member could be reached");
      }
    }

    build_request_head(balancer, *member);
    const auto sent_at = Clock::now();
    const SendResult sent = co_await send_request();
    ReadResult got = ReadResult::kNoResponse;
    if (sent == SendResult::kOk) got = co_await read_response_header();

    if (sent == SendResult::kOk && got == ReadResult::kOk) {
      // Per-member response class and latency for /metrics: atomics, no label lookup here.
      member->state->record_response(static_cast<int>(res_->get().result_int()),
                                     std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent_at));
      co_return co_await relay_response(balancer, *member, pick);
    }
    release_upstream(false);
    if (sent == SendResult::kClientError || sent == SendResult::kBadBody || got == ReadResult::kClientGone ||
        closed_) {
      balancer.on_done(*member, bytes_to_, bytes_from_);
      if (sent == SendResult::kBadBody && !closed_) {
        const bool too_big = body_error_ == http::error::body_limit;
        co_return co_await respond_local(
            too_big ? 413 : 400, too_big ? "request body too large" : "malformed request body");
      }
      log_request();
      co_return false;
    }
    if (got == ReadResult::kTimeout) {
      worker_.stats().upstream_timeouts.fetch_add(1, std::memory_order_relaxed);
      balancer.on_response(*member, 0, true, Clock::now());
      balancer.on_done(*member, bytes_to_, bytes_from_);
      co_return co_await respond_local(504, "member did not answer in time");
    }
    if (got == ReadResult::kNoResponse || sent == SendResult::kUpstreamError) {
      if (reused && replayable_) {
        // A keep-alive connection the member had already closed: not the member's fault.
        worker_.stats().upstream_stale_retries.fetch_add(1, std::memory_order_relaxed);
        fresh_only = true;
        need_pick = false;
        continue;
      }
      balancer.on_done(*member, bytes_to_, bytes_from_);
      tried_.push_back(member);
      if (replayable_ && !has_body_ && detail::idempotent(msg.method()) &&
          failovers < balancer.max_attempts()) {
        ++failovers;
        continue;
      }
      co_return co_await respond_local(502, "member closed the connection without a response");
    }
    balancer.on_done(*member, bytes_to_, bytes_from_);
    co_return co_await respond_local(502, "invalid response from member");
  }
}

asio::awaitable<error_code> ClientSession::connect(const core::Member& member,
                                                   std::chrono::milliseconds timeout) {
  up_ = std::make_unique<UpstreamConn>(worker_.context());
  up_->key = member.host_header;
  error_code ec;
  tcp::endpoint endpoint;
  const auto address = asio::ip::make_address(member.host, ec);
  arm(timeout);
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
    if (ec) co_return timed_out_ ? error_code(asio::error::timed_out) : ec;
    endpoint = *results.begin();
  }
  if (closed_) co_return asio::error::operation_aborted;
  co_await up_->socket.async_connect(endpoint, with(ec));
  if (ec) co_return timed_out_ ? error_code(asio::error::timed_out) : ec;
  error_code ignored;
  up_->socket.set_option(tcp::no_delay(true), ignored);
  worker_.stats().upstream_connections_opened.fetch_add(1, std::memory_order_relaxed);
  co_return error_code{};
}

void ClientSession::release_upstream(bool reusable) {
  if (!up_) return;
  if (reusable && !closed_ && !worker_.draining() && up_->buffer.size() == 0) {
    worker_.pool().release(std::move(up_), Clock::now());
    return;
  }
  error_code ec;
  up_->socket.close(ec);
  up_.reset();
}

asio::awaitable<error_code> ClientSession::write_client(std::string_view data) {
  arm(worker_.options().idle_timeout);
  error_code ec;
  co_await asio::async_write(client_, asio::buffer(data.data(), data.size()), with(ec));
  co_return ec;
}

asio::awaitable<bool> ClientSession::respond_local(unsigned status, std::string_view text) {
  const bool keep = client_keep_alive_ && !request_body_pending() && !draining_ && !closed_;
  head_.clear();
  write_simple_response(status, text, keep, head_);
  if (req_ && req_->is_header_done() && req_->get().method() == http::verb::head) {
    head_.resize(head_.find("\r\n\r\n") + 4);
  }
  response_status_ = status;
  worker_.stats().local_responses.fetch_add(1, std::memory_order_relaxed);
  if (worker_.access_log() && record_.error.empty()) record_.error = text;
  const error_code ec =
      closed_ ? error_code(asio::error::operation_aborted) : co_await write_client(head_);
  log_request();
  if (!keep) linger_ = !ec && !closed_;
  co_return keep && !ec;
}

void ClientSession::log_request() {
  const AccessLogSink& sink = worker_.access_log();
  if (!sink) return;
  RequestRecord& r = record_;
  r.client = client_ip_ + ":" + std::to_string(client_port_);
  if (req_ && req_->is_header_done()) {
    const auto& msg = req_->get();
    r.method = msg.method_string();
    r.target = msg.target();
    r.host = msg[http::field::host];
  }
  if (r.start == std::chrono::system_clock::time_point{})
    r.start = std::chrono::system_clock::now();
  r.status = static_cast<int>(response_status_);
  r.attempts = attempts_;
  r.duration = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started_);
  sink(r);
}

}  // namespace kb::proxy::net
