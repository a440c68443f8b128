#pragma once
// Serializes the forwarded request and response header blocks by hand into one reused buffer
// (Beast's serializer was the largest user-space cost, see /work/shared/PERFORMANCE.md). Walks the
// incoming fields once, dropping hop-by-hop headers and re-framing the body. Pure and unit-tested.
#include <boost/beast/http/fields.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/net/reverse_rewrite.h"

namespace kb::proxy::net {

// How the body after this header block is delimited.
enum class Framing {
  kNone,     // no body (or HEAD / 304: see ResponseHead::passthrough_length)
  kLength,   // Content-Length: content_length
  kChunked,  // Transfer-Encoding: chunked, the relay re-chunks
  kClose,    // response delimited by closing the connection (HTTP/1.0 clients)
};

struct RequestHead {
  std::string_view method;
  std::string_view base_path;       // member URL path, prefixed to the target
  std::string_view target;          // origin-form
  std::string_view host;            // Host sent to the member
  std::string_view client_ip;       // appended to X-Forwarded-For
  std::string_view proto;           // X-Forwarded-Proto (core::decide_forwarded(...).proto)
  // true: the request's X-Forwarded-For chain is kept and client_ip appended; false: the chain
  // is dropped and X-Forwarded-For is client_ip alone. The exchange sets it from
  // core::decide_forwarded(peer in --trusted-proxies, ...).keep_incoming_for (forwarding.cc).
  bool keep_forwarded_for = true;
  std::string_view forwarded_host;  // X-Forwarded-Host (client's Host), "" = omit
  Framing framing = Framing::kNone;
  uint64_t content_length = 0;
  bool upgrade = false;      // tunnel request: forward Upgrade and send Connection: Upgrade
  bool drop_expect = false;  // the proxy answers 100-continue itself
};

// Appends "METHOD base+target HTTP/1.1\r\n...\r\n\r\n" to `out`. Fields: http::fields or
// ArenaFields (instantiated in head_writer.cc).
template <class Fields>
void write_request_head(const RequestHead& head, const Fields& in, std::string& out);

struct ResponseHead {
  unsigned status = 200;
  std::string_view reason;  // "" = the standard reason phrase
  Framing framing = Framing::kNone;
  uint64_t content_length = 0;
  bool keep_alive = true;            // false: Connection: close
  bool client_http10 = false;        // keep-alive must be announced to HTTP/1.0 clients
  bool upgrade = false;              // 101 towards a tunnel: keep Upgrade, send Connection: Upgrade
  bool keep_content_length = false;  // HEAD / 304: forward the member's Content-Length as is
  const ReverseRule* rewrite = nullptr;  // ProxyPassReverse, nullptr = off
  std::string_view set_cookie;           // route cookie value, "" = none
  // Strict-Transport-Security value for HTTPS responses (core::TlsPolicy::hsts), "" = none; when
  // set it replaces the member's own header.
  std::string_view hsts;
};

// Appends "HTTP/1.1 STATUS REASON\r\n...\r\n\r\n" to `out`.
template <class Fields>
void write_response_head(const ResponseHead& head, const Fields& in, std::string& out);

// A complete short text/plain response produced by the proxy itself (errors, 404). `hsts`: the
// Strict-Transport-Security value of an HTTPS request's host, "" = none.
void write_simple_response(unsigned status, std::string_view text, bool keep_alive, std::string& out,
                           std::string_view hsts = {});

// A complete redirect produced by the proxy (a route's `redirect`, the 308 to https:// of
// sslredirect): status, Location, no body. The proxy's only redirect writer.
void write_redirect_response(unsigned status, std::string_view location, bool keep_alive, std::string& out,
                             std::string_view hsts = {});

// "1a2b\r\n" for a chunk of n bytes; returns the length written into buf.
std::size_t write_chunk_prefix(std::size_t n, char (&buf)[24]);

}  // namespace kb::proxy::net
