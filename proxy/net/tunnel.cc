// Upgrade (WebSocket): after the member's 101, bytes flow both ways unchanged until either side
// closes or the connection stays idle past idle_timeout.
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/write.hpp>

#include "proxy/net/client_session.h"
#include "proxy/net/head_writer.h"
#include "proxy/net/session_util.h"
#include "proxy/net/worker.h"

namespace kb::proxy::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using detail::with;

asio::awaitable<bool> ClientSession::tunnel() {
  const ServerOptions& opts = worker_.options();
  worker_.stats().tunnels.fetch_add(1, std::memory_order_relaxed);
  auto& msg = res_->get();
  ResponseHead rh;
  rh.status = 101;
  rh.reason = msg.reason();
  rh.upgrade = true;
  head_.clear();
  write_response_head<ArenaFields>(rh, msg, head_);
  tunnel_up_bytes_ = tunnel_down_bytes_ = 0;

  // The 101 head plus whatever the member already sent after it, in one write.
  error_code ec;
  auto& from_member = up_->buffer;
  std::array<asio::const_buffer, 2> first{asio::buffer(head_), from_member.data()};
  arm(opts.idle_timeout);
  co_await asio::async_write(client_, first, with(ec));
  if (ec || closed_) co_return false;
  tunnel_down_bytes_ += from_member.size();
  from_member.consume(from_member.size());
  if (client_buf_.size() > 0) {
    arm(opts.idle_timeout);
    co_await asio::async_write(up_->socket, client_buf_.data(), with(ec));
    if (ec || closed_) co_return false;
    tunnel_up_bytes_ += client_buf_.size();
    client_buf_.consume(client_buf_.size());
  }

  tunnel_done_.emplace(worker_.context(), Clock::time_point::max());
  tunnel_back_running_ = true;
  asio::co_spawn(
      worker_.context(),
      [self = shared_from_this()]() -> asio::awaitable<void> { co_await self->tunnel_back(); },
      asio::detached);

  // client -> member
  while (!closed_) {
    arm(opts.idle_timeout);
    const std::size_t n =
        co_await client_.async_read_some(client_buf_.prepare(detail::kReadSize), with(ec));
    if (ec || closed_) break;
    client_buf_.commit(n);
    arm(opts.idle_timeout);
    co_await asio::async_write(up_->socket, client_buf_.data(), with(ec));
    client_buf_.consume(n);
    if (ec) break;
    tunnel_up_bytes_ += n;
  }
  // Either side ended: end the other direction too.
  if (up_) {
    up_->socket.shutdown(tcp::socket::shutdown_both, ec);
    up_->socket.close(ec);
  }
  client_.shutdown(tcp::socket::shutdown_both, ec);
  if (tunnel_back_running_) co_await tunnel_done_->async_wait(with(ec));
  release_upstream(false);
  co_return false;
}

asio::awaitable<void> ClientSession::tunnel_back() {
  const ServerOptions& opts = worker_.options();
  error_code ec;
  // member -> client, through the relay buffer (free while tunnelling)
  while (!closed_ && up_) {
    arm(opts.idle_timeout);
    const std::size_t n = co_await up_->socket.async_read_some(
        asio::buffer(body_buf_.get(), detail::kBodyBufSize), with(ec));
    if (ec || closed_) break;
    arm(opts.idle_timeout);
    co_await asio::async_write(client_, asio::buffer(body_buf_.get(), n), with(ec));
    if (ec) break;
    tunnel_down_bytes_ += n;
  }
  error_code ignored;
  client_.shutdown(tcp::socket::shutdown_both, ignored);
  client_.cancel(ignored);
  if (up_) up_->socket.close(ignored);
  tunnel_back_running_ = false;
  if (tunnel_done_) tunnel_done_->cancel();
}

}  // namespace kb::proxy::net
