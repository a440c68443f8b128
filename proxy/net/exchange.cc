// The request's life: head, routing on the worker's snapshot, the forwarded head, the log record.
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include "proxy/net/exchange.h"
#include "proxy/net/http1_rules.h"

#include <boost/asio/write.hpp>

#include "proxy/core/snapshot.h"
#include "proxy/net/client_side.h"
#include "proxy/net/hop_by_hop.h"
#include "proxy/net/head_writer.h"
#include "proxy/net/session_util.h"
#include "proxy/net/worker.h"

namespace kb::proxy::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;
using detail::with;

Exchange::Exchange(ClientSide& conn, ExchangeBuffers& buffers)
    : conn_(conn), worker_(conn.worker()), b_(buffers) {}

Exchange::~Exchange() { release_upstream(false); }

void Exchange::cancel() {
  error_code ec;
  if (up_) up_->socket.cancel(ec);
  if (resolver_ != nullptr) resolver_->cancel();
}

void Exchange::close() {
  error_code ec;
  if (up_) up_->socket.close(ec);
  if (resolver_ != nullptr) resolver_->cancel();
  if (tunnel_done_) tunnel_done_->cancel();
}

asio::awaitable<bool> Exchange::run() {
  const HeadRead head = co_await conn_.codec().read_request_head(b_);
  if (head.status == HeadStatus::kClose) co_return false;
  if (head.status == HeadStatus::kReject) {
    co_await respond_local(head.reject_status, head.reject_text);
    co_return false;
  }
  req_ = Http1Codec::request_info(b_);
  if (head.close_after) req_.keep_alive = false;
  header_read_ = true;
  started_ = Clock::now();
  if (worker_.access_log()) record_.start = std::chrono::system_clock::now();
  worker_.stats().requests.fetch_add(1, std::memory_order_relaxed);
  co_return co_await route();
}

asio::awaitable<bool> Exchange::route() {
  if (req_.method == http::verb::connect) co_return co_await respond_local(405, "CONNECT is not supported");
  // strict: framing, Host and target rules (http1_rules.h); a refusal closes the connection.
  const http1::RequestVerdict strict = http1::check_request_head(b_.request->get().base());
  if (!strict.ok()) {
    req_.keep_alive = false;
    co_return co_await respond_local(strict.status, strict.reason);
  }
  const std::string_view target = strict.target;
  const std::string_view host = strict.host;
  target_ = target;
  b_.public_host.assign(host);
  detail::routing_host(host, b_.host_lc);

  // Copied once: the request finishes on the table it began on.
  const std::shared_ptr<const core::Snapshot> snapshot = worker_.snapshot();
  if (!snapshot) co_return co_await respond_local(503, "no balancer table loaded");
  scan_request_fields(*snapshot);  // forwarding.cc
  decide_scheme(*snapshot);
  decision_ = snapshot->decide(request_view(), worker_.random());
  if (const LocalAnswer a = redirect_to_https(*snapshot); a.status != 0) co_return co_await answer(a);
  if (const LocalAnswer a = enforce_route(); a.status != 0) co_return co_await answer(a);  // route_actions.cc
  if (worker_.access_log()) record_.balancer = decision_.balancer->config().name;
  co_return co_await proxy(*decision_.balancer);
}

asio::awaitable<bool> Exchange::answer(const LocalAnswer& a) {
  if (a.redirect) co_return co_await respond_redirect(a.status, a.text);
  co_return co_await respond_local(a.status, a.text);
}

// The client asked for keep-alive and the connection is not closing.
bool Exchange::client_keep_alive() const {
  return req_.keep_alive && !conn_.draining() && !conn_.closed();
}

// Unread request body bytes close the connection after a local answer (the position of the next
// request is unknown). A relayed response asks client_keep_alive() instead: its head may go out
// while the body still goes up (upload.cc), and relay_response checks the body once both ended.
bool Exchange::keep_alive() const { return client_keep_alive() && !Http1Codec::request_body_pending(b_); }

bool Exchange::head_request() const {
  return b_.request && b_.request->is_header_done() && b_.request->get().method() == http::verb::head;
}

void Exchange::build_request_head(const core::Balancer& balancer, const core::Member& member) {
  RequestHead h;
  h.method = req_.method_string;
  h.base_path = member.base_path;
  h.target = target_;
  const std::string& public_host = b_.public_host;
  h.host = balancer.config().preserve_host && !public_host.empty()
               ? std::string_view(public_host)
               : std::string_view(member.host_header);
  if (const std::string_view rewritten = route_host(); !rewritten.empty()) h.host = rewritten;
  h.client_ip = conn_.client_ip();
  h.proto = forwarded_.proto;
  h.keep_forwarded_for = forwarded_.keep_incoming_for;
  h.forwarded_host = public_host;
  if (req_.chunked) {
    h.framing = Framing::kChunked;
  } else if (req_.has_length) {
    h.framing = Framing::kLength;
    h.content_length = req_.content_length;
  }
  h.upgrade = req_.upgrade;
  h.drop_expect = true;  // the proxy answers 100-continue itself
  b_.head.clear();
  write_request_head<ArenaFields>(h, *req_.fields, b_.head);
}

void Exchange::release_upstream(bool reusable) {
  if (!up_) return;
  if (reusable && !conn_.closed() && !worker_.draining() && up_->buffer.size() == 0) {
    worker_.pool().release(std::move(up_), Clock::now());
    return;
  }
  error_code ec;
  up_->socket.close(ec);
  up_.reset();
}

asio::awaitable<error_code> Exchange::write_client(std::string_view data) {
  conn_.arm(worker_.options().idle_timeout);
  error_code ec;
  co_await asio::async_write(conn_.stream(), asio::buffer(data.data(), data.size()), with(ec));
  co_return ec;
}

void Exchange::log_request() {
  const AccessLogSink& sink = worker_.access_log();
  if (!sink) return;
  RequestRecord& r = record_;
  r.client = conn_.client_ip() + ":" + std::to_string(conn_.client_port());
  if (b_.request && b_.request->is_header_done()) {
    const auto& msg = b_.request->get();
    r.method = msg.method_string();
    r.target = msg.target();
    r.host = msg[http::field::host];
  }
  if (r.start == std::chrono::system_clock::time_point{}) r.start = std::chrono::system_clock::now();
  r.status = static_cast<int>(response_status_);
  r.attempts = attempts_;
  r.duration = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started_);
  sink(r);
}

}  // namespace kb::proxy::net
