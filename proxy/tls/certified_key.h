#pragma once
// A certificate chain and its private key, loaded from PEM files and checked before anything
// serves them: present, readable, PEM, the key matching the leaf, the leaf valid now. Errors name
// the file and never contain key material (keys are not logged, printed or served, anywhere).
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/config/table.h"
#include "proxy/tls/openssl_ptr.h"

namespace kb::proxy::tls {

struct CertifiedKey {
  X509Ptr leaf;
  std::vector<X509Ptr> chain;  // intermediates, in file order
  PkeyPtr key;
  std::string subject;         // "CN=shop.example.com" for logs
  std::string source;          // the certificate file, or "generated" for the self-signed one
};

struct LoadError {
  std::string field;    // "certificate" or "key": which file of the pair is at fault
  std::string message;  // names the file, e.g. "/etc/kb/shop.crt: expired on Jan  1 00:00:00 2020 GMT"
};

// Either a key or an error.
struct LoadResult {
  std::shared_ptr<const CertifiedKey> value;
  LoadError error;
  bool ok() const { return value != nullptr; }
};

// `now`: when the certificate must be valid (injected so tests can check expiry exactly).
LoadResult load_certified_key(const config::CertificateFiles& files, std::chrono::system_clock::time_point now);

// The same checks on PEM text already in memory (the controller checks Secrets with it before it
// writes them as files): `names` name the two texts in messages; without `now` the validity window
// is not checked. `key_text` is wiped before returning.
LoadResult parse_certified_key(const std::string& cert_text, std::string key_text,
                               const config::CertificateFiles& names,
                               std::optional<std::chrono::system_clock::time_point> now);

// The validity check alone (for a key loaded earlier whose files have not changed): "" when
// `key` is valid at `now`, else the message naming `certificate_file`.
std::string validity_error(const CertifiedKey& key, const std::string& certificate_file,
                           std::chrono::system_clock::time_point now);

// A self-signed EC P-256 certificate, CN "kube-balancer default", valid ten years from `now`,
// made in memory for unknown or absent SNI when the table names no defaultcertificate.
std::shared_ptr<const CertifiedKey> generate_self_signed(std::chrono::system_clock::time_point now);

inline constexpr const char* kSelfSignedName = "kube-balancer default";

}  // namespace kb::proxy::tls
