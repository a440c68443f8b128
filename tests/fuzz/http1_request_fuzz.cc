// libFuzzer target: the HTTP/1.1 request path, bytes in -> what is forwarded to a member.
//
// The input goes through the same steps, in the same order, as Http1Codec::read_request_head and
// Exchange::route/build_request_head: HeadScanner on the raw head (and its Content-Length strip
// when Transfer-Encoding is present), Beast's parser into arena-backed fields, check_request_head,
// then write_request_head; the body after the head is parsed to its end as the body pump reads it.
// Besides crashes and sanitizer reports, every accepted request must produce a forwarded head that
// the proxy's own strict rules accept again, with exactly one framing, the same as the input's:
// a head the proxy forwards but would refuse is a smuggling vector towards the member.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proxy/net/arena.h"
#include "proxy/net/head_writer.h"
#include "proxy/net/http1_rules.h"

namespace {

namespace http = boost::beast::http;
using kb::proxy::net::Arena;
using kb::proxy::net::ArenaAllocator;
using kb::proxy::net::ArenaFields;
using kb::proxy::net::Framing;
using kb::proxy::net::RequestHead;
// The proxy's request parser (proxy/net/exchange_buffers.h), spelled here: that header pulls in
// the coroutine code, which clang 14 cannot compile against libstdc++ 12's <coroutine>.
using RequestParser = http::parser<true, http::buffer_body, ArenaAllocator<char>>;
namespace http1 = kb::proxy::net::http1;

[[noreturn]] void fail(const char* what, std::string_view forwarded) {
  std::fprintf(stderr, "http1_request_fuzz: %s\nforwarded head:\n%.*s\n", what,
               static_cast<int>(forwarded.size()), forwarded.data());
  std::abort();
}

// The forwarded head, parsed again as a member would and held to the proxy's own rules.
void check_forwarded(const std::string& out, const RequestHead& sent) {
  http1::HeadScanner scan(http1::Limits{1 << 20, 1 << 16, 1 << 22});
  if (scan.feed(out) != http1::HeadScanner::State::kDone || scan.head_size() != out.size())
    fail("the forwarded head is not one complete head the scanner accepts", out);
  if (scan.te_with_content_length()) fail("the forwarded head has Transfer-Encoding and Content-Length", out);
  http::request_parser<http::empty_body> member;
  member.header_limit(1 << 22);
  member.skip(true);  // the head alone: the body is not part of `out`
  boost::system::error_code ec;
  member.put(boost::asio::buffer(out), ec);
  if (ec || !member.is_header_done()) fail("Beast does not accept the forwarded head", out);
  const http1::RequestVerdict v = http1::check_request_head(member.get().base());
  if (!v.ok()) fail("check_request_head refuses the forwarded head", out);
  const bool chunked = member.chunked();
  const bool has_length = member.content_length().has_value();
  switch (sent.framing) {
    case Framing::kChunked:
      if (!chunked || has_length) fail("a chunked body is not forwarded as chunked alone", out);
      break;
    case Framing::kLength:
      if (chunked || !has_length || *member.content_length() != sent.content_length)
        fail("a Content-Length body is not forwarded with that length alone", out);
      break;
    default:
      if (chunked || (has_length && *member.content_length() != 0)) fail("a bodiless request gained a body", out);
  }
}

// The body after the head, read to its end through the buffer_body parser as the pump reads it.
void read_body(RequestParser& parser, std::string_view rest) {
  char chunk[512];
  while (!parser.is_done() && !rest.empty()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    boost::system::error_code ec;
    const std::size_t n = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec && ec != http::error::need_more) return;
    if (n == 0 && parser.get().body().size == sizeof chunk) return;  // no progress: needs more input
    rest.remove_prefix(n);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);  // the strip edits in place
  http1::HeadScanner scan(http1::Limits{});
  if (scan.feed(bytes) != http1::HeadScanner::State::kDone) return 0;
  const std::size_t dropped = scan.strip_content_length(bytes.data());
  std::string_view in(bytes.data() + dropped, bytes.size() - dropped);

  Arena arena;
  RequestParser parser(std::piecewise_construct, std::make_tuple(),
                       std::make_tuple(ArenaAllocator<char>(arena)));
  parser.header_limit(64 * 1024);
  parser.body_limit(~std::uint64_t{0});
  boost::system::error_code ec;
  const std::size_t used = parser.put(boost::asio::buffer(in.data(), in.size()), ec);
  if ((ec && ec != http::error::need_more) || !parser.is_header_done()) return 0;
  in.remove_prefix(used);
  const auto& msg = parser.get();
  const http1::RequestVerdict v = http1::check_request_head(msg.base());
  if (!v.ok()) return 0;

  RequestHead h;
  const auto method = msg.method_string();  // Boost's string_view
  h.method = std::string_view(method.data(), method.size());
  h.base_path = "/base";
  h.target = v.target;
  h.host = "member.test:8080";
  h.client_ip = "10.1.2.3";
  h.proto = "https";
  h.forwarded_host = v.host;
  if (parser.chunked()) {
    h.framing = Framing::kChunked;
  } else if (const auto cl = parser.content_length()) {
    h.framing = Framing::kLength;
    h.content_length = *cl;
  }
  h.upgrade = parser.upgrade();
  h.drop_expect = true;
  std::string out;
  kb::proxy::net::write_request_head<ArenaFields>(h, static_cast<const ArenaFields&>(msg), out);
  check_forwarded(out, h);
  read_body(parser, in);
  return 0;
}
