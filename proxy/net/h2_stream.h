#pragma once
// One HTTP/2 stream of an H2Connection: the ClientSide of one Exchange (client_side.h) and the
// byte stream it reads the request from and writes the response to (h2_stream_io.h). The
// connection's nghttp2 callbacks feed it the request (head fields, DATA, END_STREAM, reset); the
// exchange's response head becomes nghttp2_submit_response() and its body leaves through a data
// provider that defers while the exchange has nothing new (NGHTTP2_ERR_DEFERRED, then
// nghttp2_session_resume_data()), so at most kResponseBuffer bytes of body wait per stream.
// Request DATA is given back to the client's window only once the exchange read it, so at most
// one window of request body waits per stream. Lives while its exchange runs or nghttp2 still
// knows the stream, whichever is longer (shared_ptr: the exchange's coroutine and the
// connection's table).
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include <nghttp2/nghttp2.h>

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "proxy/net/client_side.h"
#include "proxy/net/h2_head.h"
#include "proxy/net/h2_stream_io.h"

namespace kb::proxy::net {

class ClientConnection;
class Exchange;
class H2Connection;

class H2Stream final : public ClientSide, public H2StreamIo {
 public:
  static constexpr std::size_t kResponseBuffer = 64 * 1024;  // body bytes waiting for DATA frames

  H2Stream(H2Connection& conn, int32_t id);

  // From the connection's nghttp2 callbacks.
  void add_header(std::string_view name, std::string_view value);
  // The request head is complete: run its exchange (on the worker, as a coroutine of its own).
  void start(std::shared_ptr<ClientConnection> hold, bool end_stream);
  void on_data(const uint8_t* data, std::size_t size);
  void on_request_end();
  void on_closed();  // nghttp2 forgot the stream (done, or reset by either side)
  void on_sweep(Clock::time_point now);
  void on_drain() { draining_ = true; }
  // After a frame with END_STREAM left: a request still being sent is cut short (RFC 9113 8.1).
  void on_response_sent();
  // The data provider's read callback (h2_stream.cc).
  static ssize_t read_response(nghttp2_session* session, int32_t stream_id, uint8_t* buf,
                               std::size_t length, uint32_t* data_flags,
                               nghttp2_data_source* source, void* user_data);

 private:
  static boost::asio::awaitable<void> run(std::shared_ptr<H2Stream> self,
                                          std::shared_ptr<ClientConnection> hold);
  void finish(bool complete);
  bool submit_head();
  void answer_too_large();
  void on_request_read(std::size_t n) override;
  std::size_t take_response(const char* data, std::size_t size) override;

  H2Connection& conn_;
  int32_t id_;
  H2RequestHead head_;
  std::string response_head_;      // the response head's bytes until its CRLF CRLF
  boost::beast::flat_buffer out_;  // response body bytes not yet in a DATA frame
  std::size_t window_owed_ = 0;    // DATA bytes in in_ the client's window has not got back
  Exchange* exchange_ = nullptr;   // while it runs, for the sweep and a reset
  bool chunked_ = false;           // the request body is framed as chunks in in_
  bool running_ = false;           // the exchange started and has not finished
  bool head_sent_ = false;         // the response HEADERS were submitted
  bool out_eof_ = false;           // the whole response is in out_
  bool reset_after_end_ = false;   // the request was still coming when the response ended
};

}  // namespace kb::proxy::net
