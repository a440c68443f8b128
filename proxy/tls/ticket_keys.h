#pragma once
// Session ticket keys (RFC 5077 tickets, and TLS 1.3's): the proxy encrypts tickets itself with a
// ring of random keys instead of OpenSSL's one key per SSL_CTX, so that
//   - a ticket survives a certificate reload (every SSL_CTX of every certificate set shares the ring),
//   - keys rotate: a new one every `rotation`, each still decrypting until `kept` rotations have
//     passed since it was made (a resumed handshake with an older key gets a fresh ticket), then
//     it is forgotten and its tickets only get a full handshake (forward secrecy of old sessions).
// Example, rotation 12 h, kept 2: key A made at 00:00 encrypts until 12:00, decrypts until 24:00.
// Keys are 80 random bytes from RAND_bytes (name 16, AES-256 32, HMAC-SHA256 32) and never leave
// the process. Reading the ring is one atomic shared_ptr load per ticket; the mutex is taken only
// by the rare caller that finds a rotation due. The clock is injected for tests.
#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "proxy/tls/tls_settings.h"

namespace kb::proxy::tls {

class TicketKeyRing {
 public:
  TicketKeyRing(std::chrono::seconds rotation, int kept, Clock clock);

  // Makes `ctx` encrypt and decrypt tickets with this ring; the ring must outlive `ctx`.
  void install(SSL_CTX* ctx);

  struct Key {
    std::array<uint8_t, 16> name;
    std::array<uint8_t, 32> aes;
    std::array<uint8_t, 32> hmac;
    std::chrono::system_clock::time_point created;
  };
  struct Keys {
    std::vector<Key> keys;  // newest first; keys[0] encrypts
  };
  // The current keys, rotated first when a rotation is due.
  std::shared_ptr<const Keys> keys();

  // The OpenSSL callback (SSL_CTX_set_tlsext_ticket_key_evp_cb).
  static int callback(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac,
                      int encrypt);

 private:
  std::shared_ptr<const Keys> rotate(std::chrono::system_clock::time_point now);
  std::chrono::system_clock::time_point now() const;

  std::chrono::seconds rotation_;
  int kept_;
  Clock clock_;
  std::atomic<std::shared_ptr<const Keys>> keys_;
  std::mutex rotate_mutex_;
};

}  // namespace kb::proxy::tls
