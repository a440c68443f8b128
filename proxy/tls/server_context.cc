#include "proxy/tls/server_context.h"

#include <openssl/err.h>

#include <stdexcept>
#include <string>

namespace kb::proxy::tls {
namespace {

constexpr unsigned char kAlpnHttp1[] = "\x08http/1.1";
constexpr unsigned char kAlpnHttp2[] = "\x02h2\x08http/1.1";
constexpr unsigned char kSessionIdContext[] = "kube-balancer";
bool kHttp2On = true;
bool kHttp2Off = false;

void check(int ok, const char* what) {
  if (ok == 1) return;
  const unsigned long e = ERR_get_error();
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  throw std::runtime_error(std::string("TLS setup: ") + what + ": " + buf);
}

}  // namespace

int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void* http2) {
  const bool h2 = http2 != nullptr && *static_cast<const bool*>(http2);
  const unsigned char* server = h2 ? kAlpnHttp2 : kAlpnHttp1;
  const unsigned int server_len = static_cast<unsigned int>((h2 ? sizeof kAlpnHttp2 : sizeof kAlpnHttp1) - 1);
  unsigned char* chosen = nullptr;
  // In the server's order: h2 before http/1.1 when both are offered.
  if (SSL_select_next_proto(&chosen, outlen, server, server_len, in, inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

std::unique_ptr<boost::asio::ssl::context> make_server_context(const CertifiedKey& key, const TlsSettings& settings,
                                                              TicketKeyRing& ring) {
  SSL_CTX* raw = SSL_CTX_new(TLS_server_method());
  if (raw == nullptr) check(0, "SSL_CTX_new");
  auto ctx = std::make_unique<boost::asio::ssl::context>(raw);  // owns raw from here
  SSL_CTX* c = ctx->native_handle();
  check(SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION), "minimum TLS 1.2");
  check(SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION), "maximum TLS 1.3");
  check(SSL_CTX_set_cipher_list(c, kIntermediateCiphers12), "TLS 1.2 ciphers");
  check(SSL_CTX_set_ciphersuites(c, kCiphersuites13), "TLS 1.3 cipher suites");
  check(SSL_CTX_set1_groups_list(c, kGroups), "groups");
  // OpenSSL 3 refuses client-initiated renegotiation unless SSL_OP_ALLOW_CLIENT_RENEGOTIATION.
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_clear_options(c, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET | SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  // The same on every context: a session resumes across the SNI switch of SSL_set_SSL_CTX.
  check(SSL_CTX_set_session_id_context(c, kSessionIdContext, sizeof kSessionIdContext - 1), "session id context");
  ring.install(c);
  SSL_CTX_set_alpn_select_cb(c, &select_alpn, settings.http2 ? &kHttp2On : &kHttp2Off);

  check(SSL_CTX_use_certificate(c, key.leaf.get()), "certificate");
  for (const X509Ptr& extra : key.chain) {
    X509_up_ref(extra.get());
    if (SSL_CTX_add_extra_chain_cert(c, extra.get()) != 1) {
      X509_free(extra.get());
      check(0, "certificate chain");
    }
  }
  check(SSL_CTX_use_PrivateKey(c, key.key.get()), "private key");
  check(SSL_CTX_check_private_key(c), "private key check");
  return ctx;
}

}  // namespace kb::proxy::tls
