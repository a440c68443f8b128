#pragma once
// Everything one request needs that is bigger than a few words: the client read buffer, the header
// arena, both parsers, the relay chunk, the reused strings and vectors. The worker lends one to a
// connection when its next request becomes readable and takes it back when the connection is idle
// again with nothing buffered (pipelined bytes keep it lent), so an idle keep-alive connection
// holds none of it and steady state allocates nothing (the capacities are kept across loans).
#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/core/balancer.h"
#include "proxy/core/request_view.h"
#include "proxy/net/arena.h"
#include "proxy/net/proxy_server.h"
#include "proxy/net/session_util.h"

namespace kb::proxy::net {

using RequestParser =
    boost::beast::http::parser<true, boost::beast::http::buffer_body, ArenaAllocator<char>>;
using ResponseParser =
    boost::beast::http::parser<false, boost::beast::http::buffer_body, ArenaAllocator<char>>;

// The gather list of one relay write: head, chunk prefix, chunk, CRLF, last chunk.
using WriteList = std::array<boost::asio::const_buffer, 5>;

struct ExchangeBuffers {
  explicit ExchangeBuffers(std::size_t max_header_bytes)
      : client_in(max_header_bytes + detail::kBodyBufSize + detail::kReadSize),
        body(std::make_unique<char[]>(detail::kBodyBufSize)) {}

  boost::beast::flat_buffer client_in;  // bytes read from the client, pipelined ones included
  Arena arena;  // header fields of the current request and response; before the parsers
  std::optional<RequestParser> request;
  std::optional<ResponseParser> response;
  std::unique_ptr<char[]> body;  // one relay chunk (detail::kBodyBufSize)
  std::unique_ptr<char[]> upload_chunk;  // the request body's chunk, made at its first upload
  std::string head;              // forwarded header block
  std::string scratch;           // route cookie
  std::string host_lc;           // routing host
  std::string public_host;       // client's Host for ProxyPassReverse
  std::string rewritten;         // the route's rewritten request-target
  std::vector<std::string_view> cookies;
  std::vector<core::HeaderView> header_views;  // the request's fields for core::RequestView
  std::vector<const core::Member*> tried;
  WriteList request_write{};  // kept: a request that went out whole is replayed from it
  std::array<char, 24> request_prefix{};
  WriteList response_write{};
  std::array<char, 24> response_prefix{};
};

}  // namespace kb::proxy::net
