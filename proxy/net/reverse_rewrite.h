#pragma once
// Apache's ProxyPassReverse for Location, Content-Location and URI response headers: a URL that
// starts with the member's own URL (http://host:port[base_path]) is rewritten to the public URL the
// client used (public_scheme://client-host + the rest of the path), so redirects issued by a member
// never leak its address. Pure; see tests/unit/net/reverse_rewrite_test.cc.
#include <boost/beast/http/field.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace kb::proxy::net {

struct ReverseRule {
  std::string_view member_host;  // "10.0.0.7" (IPv6 without brackets)
  uint16_t member_port = 80;
  std::string_view base_path;      // "" or "/base" (no trailing slash needed)
  std::string_view public_scheme;  // "http" or "https"
  std::string_view public_host;    // the client's Host header value, port included
};

// Appends the rewritten URL to `out` and returns true when `value` points at the member;
// returns false (and leaves `out` alone) otherwise.
bool reverse_rewrite(std::string_view value, const ReverseRule& rule, std::string& out);

// The response headers ProxyPassReverse applies to.
bool is_reverse_rewritten(boost::beast::http::field name, std::string_view name_string);

}  // namespace kb::proxy::net
