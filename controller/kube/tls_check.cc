#include "controller/kube/tls_check.h"

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include <ctime>

#include "proxy/tls/certified_key.h"

namespace kb::controller::kube {
namespace {

constexpr const char* kCertField = "data[tls.crt]";
constexpr const char* kKeyField = "data[tls.key]";

int64_t unix_seconds(const ASN1_TIME* t) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace

void check_tls_secret(Secret& secret) {
  secret.tls_error_field.clear();
  secret.tls_error.clear();
  secret.not_before = secret.not_after = 0;
  if (secret.type != kTlsSecretType) {
    secret.tls_error_field = "type";
    secret.tls_error = "is '" + secret.type + "', expected " + kTlsSecretType;
    return;
  }
  if (secret.certificate.empty() || secret.key.empty()) {
    secret.tls_error_field = secret.certificate.empty() ? kCertField : kKeyField;
    secret.tls_error = "missing or empty";
    return;
  }
  // Messages start with the field name ("data[tls.key]: the private key does not match ...").
  const proxy::config::CertificateFiles names{kCertField, kKeyField};
  const proxy::tls::LoadResult r = proxy::tls::parse_certified_key(secret.certificate, secret.key, names, std::nullopt);
  if (!r.ok()) {
    secret.tls_error_field = r.error.field == "key" ? kKeyField : kCertField;
    std::string message = r.error.message;
    if (message.starts_with(secret.tls_error_field + ": ")) message.erase(0, secret.tls_error_field.size() + 2);
    secret.tls_error = message;
    return;
  }
  secret.not_before = unix_seconds(X509_get0_notBefore(r.value->leaf.get()));
  secret.not_after = unix_seconds(X509_get0_notAfter(r.value->leaf.get()));
}

}  // namespace kb::controller::kube
