#include "proxy/tls/certificate_set.h"

#include "proxy/tls/server_context.h"

namespace kb::proxy::tls {

int32_t CertificateSet::index_for(std::string_view server_name) const {
  if (server_name.empty()) return 0;
  const int32_t i = hosts_.find(server_name);
  return i == core::HostIndex::kNone ? 0 : i;
}

SSL_CTX* CertificateSet::select(std::string_view server_name) const {
  return entries_[static_cast<std::size_t>(index_for(server_name))].context->native_handle();
}

const CertifiedKey& CertificateSet::certificate_for(std::string_view server_name) const {
  return *entries_[static_cast<std::size_t>(index_for(server_name))].key;
}

int CertificateSet::on_server_name(SSL* ssl, int*, void* arg) {
  const auto* set = static_cast<const CertificateSet*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (set == nullptr || name == nullptr) return SSL_TLSEXT_ERR_OK;  // stays on the default context
  SSL_CTX* chosen = set->select(name);
  if (chosen != SSL_get_SSL_CTX(ssl)) SSL_set_SSL_CTX(ssl, chosen);
  return SSL_TLSEXT_ERR_OK;
}

std::shared_ptr<const CertificateSet> CertificateSetBuilder::build(
    const std::vector<std::vector<std::string>>& hosts, const std::vector<std::shared_ptr<const CertifiedKey>>& keys,
    std::shared_ptr<const CertifiedKey> default_key) const {
  std::shared_ptr<CertificateSet> set(new CertificateSet());
  set->ring_ = ring_;
  auto add = [&](std::shared_ptr<const CertifiedKey> key) {
    CertificateSet::Entry e{make_server_context(*key, settings_, *ring_), std::move(key)};
    // The callback runs on the context the connection starts on (the default one); setting it on
    // every context costs nothing and keeps them interchangeable.
    SSL_CTX_set_tlsext_servername_callback(e.context->native_handle(), &CertificateSet::on_server_name);
    SSL_CTX_set_tlsext_servername_arg(e.context->native_handle(), set.get());
    set->entries_.push_back(std::move(e));
  };
  add(std::move(default_key));
  for (std::size_t i = 0; i < keys.size() && i < hosts.size(); ++i) {
    add(keys[i]);
    for (const std::string& h : hosts[i]) set->hosts_.add(h, static_cast<int32_t>(i + 1));
  }
  return set;
}

}  // namespace kb::proxy::tls
