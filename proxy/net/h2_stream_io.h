#pragma once
// The byte stream one HTTP/2 stream shows its Exchange. Reads return the request as HTTP/1.1
// bytes (a head made from the HEADERS frame, then the DATA payload, chunked when the client gave
// no content-length: h2_head.h); writes take the response as HTTP/1.1 bytes (the head becomes a
// HEADERS frame, the body bytes DATA frames). So the exchange, the HTTP/1.1 codec and the body pump
// are the same code for both protocols. The connection side (H2Stream) fills `in_` and drains
// what take_response() accepted; an operation with nothing to do waits on a timer used as an
// event (wake()), so a stream costs no thread and no extra coroutine. Bounded both ways: `in_`
// by the stream's flow-control window (a read gives the window back), the response by the room
// take_response() reports.
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <cstring>

namespace kb::proxy::net {

class H2StreamIo {
 public:
  using executor_type = boost::asio::ip::tcp::socket::executor_type;

  explicit H2StreamIo(executor_type ex) : wake_(ex, boost::asio::steady_timer::time_point::max()) {}
  virtual ~H2StreamIo() = default;
  H2StreamIo(const H2StreamIo&) = delete;
  H2StreamIo& operator=(const H2StreamIo&) = delete;

  executor_type get_executor() { return executor_type(wake_.get_executor()); }

  template <class Buffers, class Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        Op<ReadStep<Buffers>>{*this, ReadStep<Buffers>{buffers}, false, 0, {}}, token, wake_);
  }
  template <class Buffers, class Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        Op<WriteStep<Buffers>>{*this, WriteStep<Buffers>{buffers}, false, 0, {}}, token, wake_);
  }
  // The sweep or a close: the waiting operation fails with operation_aborted (as a socket's
  // cancel(): an operation started later is not affected).
  void cancel() {
    if (!waiting_) return;
    cancelled_ = true;
    wake();
  }

 protected:
  // Lets a waiting operation look again (bytes arrived, room freed, the stream failed).
  void wake() { wake_.cancel(); }
  // The exchange read `n` request bytes from in_ (the connection gives window back).
  virtual void on_request_read(std::size_t n) = 0;
  // Offers response bytes; returns how many were taken (0: no room now, wait for wake()).
  virtual std::size_t take_response(const char* data, std::size_t size) = 0;

  boost::beast::flat_buffer in_;  // request bytes the exchange has not read yet
  bool in_eof_ = false;           // the request ended (END_STREAM): reads past in_ give eof
  bool failed_ = false;           // reset by the client or the connection is gone

 private:
  template <class Buffers>
  struct ReadStep {
    Buffers buffers;
    // Done (true) with `n`/`ec`, or false to wait.
    bool operator()(H2StreamIo& io, std::size_t& n, boost::system::error_code& ec) {
      if (io.in_.size() == 0) {
        if (!io.in_eof_) return false;
        ec = boost::asio::error::eof;
        return true;
      }
      n = boost::asio::buffer_copy(buffers, io.in_.data());
      io.in_.consume(n);
      io.on_request_read(n);
      return true;
    }
  };
  template <class Buffers>
  struct WriteStep {
    Buffers buffers;
    bool operator()(H2StreamIo& io, std::size_t& n, boost::system::error_code&) {
      std::size_t total = 0;
      for (auto it = boost::asio::buffer_sequence_begin(buffers);
           it != boost::asio::buffer_sequence_end(buffers); ++it) {
        const boost::asio::const_buffer b(*it);
        if (b.size() == 0) continue;
        total += b.size();
        const std::size_t took = io.take_response(static_cast<const char*>(b.data()), b.size());
        n += took;
        if (took < b.size()) break;
      }
      return n > 0 || total == 0;
    }
  };
  // Tries the step; waits on the event timer when it has nothing to do. A step that completes at
  // once is delivered through post(), never inline (a coroutine must not resume in its own
  // initiation).
  template <class Step>
  struct Op {
    H2StreamIo& io;
    Step step;
    bool posted = false;
    std::size_t n = 0;
    boost::system::error_code result;

    template <class Self>
    void operator()(Self& self, boost::system::error_code = {}) {
      if (posted) return self.complete(result, n);
      io.waiting_ = false;
      if (io.failed_) {
        result = boost::asio::error::connection_reset;
      } else if (io.cancelled_) {
        io.cancelled_ = false;
        result = boost::asio::error::operation_aborted;
      } else if (!step(io, n, result)) {
        io.waiting_ = true;  // the timer never expires: only wake() ends the wait
        return io.wake_.async_wait(std::move(self));
      }
      posted = true;
      boost::asio::post(io.wake_.get_executor(), std::move(self));
    }
  };

  boost::asio::steady_timer wake_;
  bool waiting_ = false;
  bool cancelled_ = false;
};

}  // namespace kb::proxy::net
