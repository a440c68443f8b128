#pragma once
// TLS termination as the connection shell uses it. Control thread: prepare() loads and checks
// the certificates a table names (rejecting the table with field-named errors), publish() swaps
// the current CertificateSet atomically. Worker threads: make_stream() wraps an accepted socket
// for async_handshake(server); handshake_info() tells the negotiated ALPN protocol and SNI name.
//
//   // worker, after accept on the HTTPS listener:
//   auto stream = terminator.make_stream(std::move(socket));   // never throws but for bad_alloc
//   stream.async_handshake(boost::asio::ssl::stream_base::server, [..](error_code ec) {
//     const HandshakeInfo info = handshake_info(stream.native_handle());  // info.alpn "http/1.1"
//     ...                                                                   // info.sni "shop.example.com"
//   });
#include <openssl/ssl.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/config/table.h"
#include "proxy/config/table_yaml.h"
#include "proxy/tls/certificate_set.h"
#include "proxy/tls/tls_settings.h"

namespace kb::proxy::tls {

using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

struct HandshakeInfo {
  std::string_view alpn;  // "http/1.1", "h2", or "" when the client offered none (= HTTP/1.1)
  std::string_view sni;   // the client's server name, "" when absent; valid while the SSL lives
};
HandshakeInfo handshake_info(const SSL* ssl);

class TlsTerminator {
 public:
  explicit TlsTerminator(TlsSettings settings);

  struct Prepared {
    std::shared_ptr<const CertificateSet> set;  // null when errors is not empty
    // Field paths ("tls[1].key", "defaultcertificate.certificate") without source or line: the
    // table watcher adds both (config::locate_fields).
    std::vector<config::ConfigError> errors;
  };
  // Control thread. Loads every certificate and key the table names (files whose size, mtime and
  // inode did not change since the last prepare() are not read again, only re-checked for
  // validity); returns the current set itself when nothing changed.
  Prepared prepare(const config::Table& table);
  // Control thread: new connections use `set` from now on.
  void publish(std::shared_ptr<const CertificateSet> set);

  // Any thread; null before the first publish().
  std::shared_ptr<const CertificateSet> current() const { return current_.load(std::memory_order_acquire); }

  // Worker thread, after publish(): a server stream on the current set. The SSL keeps that set
  // alive until it is freed, so a reload never pulls the contexts from under a handshake.
  TlsStream make_stream(boost::asio::ip::tcp::socket socket) const;
  // Worker thread: a new server SSL on the current set's default context, holding that set (the
  // shell's own TLS I/O, proxy/net/tls_io.h, uses it on the socket directly); null before the
  // first publish() or when OpenSSL is out of memory. The caller frees it (SSL_free).
  SSL* new_ssl() const;
  // For a shell that creates the SSL itself: makes `ssl` (created on set->listener_context())
  // hold `set`. Required for SNI, which reads the set from the SSL.
  static void attach(SSL* ssl, std::shared_ptr<const CertificateSet> set);

  const TlsSettings& settings() const { return settings_; }

 private:
  struct FileStamp {
    long long size = -1, mtime_ns = -1, inode = -1;
    friend bool operator==(const FileStamp&, const FileStamp&) = default;
  };
  struct Loaded {
    FileStamp certificate, key;
    std::shared_ptr<const CertifiedKey> value;
  };
  static FileStamp stamp(const std::string& path);
  // A cached key when both files are unchanged, else a fresh load; error.field is "certificate"/"key".
  LoadResult load(const config::CertificateFiles& files, std::map<std::pair<std::string, std::string>, Loaded>& next);
  std::shared_ptr<const CertifiedKey> self_signed();

  TlsSettings settings_;
  std::shared_ptr<TicketKeyRing> ring_;
  CertificateSetBuilder builder_;
  std::shared_ptr<const CertifiedKey> self_signed_;  // made once, on first need
  std::map<std::pair<std::string, std::string>, Loaded> loaded_;  // by (certificate, key) path
  // What the current set was built from, to skip rebuilding an unchanged set.
  std::vector<std::vector<std::string>> built_hosts_;
  std::vector<std::shared_ptr<const CertifiedKey>> built_keys_;
  std::shared_ptr<const CertifiedKey> built_default_;
  std::shared_ptr<const CertificateSet> built_;
  std::atomic<std::shared_ptr<const CertificateSet>> current_;
};

}  // namespace kb::proxy::tls
