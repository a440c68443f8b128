#pragma once
// The HTTP/1.1 codec of a client connection: parses request heads out of the lent read buffer
// (reading the stream as needed) and gives the exchange a protocol-neutral view of the head
// (RequestInfo). The request body is read by the body pump through the same parser. An HTTP/2
// stream shows its exchange the request as HTTP/1.1 bytes (h2_stream_io.h), so this codec parses
// and checks those heads too.
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <cstdint>
#include <string_view>

#include "proxy/net/arena.h"
#include "proxy/net/exchange_buffers.h"

namespace kb::proxy::net {

class ClientSide;

// What the exchange needs of an accepted request head; views into the lent buffers.
struct RequestInfo {
  boost::beast::http::verb method = boost::beast::http::verb::unknown;
  std::string_view method_string;
  std::string_view target;  // as sent (origin-, absolute- or asterisk-form)
  std::string_view host;    // the Host field
  unsigned version = 11;    // 10 or 11
  bool keep_alive = false;
  bool chunked = false;
  bool has_length = false;
  uint64_t content_length = 0;
  bool has_body = false;
  bool upgrade = false;
  bool expect_continue = false;
  const ArenaFields* fields = nullptr;
};

enum class HeadStatus { kOk, kClose, kReject };

struct HeadRead {
  HeadStatus status = HeadStatus::kOk;
  unsigned reject_status = 0;  // kReject: the local answer
  std::string_view reject_text;
  // kOk: close the connection after the response whatever the request says (RFC 9112 6.1: a
  // request with Transfer-Encoding and Content-Length).
  bool close_after = false;
};

class Http1Codec {
 public:
  explicit Http1Codec(ClientSide& conn) : conn_(conn) {}

  // Parses the next request head (client_header_timeout; 408 when it passes with a partial head).
  boost::asio::awaitable<HeadRead> read_request_head(ExchangeBuffers& b);
  static RequestInfo request_info(const ExchangeBuffers& b);
  // Whether unread request body bytes remain (a local answer must then close the connection).
  static bool request_body_pending(const ExchangeBuffers& b);

 private:
  static void start_request(ExchangeBuffers& b, const struct ServerOptions& opts);
  // The one place where a parsed request head is accepted: checks that apply to every request
  // head (the HTTP/1.1 strictness rules) go here.
  static HeadRead accept_request_head(const ExchangeBuffers& b);
  static HeadRead reject(boost::system::error_code pec);

  ClientSide& conn_;
};

}  // namespace kb::proxy::net
