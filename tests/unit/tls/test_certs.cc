#include "tests/unit/tls/test_certs.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace kb::proxy::tls::test {

TempCerts::TempCerts() {
  char tmpl[] = "/tmp/kb-tls-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp");
  dir_ = tmpl;
}

TempCerts::~TempCerts() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string TempCerts::write(const std::string& name, const std::string& text) {
  const std::string path = dir_ + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

namespace {

std::string pem(int (*writer)(BIO*, const void*), const void* object) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  writer(bio.get(), object);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

config::CertificateFiles TempCerts::make(const std::string& name, const CertSpec& spec) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr cert(X509_new());
  X509* x = cert.get();
  X509_set_version(x, X509_VERSION_3);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  time_t nb = std::chrono::system_clock::to_time_t(spec.not_before);
  time_t na = std::chrono::system_clock::to_time_t(spec.not_after);
  X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &nb);
  X509_time_adj_ex(X509_getm_notAfter(x), 0, 0, &na);
  X509_NAME* subject = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, subject);
  X509_set_pubkey(x, key.get());
  if (!spec.dns_names.empty()) {
    std::string san;
    for (const auto& d : spec.dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + d;
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, key.get(), EVP_sha256());
  const std::string cert_pem = pem([](BIO* b, const void* o) { return PEM_write_bio_X509(b, static_cast<X509*>(const_cast<void*>(o))); }, x);
  const std::string key_pem = pem(
      [](BIO* b, const void* o) {
        return PEM_write_bio_PrivateKey(b, static_cast<EVP_PKEY*>(const_cast<void*>(o)), nullptr, nullptr, 0, nullptr,
                                        nullptr);
      },
      key.get());
  return config::CertificateFiles{write(name + ".crt", cert_pem), write(name + ".key", key_pem)};
}

std::string common_name(X509* cert) {
  if (cert == nullptr) return "";
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
  return buf;
}

}  // namespace kb::proxy::tls::test
