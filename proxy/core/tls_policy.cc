#include "proxy/core/tls_policy.h"

namespace kb::proxy::core {

std::string hsts_header_value(const config::Hsts& hsts) {
  std::string v = "max-age=" + std::to_string(hsts.max_age);
  if (hsts.include_subdomains) v += "; includeSubDomains";
  if (hsts.preload) v += "; preload";
  return v;
}

TlsPolicy TlsPolicy::compile(const config::Table& table) {
  TlsPolicy p;
  for (std::size_t i = 0; i < table.tls.size(); ++i) {
    const config::TlsEntry& t = table.tls[i];
    p.hsts_.push_back(t.hsts ? hsts_header_value(*t.hsts) : std::string());
    for (const std::string& h : t.hosts) p.hosts_.add(h, static_cast<int32_t>(i));
  }
  p.redirect_.reserve(table.routes.size());
  for (const config::Route& r : table.routes) {
    // A wildcard route host "*.example.com" finds the wildcard certificate of the same name (its
    // first label "*" is never an exact entry); an any-host route has no certificate of its own.
    const bool covered = !r.host.empty() && p.has_certificate(r.host);
    p.redirect_.push_back(r.ssl_redirect.value_or(covered));
    p.any_redirect_ = p.any_redirect_ || p.redirect_.back();
  }
  return p;
}

std::string_view TlsPolicy::hsts(std::string_view host) const {
  const int32_t i = hosts_.find(host);
  return i == HostIndex::kNone ? std::string_view() : std::string_view(hsts_[static_cast<std::size_t>(i)]);
}

}  // namespace kb::proxy::core
