#pragma once
// Where a plain-HTTP request whose route has sslredirect on (core::TlsPolicy) is sent: the same
// URL on https://, answered 308 Permanent Redirect as ingress-nginx (308, not 301, keeps the method
// and body, so a POST is replayed as a POST) by the proxy's one redirect writer
// (write_redirect_response, head_writer.h). Pure and unit-tested.
#include <cstdint>
#include <string>
#include <string_view>

namespace kb::proxy::net {

// Appends https://HOST[:https_port]TARGET to `out`, HOST being `host_header` without its port
// (IPv6 kept in brackets), the port written only when it is not 443. `target`: the request target
// in origin form ("/path?query"); anything else (absolute form, "*") becomes "/". Returns false
// and appends nothing when `host_header` holds no host (an HTTP/1.0 request without Host): the
// caller serves the request as it is.
bool https_location(std::string_view host_header, uint16_t https_port, std::string_view target, std::string& out);

}  // namespace kb::proxy::net
