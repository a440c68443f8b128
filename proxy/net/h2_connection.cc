// The HTTP/2 connection's I/O: the reader feeds nghttp2, the writer sends what nghttp2 produces,
// timeouts and shutdown. The nghttp2 callbacks are in h2_callbacks.cc.
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include "proxy/net/h2_connection.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/write.hpp>

#include "proxy/net/connection.h"
#include "proxy/net/h2_stream.h"
#include "proxy/net/session_util.h"
#include "proxy/net/worker.h"

namespace kb::proxy::net {

namespace asio = boost::asio;
using boost::system::error_code;
using detail::with;

H2Connection::H2Connection(ClientConnection& shell) : shell_(shell) {}

H2Connection::~H2Connection() {
  streams_.clear();
  if (session_ != nullptr) nghttp2_session_del(session_);
}

asio::awaitable<void> H2Connection::serve(std::shared_ptr<ClientConnection> hold) {
  if (!start_session()) co_return;
  const ServerOptions& opts = shell_.worker().options();
  shell_.worker().stats().http2_connections.fetch_add(1, std::memory_order_relaxed);
  hold_ = hold;
  writer_wake_ =
      std::make_unique<asio::steady_timer>(shell_.worker().context(), Clock::time_point::max());
  writer_done_ =
      std::make_unique<asio::steady_timer>(shell_.worker().context(), Clock::time_point::max());
  idle_deadline_ = Clock::now() + opts.client_header_timeout;  // the preface and first request
  writer_running_ = true;
  asio::co_spawn(shell_.worker().context(), write_loop(hold), asio::detached);
  // One read buffer while the connection lives (HTTP/2 connections are few and long).
  const std::unique_ptr<uint8_t[]> buf(new uint8_t[detail::kReadSize]);
  ClientStream& stream = shell_.transport();
  while (!shell_.closed() && !stopping_ && nghttp2_session_want_read(session_) != 0) {
    error_code ec;
    const std::size_t n =
        co_await stream.async_read_some(asio::buffer(buf.get(), detail::kReadSize), with(ec));
    if (ec || shell_.closed() || stopping_) break;
    // Fatal errors (bad preface, flood detected by nghttp2) queue a GOAWAY: flushed below.
    if (nghttp2_session_mem_recv(session_, buf.get(), n) < 0) break;
    update_idle_deadline();
    kick();
  }
  stopping_ = true;
  stop_streams();
  kick();
  while (writer_running_) {
    error_code ec;
    co_await writer_done_->async_wait(with(ec));
  }
  hold_.reset();  // the shell owns us: no cycle once serving ends
}

asio::awaitable<void> H2Connection::write_loop(std::shared_ptr<ClientConnection> hold) {
  ClientStream& stream = shell_.transport();
  for (;;) {
    if (!collect_frames()) break;
    if (out_.empty()) {
      if (stopping_ || shell_.closed()) break;
      if (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0) {
        stream.cancel();  // GOAWAY done and no stream left: end the reader
        break;
      }
      error_code ec;
      co_await writer_wake_->async_wait(with(ec));
      continue;
    }
    write_deadline_ = Clock::now() + shell_.worker().options().idle_timeout;
    error_code ec;
    co_await asio::async_write(stream, asio::buffer(out_), with(ec));
    write_deadline_ = Clock::time_point::max();
    if (ec || shell_.closed()) {
      stream.cancel();
      break;
    }
  }
  out_.clear();
  out_.shrink_to_fit();
  writer_running_ = false;
  writer_done_->cancel();
  (void)hold;
}

bool H2Connection::collect_frames() {
  out_.clear();
  while (out_.size() < kWriteBatch) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) return false;
    if (n == 0) break;
    out_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
  }
  return true;
}

void H2Connection::kick() {
  if (writer_wake_) writer_wake_->cancel();
}

void H2Connection::stop_streams() {
  // Copy: on_closed() may end an exchange whose stream then leaves the table.
  const auto streams = streams_;
  for (const auto& [id, stream] : streams) stream->on_closed();
}

void H2Connection::update_idle_deadline() {
  idle_deadline_ = streams_.empty() ? Clock::now() + shell_.worker().options().idle_timeout
                                    : Clock::time_point::max();
}

void H2Connection::on_sweep(Clock::time_point now) {
  if (now >= write_deadline_) {
    // The client stopped reading: nothing more can reach it.
    write_deadline_ = Clock::time_point::max();
    close();
    return;
  }
  if (now >= idle_deadline_ && session_ != nullptr) {
    idle_deadline_ = Clock::time_point::max();
    nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
    kick();
  }
  const auto streams = streams_;
  for (const auto& [id, stream] : streams) stream->on_sweep(now);
}

void H2Connection::on_drain() {
  if (session_ == nullptr) return;
  for (const auto& [id, stream] : streams_) stream->on_drain();
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  kick();
}

void H2Connection::close() {
  stopping_ = true;
  stop_streams();
  shell_.transport().cancel();
  kick();
}

void H2Connection::calm_down() {
  shell_.worker().stats().http2_floods.fetch_add(1, std::memory_order_relaxed);
  nghttp2_session_terminate_session(session_, NGHTTP2_ENHANCE_YOUR_CALM);
  kick();
}

}  // namespace kb::proxy::net
