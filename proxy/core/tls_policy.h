#pragma once
// What the table's `tls` section means for plain requests, decided once per snapshot: which routes
// answer plain HTTP with a redirect to https:// (`sslredirect`, default on for hosts that have a
// certificate, as ingress-nginx), and the Strict-Transport-Security value per host. Certificates
// themselves are proxy/tls/'s. Read-only after compile(), safe from any thread.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/table.h"
#include "proxy/core/host_index.h"

namespace kb::proxy::core {

class TlsPolicy {
 public:
  TlsPolicy() = default;
  static TlsPolicy compile(const config::Table& table);

  // Whether a route (index into table.routes, as Router::match_route gives) redirects plain HTTP;
  // false for Router::kNoMatch (the default backend never redirects).
  bool ssl_redirect(int32_t route) const {
    return route >= 0 && static_cast<std::size_t>(route) < redirect_.size() && redirect_[static_cast<std::size_t>(route)];
  }
  // Whether any route redirects (lets plain requests skip the route lookup when none does).
  bool any_redirect() const { return any_redirect_; }
  // Whether `host` (any case, no port) is served with a certificate of `tls`.
  bool has_certificate(std::string_view host) const { return hosts_.find(host) != HostIndex::kNone; }
  // The Strict-Transport-Security value for HTTPS responses to `host`, "" for none.
  std::string_view hsts(std::string_view host) const;

 private:
  HostIndex hosts_;                // host -> index into hsts_
  std::vector<std::string> hsts_;  // per tls entry; "" = no header
  std::vector<bool> redirect_;     // per route
  bool any_redirect_ = false;
};

// "max-age=31536000; includeSubDomains; preload"
std::string hsts_header_value(const config::Hsts& hsts);

}  // namespace kb::proxy::core
