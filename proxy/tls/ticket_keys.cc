#include "proxy/tls/ticket_keys.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>

namespace kb::proxy::tls {
namespace {

int ring_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

TicketKeyRing::Key new_key(std::chrono::system_clock::time_point now) {
  TicketKeyRing::Key k{};
  RAND_bytes(k.name.data(), static_cast<int>(k.name.size()));
  RAND_bytes(k.aes.data(), static_cast<int>(k.aes.size()));
  RAND_bytes(k.hmac.data(), static_cast<int>(k.hmac.size()));
  k.created = now;
  return k;
}

bool set_mac_key(EVP_MAC_CTX* mac, const TicketKeyRing::Key& key) {
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, const_cast<uint8_t*>(key.hmac.data()), key.hmac.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  return EVP_MAC_CTX_set_params(mac, params) == 1;
}

}  // namespace

TicketKeyRing::TicketKeyRing(std::chrono::seconds rotation, int kept, Clock clock)
    : rotation_(std::max(rotation, std::chrono::seconds(1))), kept_(std::max(kept, 1)), clock_(std::move(clock)) {
  auto first = std::make_shared<Keys>();
  first->keys.push_back(new_key(now()));
  keys_.store(std::move(first));
}

std::chrono::system_clock::time_point TicketKeyRing::now() const {
  return clock_ ? clock_() : std::chrono::system_clock::now();
}

void TicketKeyRing::install(SSL_CTX* ctx) {
  SSL_CTX_set_ex_data(ctx, ring_index(), this);
  SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, &TicketKeyRing::callback);
  // Tickets outlive no key that can decrypt them.
  SSL_CTX_set_timeout(ctx, static_cast<long>(rotation_.count() * kept_));
}

std::shared_ptr<const TicketKeyRing::Keys> TicketKeyRing::keys() {
  auto current = keys_.load(std::memory_order_acquire);
  const auto t = now();
  if (t < current->keys.front().created + rotation_) return current;
  return rotate(t);
}

std::shared_ptr<const TicketKeyRing::Keys> TicketKeyRing::rotate(std::chrono::system_clock::time_point t) {
  std::lock_guard lock(rotate_mutex_);
  auto current = keys_.load(std::memory_order_acquire);
  if (t < current->keys.front().created + rotation_) return current;  // another thread rotated
  auto next = std::make_shared<Keys>();
  next->keys.push_back(new_key(t));
  for (const Key& k : current->keys)
    if (t < k.created + rotation_ * kept_) next->keys.push_back(k);
  keys_.store(next, std::memory_order_release);
  return next;
}

int TicketKeyRing::callback(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher,
                            EVP_MAC_CTX* mac, int encrypt) {
  // Whichever context the connection is on (the listener's, or the one SNI switched to): every
  // context of every certificate set carries the same ring.
  auto* ring = static_cast<TicketKeyRing*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ring_index()));
  if (ring == nullptr) return -1;
  const auto keys = ring->keys();
  if (encrypt == 1) {
    const Key& key = keys->keys.front();
    std::memcpy(name, key.name.data(), key.name.size());
    if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1) return -1;
    if (EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes.data(), iv) != 1) return -1;
    return set_mac_key(mac, key) ? 1 : -1;
  }
  for (std::size_t i = 0; i < keys->keys.size(); ++i) {
    const Key& key = keys->keys[i];
    if (std::memcmp(name, key.name.data(), key.name.size()) != 0) continue;
    if (EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes.data(), iv) != 1) return -1;
    if (!set_mac_key(mac, key)) return -1;
    return i == 0 ? 1 : 2;  // 2: valid, but issue a ticket under the current key
  }
  return 0;  // unknown or forgotten key: a full handshake
}

}  // namespace kb::proxy::tls
