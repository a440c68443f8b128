#include "tests/unit/tls/handshake.h"

#include <openssl/err.h>

#include "proxy/tls/tls_terminator.h"
#include "tests/unit/tls/test_certs.h"

namespace kb::proxy::tls::test {

void join(SSL* client, SSL* server) {
  BIO *client_bio = nullptr, *server_bio = nullptr;
  BIO_new_bio_pair(&client_bio, 0, &server_bio, 0);
  SSL_set_bio(client, client_bio, client_bio);
  SSL_set_bio(server, server_bio, server_bio);
  SSL_set_connect_state(client);
  SSL_set_accept_state(server);
}

bool drive(SSL* client, SSL* server) {
  bool client_done = false, server_done = false;
  for (int i = 0; i < 100 && !(client_done && server_done); ++i) {
    for (SSL* s : {client, server}) {
      bool& done = s == client ? client_done : server_done;
      if (done) continue;
      const int rc = SSL_do_handshake(s);
      if (rc == 1) {
        done = true;
        continue;
      }
      const int err = SSL_get_error(s, rc);
      if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
        ERR_clear_error();
        return false;
      }
    }
  }
  return client_done && server_done;
}

Outcome handshake(std::shared_ptr<const CertificateSet> set, const ClientOptions& options) {
  Outcome out;
  SslCtxPtr client_ctx(SSL_CTX_new(TLS_client_method()));
  SSL_CTX_set_verify(client_ctx.get(), SSL_VERIFY_NONE, nullptr);
  if (options.max_version != 0) SSL_CTX_set_max_proto_version(client_ctx.get(), options.max_version);
  if (options.min_version != 0) SSL_CTX_set_min_proto_version(client_ctx.get(), options.min_version);
  if (options.max_version != 0 && options.max_version < TLS1_2_VERSION)
    SSL_CTX_set_security_level(client_ctx.get(), 0);  // let the old client try
  SslPtr client(SSL_new(client_ctx.get()));
  SslPtr server(SSL_new(set->listener_context().native_handle()));
  TlsTerminator::attach(server.get(), std::move(set));
  if (!options.sni.empty()) SSL_set_tlsext_host_name(client.get(), options.sni.c_str());
  if (!options.alpn.empty()) {
    std::string wire;
    for (const auto& p : options.alpn) wire += static_cast<char>(p.size()) + p;
    SSL_set_alpn_protos(client.get(), reinterpret_cast<const unsigned char*>(wire.data()),
                        static_cast<unsigned int>(wire.size()));
  }
  if (options.session != nullptr) SSL_set_session(client.get(), options.session);
  join(client.get(), server.get());
  out.ok = drive(client.get(), server.get());
  if (!out.ok) return out;
  // TLS 1.3 tickets come after the handshake: a read makes the client take them.
  char byte;
  SSL_read(client.get(), &byte, 1);
  ERR_clear_error();
  X509Ptr peer(SSL_get1_peer_certificate(client.get()));
  out.served_cn = common_name(peer.get());
  const HandshakeInfo info = handshake_info(server.get());
  out.alpn = std::string(info.alpn);
  out.server_sni = std::string(info.sni);
  out.resumed = SSL_session_reused(client.get()) == 1;
  out.session.reset(SSL_get1_session(client.get()));
  // A connection freed without close_notify marks its session not resumable (OpenSSL treats it
  // as possibly truncated).
  SSL_shutdown(client.get());
  SSL_shutdown(server.get());
  return out;
}

}  // namespace kb::proxy::tls::test
