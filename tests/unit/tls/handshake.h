#pragma once
// A TLS handshake in memory (a BIO pair) between a plain OpenSSL client and a server SSL made the
// way the connection shell makes it (on a CertificateSet, holding it): what the client saw.
#include <memory>
#include <string>
#include <vector>

#include "proxy/tls/certificate_set.h"
#include "proxy/tls/openssl_ptr.h"

namespace kb::proxy::tls::test {

struct ClientOptions {
  std::string sni;                 // "" = no SNI
  std::vector<std::string> alpn;   // offered protocols, in order; empty = no ALPN
  SSL_SESSION* session = nullptr;  // to resume
  int max_version = 0;             // e.g. TLS1_1_VERSION; 0 = library default
  int min_version = 0;
};

struct Outcome {
  bool ok = false;
  std::string served_cn;  // the server certificate's common name
  std::string alpn;       // negotiated protocol, "" = none
  std::string server_sni; // what the server saw
  bool resumed = false;
  SessionPtr session;     // the client's session after the handshake (tickets read)
};

Outcome handshake(std::shared_ptr<const CertificateSet> set, const ClientOptions& options);

// Joins the two SSLs by a BIO pair, client connecting, server accepting.
void join(SSL* client, SSL* server);

// Drives both ends until both finish or one fails; the server SSL must be set up already.
bool drive(SSL* client, SSL* server);

}  // namespace kb::proxy::tls::test
