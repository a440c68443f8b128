#pragma once
// An immutable set of server contexts built from one table: one SSL_CTX per `tls` entry plus the
// default one (the table's `defaultcertificate`, else the generated self-signed certificate).
// Published as std::shared_ptr<const CertificateSet> like the table snapshot: a reload that fails
// keeps the old set, and a handshake in flight finishes on the set it began with (each SSL holds
// its set, see TlsTerminator::make_stream). The servername callback picks by SNI: exact host,
// then one-label wildcard, case-insensitive (core::HostIndex), else the default context.
#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/core/host_index.h"
#include "proxy/tls/certified_key.h"
#include "proxy/tls/ticket_keys.h"

namespace kb::proxy::tls {

class CertificateSet {
 public:
  struct Entry {
    std::unique_ptr<boost::asio::ssl::context> context;
    std::shared_ptr<const CertifiedKey> key;
  };

  // The context every connection starts on (the default certificate): ssl::stream's constructor
  // wants a non-const reference; the context itself is never changed after build.
  boost::asio::ssl::context& listener_context() const { return *entries_.front().context; }
  // The context for an SNI name ("" or unknown: the default one).
  SSL_CTX* select(std::string_view server_name) const;
  // The certificate served for an SNI name (for logs and tests).
  const CertifiedKey& certificate_for(std::string_view server_name) const;
  std::size_t size() const { return entries_.size(); }

  // OpenSSL's servername callback; `arg` is the CertificateSet.
  static int on_server_name(SSL* ssl, int* alert, void* arg);

 private:
  friend class CertificateSetBuilder;
  CertificateSet() = default;
  int32_t index_for(std::string_view server_name) const;

  std::vector<Entry> entries_;  // [0] = default
  core::HostIndex hosts_;       // host -> index into entries_
  std::shared_ptr<TicketKeyRing> ring_;  // outlives every context that uses it
};

// Builds sets (control plane). Kept separate from the set so the set stays immutable.
class CertificateSetBuilder {
 public:
  // The set's contexts point at `ring`; `default_key` serves unknown or absent SNI.
  CertificateSetBuilder(const TlsSettings& settings, std::shared_ptr<TicketKeyRing> ring)
      : settings_(settings), ring_(std::move(ring)) {}
  // `keys[i]` is the certificate of table.tls[i]. Throws std::runtime_error if OpenSSL refuses.
  std::shared_ptr<const CertificateSet> build(const std::vector<std::vector<std::string>>& hosts,
                                              const std::vector<std::shared_ptr<const CertifiedKey>>& keys,
                                              std::shared_ptr<const CertifiedKey> default_key) const;

 private:
  const TlsSettings& settings_;
  std::shared_ptr<TicketKeyRing> ring_;
};

}  // namespace kb::proxy::tls
