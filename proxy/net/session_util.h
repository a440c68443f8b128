#pragma once
// Small helpers shared by the client session's translation units.
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "proxy/core/balancer.h"

namespace kb::proxy::net::detail {

inline constexpr std::size_t kBodyBufSize = 32 * 1024;  // one relay chunk
inline constexpr std::size_t kReadSize = 16 * 1024;     // one socket read
inline constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();
inline constexpr std::chrono::milliseconds kForever{24LL * 3600 * 1000};

inline auto with(boost::system::error_code& ec) {
  return boost::asio::redirect_error(boost::asio::use_awaitable, ec);
}

inline std::chrono::milliseconds positive_or_forever(std::chrono::milliseconds d) {
  return d.count() > 0 ? d : kForever;
}

// Member timeout, else the balancer's member_timeout (ProxyTimeout).
inline std::chrono::milliseconds response_timeout(const core::Balancer& b, const core::Member& m) {
  if (m.config != nullptr && m.config->timeout) return positive_or_forever(*m.config->timeout);
  return positive_or_forever(b.config().member_timeout);
}

// Member connectiontimeout, else the balancer's connection_timeout.
inline std::chrono::milliseconds connect_timeout(const core::Balancer& b, const core::Member& m) {
  if (m.config != nullptr && m.config->connection_timeout) {
    return positive_or_forever(*m.config->connection_timeout);
  }
  return positive_or_forever(b.config().connection_timeout);
}

inline bool idempotent(boost::beast::http::verb v) {
  using boost::beast::http::verb;
  return v == verb::get || v == verb::head || v == verb::options || v == verb::put ||
         v == verb::delete_ || v == verb::trace;
}

// "Example.COM:8080" -> "example.com"; "[::1]:80" -> "[::1]".
inline void routing_host(std::string_view host, std::string& out) {
  out.clear();
  if (!host.empty() && host.front() == '[') {
    const auto close = host.find(']');
    host = host.substr(0, close == std::string_view::npos ? host.size() : close + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  out.assign(host);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
}

}  // namespace kb::proxy::net::detail
