#include "proxy/tls/certified_key.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/unit/tls/test_certs.h"

namespace kb::proxy::tls {
namespace {

using std::chrono::hours;
using Clock = std::chrono::system_clock;

std::string file_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(CertifiedKey, LoadsAMatchingPair) {
  test::TempCerts certs;
  const auto files = certs.make("shop", {"shop.example.com", {"shop.example.com"}});
  const LoadResult r = load_certified_key(files, Clock::now());
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(r.value->subject, "CN=shop.example.com");
  EXPECT_EQ(r.value->source, files.certificate);
  EXPECT_TRUE(r.value->chain.empty());
}

TEST(CertifiedKey, KeepsTheChainAfterTheLeaf) {
  test::TempCerts certs;
  const auto leaf = certs.make("leaf", {"leaf.example.com"});
  const auto inter = certs.make("inter", {"Test Intermediate"});
  const std::string chain = certs.write("chain.crt", file_text(leaf.certificate) + file_text(inter.certificate));
  const LoadResult r = load_certified_key({chain, leaf.key}, Clock::now());
  ASSERT_TRUE(r.ok()) << r.error.message;
  ASSERT_EQ(r.value->chain.size(), 1u);
  EXPECT_EQ(test::common_name(r.value->chain[0].get()), "Test Intermediate");
}

TEST(CertifiedKey, MissingFileNamesTheFileAndTheField) {
  test::TempCerts certs;
  const auto files = certs.make("shop", {"shop.example.com"});
  LoadResult r = load_certified_key({certs.dir() + "/nope.crt", files.key}, Clock::now());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.field, "certificate");
  EXPECT_EQ(r.error.message, certs.dir() + "/nope.crt: no such file");
  r = load_certified_key({files.certificate, certs.dir() + "/nope.key"}, Clock::now());
  EXPECT_EQ(r.error.field, "key");
  EXPECT_EQ(r.error.message, certs.dir() + "/nope.key: no such file");
}

TEST(CertifiedKey, UnreadableAndNotPemAreErrors) {
  test::TempCerts certs;
  const auto files = certs.make("shop", {"shop.example.com"});
  LoadResult r = load_certified_key({certs.dir(), files.key}, Clock::now());  // a directory
  EXPECT_EQ(r.error.message, certs.dir() + ": not a regular file");
  const std::string junk = certs.write("junk.crt", "hello\n");
  r = load_certified_key({junk, files.key}, Clock::now());
  EXPECT_EQ(r.error.field, "certificate");
  EXPECT_EQ(r.error.message, junk + ": no PEM certificate in the file");
  r = load_certified_key({files.certificate, junk}, Clock::now());
  EXPECT_EQ(r.error.field, "key");
  EXPECT_EQ(r.error.message, junk + ": no PEM private key in the file (or it is encrypted)");
  if (geteuid() != 0) {  // root reads anything
    const std::string locked = certs.write("locked.key", file_text(files.key));
    chmod(locked.c_str(), 0);
    r = load_certified_key({files.certificate, locked}, Clock::now());
    EXPECT_EQ(r.error.field, "key");
    EXPECT_NE(r.error.message.find(locked + ": cannot read"), std::string::npos) << r.error.message;
  }
}

TEST(CertifiedKey, MismatchedKeyIsRejectedWithoutShowingTheKey) {
  test::TempCerts certs;
  const auto a = certs.make("a", {"a.example.com"});
  const auto b = certs.make("b", {"b.example.com"});
  const LoadResult r = load_certified_key({a.certificate, b.key}, Clock::now());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.field, "key");
  EXPECT_EQ(r.error.message, b.key + ": the private key does not match the certificate in " + a.certificate);
  const std::string key_pem = file_text(b.key);
  const std::string body = key_pem.substr(key_pem.find('\n') + 1, 40);
  EXPECT_EQ(r.error.message.find(body), std::string::npos);
}

TEST(CertifiedKey, ExpiredAndNotYetValidAreRejectedAtTheInjectedTime) {
  test::TempCerts certs;
  const auto t0 = Clock::now();
  const auto files = certs.make("dated", {"dated.example.com", {}, t0 - hours(48), t0 - hours(24)});
  LoadResult r = load_certified_key(files, t0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.field, "certificate");
  EXPECT_EQ(r.error.message.rfind(files.certificate + ": expired on ", 0), 0u) << r.error.message;
  EXPECT_TRUE(load_certified_key(files, t0 - hours(36)).ok());  // valid then
  r = load_certified_key(files, t0 - hours(72));
  EXPECT_EQ(r.error.message.rfind(files.certificate + ": not valid before ", 0), 0u) << r.error.message;
}

TEST(CertifiedKey, SelfSignedDefault) {
  const auto now = Clock::now();
  const auto ck = generate_self_signed(now);
  ASSERT_NE(ck, nullptr);
  EXPECT_EQ(test::common_name(ck->leaf.get()), "kube-balancer default");
  EXPECT_EQ(X509_check_private_key(ck->leaf.get(), ck->key.get()), 1);
  EXPECT_EQ(EVP_PKEY_get_base_id(ck->key.get()), EVP_PKEY_EC);
  EXPECT_EQ(validity_error(*ck, "generated", now), "");
  EXPECT_EQ(validity_error(*ck, "generated", now + hours(24 * 365 * 9)), "");
  EXPECT_NE(validity_error(*ck, "generated", now + hours(24 * 365 * 11)), "");
}

}  // namespace
}  // namespace kb::proxy::tls
