// The request body, pumped to the member by a companion coroutine while the exchange reads the
// response head and relays the response (full duplex, as nginx and HAProxy): a member that
// answers while it still reads (an echo, a transcoder) would otherwise fill both TCP windows and
// deadlock. Both directions keep one 32 KiB chunk each (b_.body down, b_.upload_chunk up). Also
// here: the minimum body rate (408) and the client that hangs up while the member works.
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include <sys/socket.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <cerrno>

#include "proxy/net/body_pump.h"
#include "proxy/net/client_stream.h"
#include "proxy/net/connection.h"
#include "proxy/net/exchange.h"
#include "proxy/net/session_util.h"
#include "proxy/net/worker.h"

namespace kb::proxy::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using detail::with;

// Client -> member: each client read is armed with idle_timeout, or less when the minimum rate's
// budget is smaller; member writes under the send timeout (the route's sendtimeout, else the
// response timeout). The time spent writing to the member is not charged to the client.
struct Exchange::RequestPumpHooks {
  Exchange& x;
  Clock::time_point write_since{};
  Clock::duration writing{};  // total time blocked on the member
  void before_read() {
    const ServerOptions& o = x.worker_.options();
    const auto now = Clock::now();
    if (x.body_started_ == Clock::time_point{}) x.body_started_ = now;
    std::chrono::milliseconds limit = o.idle_timeout;
    if (o.min_body_rate > 0) {
      const auto allowed = o.body_timeout + std::chrono::milliseconds(x.record_.bytes_in * 1000 / o.min_body_rate);
      const auto used = std::chrono::duration_cast<std::chrono::milliseconds>(now - x.body_started_ - writing);
      limit = std::min(limit, std::max(std::chrono::milliseconds(1), allowed - used));
    }
    x.body_read_since_ = now;
    x.body_read_limit_ = limit;
    x.conn_.arm(limit);
  }
  void on_read(std::size_t) { x.body_read_since_ = Clock::time_point::max(); }
  void before_write() {
    write_since = Clock::now();
    x.conn_.arm(x.send_timeout_);
  }
  void on_written(std::size_t n) {
    x.bytes_to_ += n;
    writing += Clock::now() - write_since;
  }
  void on_chunk(std::size_t got, bool written, bool first, bool done) {
    if (!written) x.record_.bytes_in += got;
    if (written && first) x.replayable_ = done;  // went out whole in one write: b_.request_write
  }
  bool closed() const { return x.conn_.closed() || x.upload_stopped_; }
};

void Exchange::start_upload() {
  if (!b_.upload_chunk) b_.upload_chunk = std::make_unique<char[]>(detail::kBodyBufSize);
  if (!upload_done_) upload_done_.emplace(worker_.context(), Clock::time_point::max());
  upload_running_ = true;
  upload_stopped_ = false;
  upload_result_ = SendResult::kOk;
  body_read_since_ = Clock::time_point::max();
  asio::co_spawn(
      worker_.context(),
      [self = conn_.shared_from_this(), this]() -> asio::awaitable<void> { co_await upload(); },
      asio::detached);
}

asio::awaitable<void> Exchange::upload() {
  const PumpPlan plan{b_.head,          req_.chunked,     false,
                      b_.client_in.max_size(), b_.upload_chunk.get(), &b_.request_write,
                      &b_.request_prefix};
  RequestPumpHooks hooks{*this};
  const PumpResult r =
      co_await pump_body(*b_.request, b_.client_in, conn_.stream(), up_->socket, plan, hooks);
  // Ended by end_upload(), not by its own failure (a deadline the sweep enforced is its own).
  const bool stopped = upload_stopped_ && !conn_.timed_out();
  switch (r.end) {
    case PumpEnd::kDone:
      request_sent_ = true;
      // The response timeout runs from the request's end, as before the upload went beside it.
      if (!upload_stopped_ && !(b_.response && b_.response->is_header_done())) conn_.arm(io_timeout_);
      break;
    case PumpEnd::kBadSource:
      body_error_ = r.error;
      upload_result_ = SendResult::kBadBody;
      break;
    case PumpEnd::kSourceGone:
      upload_result_ = conn_.timed_out() && !conn_.closed() && body_too_slow(Clock::now())
                           ? SendResult::kSlowBody
                           : SendResult::kClientError;
      break;
    case PumpEnd::kSinkGone:
      upload_result_ = conn_.closed() ? SendResult::kClientError : SendResult::kUpstreamError;
      break;
  }
  if (stopped && r.end != PumpEnd::kDone) upload_result_ = SendResult::kOk;  // the response decides
  // The member must not wait for the rest of a request that will never come: end its connection
  // (it sees the request incomplete), which also ends the response read beside us. A member that
  // stopped reading (kSinkGone) may still be answering: its response is read as usual.
  if (!upload_stopped_ && (r.end == PumpEnd::kBadSource || r.end == PumpEnd::kSourceGone) && up_) {
    error_code ec;
    up_->socket.shutdown(tcp::socket::shutdown_both, ec);
    up_->socket.cancel(ec);
  }
  upload_running_ = false;
  upload_done_->cancel();
}

asio::awaitable<Exchange::SendResult> Exchange::end_upload(bool stop) {
  if (!upload_done_) co_return SendResult::kOk;
  if (upload_running_ && stop) {
    upload_stopped_ = true;  // after a deadline the sweep already cancelled both sides
    error_code ec;
    if (up_) up_->socket.cancel(ec);
    conn_.stream().cancel();  // only the upload uses the client stream now
  }
  error_code ec;
  while (upload_running_) co_await upload_done_->async_wait(with(ec));
  co_return upload_result_;
}

// The pending body read reached the limit it was armed with (idle or minimum rate): the client is
// too slow, not the member.
bool Exchange::body_too_slow(Clock::time_point now) const {
  return body_read_since_ != Clock::time_point::max() && now - body_read_since_ >= body_read_limit_;
}

bool Exchange::check_client(Clock::time_point now, ClientStream& client) {
  if (!member_phase_ || now < next_client_check_) return false;
  next_client_check_ = now + std::chrono::seconds(1);
  // Like nginx's check for a broken connection: a peek that finds EOF or an error means the client
  // is gone (pipelined bytes or TLS records mean it is not, or cannot be told).
  char byte = 0;
  const ssize_t n = ::recv(client.lowest_layer().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))) return false;
  if (response_status_ == 0) response_status_ = 499;  // nginx's "client closed request"
  if (worker_.access_log()) record_.error = "client closed the connection";
  return true;
}

}  // namespace kb::proxy::net
