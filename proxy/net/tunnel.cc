// Upgrade (WebSocket): after the member's 101, bytes flow both ways unchanged until either side
// closes or the connection stays idle past idle_timeout.
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/write.hpp>

#include "proxy/net/connection.h"
#include "proxy/net/exchange.h"
#include "proxy/net/head_writer.h"
#include "proxy/net/session_util.h"
#include "proxy/net/worker.h"

namespace kb::proxy::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using detail::with;

// The 101 head plus whatever the member already sent after it, in one write; then what the client
// sent after its request. Returns whether both went out.
asio::awaitable<bool> Exchange::tunnel_open() {
  const ServerOptions& opts = worker_.options();
  ResponseHead rh;
  rh.status = 101;
  rh.reason = b_.response->get().reason();
  rh.upgrade = true;
  b_.head.clear();
  write_response_head<ArenaFields>(rh, b_.response->get(), b_.head);
  error_code ec;
  auto& from_member = up_->buffer;
  auto& from_client = b_.client_in;
  std::array<asio::const_buffer, 2> first{asio::buffer(b_.head), from_member.data()};
  conn_.arm(opts.idle_timeout);
  co_await asio::async_write(conn_.stream(), first, with(ec));
  if (ec || conn_.closed()) co_return false;
  tunnel_down_bytes_ += from_member.size();
  from_member.consume(from_member.size());
  if (from_client.size() > 0) {
    conn_.arm(opts.idle_timeout);
    co_await asio::async_write(up_->socket, from_client.data(), with(ec));
    if (ec || conn_.closed()) co_return false;
    tunnel_up_bytes_ += from_client.size();
    from_client.consume(from_client.size());
  }
  co_return true;
}

asio::awaitable<bool> Exchange::tunnel() {
  const ServerOptions& opts = worker_.options();
  worker_.stats().tunnels.fetch_add(1, std::memory_order_relaxed);
  tunnel_up_bytes_ = tunnel_down_bytes_ = 0;
  if (!co_await tunnel_open()) co_return false;
  auto& from_client = b_.client_in;
  error_code ec;

  tunnel_done_.emplace(worker_.context(), Clock::time_point::max());
  tunnel_back_running_ = true;
  asio::co_spawn(
      worker_.context(),
      [self = conn_.shared_from_this(), this]() -> asio::awaitable<void> { co_await tunnel_back(); },
      asio::detached);

  // client -> member
  while (!conn_.closed()) {
    conn_.arm(opts.idle_timeout);
    const std::size_t n =
        co_await conn_.stream().async_read_some(from_client.prepare(detail::kReadSize), with(ec));
    if (ec || conn_.closed()) break;
    from_client.commit(n);
    conn_.arm(opts.idle_timeout);
    co_await asio::async_write(up_->socket, from_client.data(), with(ec));
    from_client.consume(n);
    if (ec) break;
    tunnel_up_bytes_ += n;
  }
  // Either side ended: end the other direction too, and wait for it (it uses this exchange).
  if (up_) {
    up_->socket.shutdown(tcp::socket::shutdown_both, ec);
    up_->socket.close(ec);
  }
  conn_.stream().shutdown_both();
  while (tunnel_back_running_) co_await tunnel_done_->async_wait(with(ec));
  release_upstream(false);
  co_return false;
}

asio::awaitable<void> Exchange::tunnel_back() {
  const ServerOptions& opts = worker_.options();
  error_code ec;
  // member -> client, through the relay chunk (free while tunnelling)
  while (!conn_.closed() && up_) {
    conn_.arm(opts.idle_timeout);
    const std::size_t n = co_await up_->socket.async_read_some(
        asio::buffer(b_.body.get(), detail::kBodyBufSize), with(ec));
    if (ec || conn_.closed()) break;
    conn_.arm(opts.idle_timeout);
    co_await asio::async_write(conn_.stream(), asio::buffer(b_.body.get(), n), with(ec));
    if (ec) break;
    tunnel_down_bytes_ += n;
  }
  conn_.stream().shutdown_both();
  conn_.stream().cancel();
  error_code ignored;
  if (up_) up_->socket.close(ignored);
  tunnel_back_running_ = false;
  if (tunnel_done_) tunnel_done_->cancel();
}

}  // namespace kb::proxy::net
