// The check of kubernetes.io/tls Secrets at decode: a matching pair passes with its validity
// window; each problem names the Secret's field.
#include "controller/kube/tls_check.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>

#include "controller/kube/typed.h"
#include "proxy/tls/certified_key.h"

namespace kb::controller::kube {
namespace {

std::string pem_of(X509* cert) {
  proxy::tls::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string pem_of(EVP_PKEY* key) {
  proxy::tls::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

Secret secret_with(const std::string& cert, const std::string& key) {
  Secret s;
  s.metadata.namespace_name = "shop";
  s.metadata.name = "shop-tls";
  s.type = kTlsSecretType;
  s.certificate = cert;
  s.key = key;
  return s;
}

class TlsCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto now = std::chrono::system_clock::now();
    a_ = proxy::tls::generate_self_signed(now);
    b_ = proxy::tls::generate_self_signed(now);
    ASSERT_TRUE(a_ && b_);
  }
  std::shared_ptr<const proxy::tls::CertifiedKey> a_, b_;
};

TEST_F(TlsCheck, MatchingPairPassesWithItsValidityWindow) {
  Secret s = secret_with(pem_of(a_->leaf.get()), pem_of(a_->key.get()));
  check_tls_secret(s);
  EXPECT_EQ(s.tls_error, "");
  EXPECT_EQ(s.tls_error_field, "");
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(s.not_before, now);
  EXPECT_GT(s.not_after, now + 3600LL * 24 * 365 * 9);  // generated: ten years
}

TEST_F(TlsCheck, KeyOfAnotherCertificateIsReportedOnTheKey) {
  Secret s = secret_with(pem_of(a_->leaf.get()), pem_of(b_->key.get()));
  check_tls_secret(s);
  EXPECT_EQ(s.tls_error_field, "data[tls.key]");
  EXPECT_EQ(s.tls_error, "the private key does not match the certificate in data[tls.crt]");
}

TEST_F(TlsCheck, NotPemIsReportedOnTheCertificate) {
  Secret s = secret_with("hello", pem_of(a_->key.get()));
  check_tls_secret(s);
  EXPECT_EQ(s.tls_error_field, "data[tls.crt]");
  EXPECT_EQ(s.tls_error, "no PEM certificate in the file");
  s = secret_with(pem_of(a_->leaf.get()), "hello");
  check_tls_secret(s);
  EXPECT_EQ(s.tls_error_field, "data[tls.key]");
}

TEST_F(TlsCheck, MissingDataAndWrongTypeAreReported) {
  Secret s = secret_with(pem_of(a_->leaf.get()), "");
  check_tls_secret(s);
  EXPECT_EQ(s.tls_error_field, "data[tls.key]");
  EXPECT_EQ(s.tls_error, "missing or empty");
  s = secret_with(pem_of(a_->leaf.get()), pem_of(a_->key.get()));
  s.type = "Opaque";
  check_tls_secret(s);
  EXPECT_EQ(s.tls_error_field, "type");
  EXPECT_EQ(s.tls_error, "is 'Opaque', expected kubernetes.io/tls");
}

TEST_F(TlsCheck, DecodeTypedChecksTheSecret) {
  RawObject raw;
  raw.meta.namespace_ = "shop";
  raw.meta.name = "shop-tls";
  raw.json = R"({"metadata":{"name":"shop-tls","namespace":"shop"},"type":"kubernetes.io/tls",
                 "data":{"tls.crt":"aGVsbG8=","tls.key":"d29ybGQ="}})";
  Secret s;
  std::vector<std::string> errors;
  ASSERT_TRUE(decode_typed(raw, s, errors));
  EXPECT_EQ(s.certificate, "hello");
  EXPECT_EQ(s.key, "world");
  EXPECT_EQ(s.tls_error_field, "data[tls.crt]");
}

}  // namespace
}  // namespace kb::controller::kube
