#include "proxy/net/https_redirect.h"

#include <charconv>

namespace kb::proxy::net {
namespace {

// "example.com:8080" -> "example.com"; "[::1]:80" -> "[::1]".
std::string_view host_without_port(std::string_view host) {
  if (host.starts_with('[')) {
    const auto close = host.find(']');
    return close == std::string_view::npos ? std::string_view() : host.substr(0, close + 1);
  }
  return host.substr(0, host.find(':'));
}

}  // namespace

bool https_location(std::string_view host_header, uint16_t https_port, std::string_view target, std::string& out) {
  const std::string_view host = host_without_port(host_header);
  if (host.empty()) return false;
  out.append("https://");
  out.append(host);
  if (https_port != 443) {
    char buf[8];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, https_port);
    (void)ec;
    out.push_back(':');
    out.append(buf, static_cast<std::size_t>(end - buf));
  }
  out.append(target.starts_with('/') ? target : std::string_view("/"));
  return true;
}

}  // namespace kb::proxy::net
