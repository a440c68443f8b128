#pragma once
// One server SSL_CTX per certificate, with Mozilla's "intermediate" settings (v5.7,
// https://ssl-config.mozilla.org/): TLS 1.2 and 1.3 only; for 1.2 ECDHE with AES-GCM and
// ChaCha20-Poly1305 only (no DHE: no dhparam to manage); the client's cipher order (Mozilla
// intermediate leaves server preference off: every listed cipher is strong, and clients know
// whether they have AES hardware); groups X25519, P-256, P-384; no compression; no
// renegotiation. Session resumption by tickets from the shared TicketKeyRing; OpenSSL's server
// session cache is off (tickets need no server state, and a cache would be per SSL_CTX).
#include <boost/asio/ssl/context.hpp>

#include <memory>

#include "proxy/tls/certified_key.h"
#include "proxy/tls/ticket_keys.h"
#include "proxy/tls/tls_settings.h"

namespace kb::proxy::tls {

inline constexpr const char* kIntermediateCiphers12 =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
inline constexpr const char* kCiphersuites13 =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
inline constexpr const char* kGroups = "X25519:prime256v1:secp384r1";

// Throws std::runtime_error when OpenSSL refuses a setting (a broken OpenSSL build; control
// plane only). `ring` must outlive the context.
std::unique_ptr<boost::asio::ssl::context> make_server_context(const CertifiedKey& key, const TlsSettings& settings,
                                                              TicketKeyRing& ring);

// ALPN: the server's choice among the client's offer. `http/1.1`, or `h2` first when `http2`;
// no overlap is fatal (no_application_protocol, RFC 7301); no ALPN offered = HTTP/1.1.
int select_alpn(SSL* ssl, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void* http2);

}  // namespace kb::proxy::tls
