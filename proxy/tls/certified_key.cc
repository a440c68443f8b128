#include "proxy/tls/certified_key.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "proxy/config/table_yaml.h"

namespace kb::proxy::tls {
namespace {

// Reads a whole file; an error message naming it on failure.
bool read_file(const std::string& path, std::string& out, std::string& error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    error = path + ": " + (errno == ENOENT ? std::string("no such file") : std::strerror(errno));
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    error = path + ": not a regular file";
    return false;
  }
  if (!config::read_text_file(path, out)) {
    error = path + ": cannot read (" + std::string(std::strerror(errno)) + ")";
    return false;
  }
  return true;
}

BioPtr memory_bio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string asn1_time_text(const ASN1_TIME* t) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  ASN1_TIME_print(bio.get(), t);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string subject_text(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// Never prompts: an encrypted key is an error, not a blocked proxy.
int no_password(char*, int, int, void*) { return -1; }

LoadResult fail(std::string field, std::string message) {
  ERR_clear_error();  // nothing left for the next caller on this thread
  LoadResult r;
  r.error = LoadError{std::move(field), std::move(message)};
  return r;
}

}  // namespace

LoadResult load_certified_key(const config::CertificateFiles& files, std::chrono::system_clock::time_point now) {
  std::string cert_text, key_text, error;
  if (!read_file(files.certificate, cert_text, error)) return fail("certificate", error);
  if (!read_file(files.key, key_text, error)) return fail("key", error);
  return parse_certified_key(cert_text, std::move(key_text), files, now);
}

LoadResult parse_certified_key(const std::string& cert_text, std::string key_text,
                               const config::CertificateFiles& names,
                               std::optional<std::chrono::system_clock::time_point> now) {
  auto ck = std::make_shared<CertifiedKey>();
  ck->source = names.certificate;
  BioPtr cert_bio = memory_bio(cert_text);
  ck->leaf.reset(PEM_read_bio_X509_AUX(cert_bio.get(), nullptr, no_password, nullptr));
  if (!ck->leaf) return fail("certificate", names.certificate + ": no PEM certificate in the file");
  while (X509* extra = PEM_read_bio_X509(cert_bio.get(), nullptr, no_password, nullptr)) ck->chain.emplace_back(extra);
  ERR_clear_error();  // the end of the chain is reported as "no start line"

  BioPtr key_bio = memory_bio(key_text);
  ck->key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, no_password, nullptr));
  OPENSSL_cleanse(key_text.data(), key_text.size());
  if (!ck->key) return fail("key", names.key + ": no PEM private key in the file (or it is encrypted)");
  if (X509_check_private_key(ck->leaf.get(), ck->key.get()) != 1)
    return fail("key", names.key + ": the private key does not match the certificate in " + names.certificate);

  if (now) {
    if (std::string why = validity_error(*ck, names.certificate, *now); !why.empty()) return fail("certificate", why);
  }
  ck->subject = subject_text(ck->leaf.get());
  LoadResult r;
  r.value = std::move(ck);
  return r;
}

std::string validity_error(const CertifiedKey& key, const std::string& certificate_file,
                           std::chrono::system_clock::time_point now) {
  // X509_cmp_current_time with an injected clock.
  time_t t = std::chrono::system_clock::to_time_t(now);
  if (X509_cmp_time(X509_get0_notBefore(key.leaf.get()), &t) > 0)
    return certificate_file + ": not valid before " + asn1_time_text(X509_get0_notBefore(key.leaf.get()));
  if (X509_cmp_time(X509_get0_notAfter(key.leaf.get()), &t) < 0)
    return certificate_file + ": expired on " + asn1_time_text(X509_get0_notAfter(key.leaf.get()));
  return {};
}

std::shared_ptr<const CertifiedKey> generate_self_signed(std::chrono::system_clock::time_point now) {
  auto ck = std::make_shared<CertifiedKey>();
  ck->source = "generated";
  ck->key.reset(EVP_EC_gen("P-256"));
  ck->leaf.reset(X509_new());
  if (!ck->key || !ck->leaf) return nullptr;
  X509* x = ck->leaf.get();
  X509_set_version(x, X509_VERSION_3);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;  // a positive serial
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
  BN_free(bn);
  time_t t = std::chrono::system_clock::to_time_t(now);
  X509_time_adj_ex(X509_getm_notBefore(x), 0, -3600, &t);  // an hour of clock skew
  X509_time_adj_ex(X509_getm_notAfter(x), 3650, 0, &t);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(kSelfSignedName), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509_set_pubkey(x, ck->key.get());
  if (X509_sign(x, ck->key.get(), EVP_sha256()) == 0) return nullptr;
  ck->subject = subject_text(x);
  return ck;
}

}  // namespace kb::proxy::tls
