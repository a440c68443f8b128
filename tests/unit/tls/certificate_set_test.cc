// SNI selection and ALPN, by real handshakes between an OpenSSL client and the server contexts.
#include "proxy/tls/certificate_set.h"

#include <gtest/gtest.h>

#include "proxy/tls/tls_terminator.h"
#include "tests/unit/tls/handshake.h"
#include "tests/unit/tls/test_certs.h"

namespace kb::proxy::tls {
namespace {

class CertificateSetTest : public ::testing::Test {
 protected:
  std::shared_ptr<const CertificateSet> build(bool http2, bool with_default) {
    TlsSettings settings;
    settings.http2 = http2;
    terminator_ = std::make_unique<TlsTerminator>(settings);
    config::Table table;
    table.tls.push_back({{"shop.example.com"}, certs_.make("shop", {"shop"}), std::nullopt});
    table.tls.push_back({{"*.example.com", "Other.Example.Org"}, certs_.make("wild", {"wild"}), std::nullopt});
    if (with_default) table.default_certificate = certs_.make("default", {"configured default"});
    auto p = terminator_->prepare(table);
    EXPECT_TRUE(p.errors.empty()) << p.errors.front().to_string();
    return p.set;
  }
  std::string served(const std::shared_ptr<const CertificateSet>& set, const std::string& sni) {
    const test::Outcome o = test::handshake(set, {sni, {"http/1.1"}});
    EXPECT_TRUE(o.ok) << sni;
    EXPECT_EQ(o.server_sni, sni);
    return o.served_cn;
  }

  test::TempCerts certs_;
  std::unique_ptr<TlsTerminator> terminator_;
};

TEST_F(CertificateSetTest, SniPicksExactThenOneLabelWildcardThenDefault) {
  const auto set = build(false, true);
  EXPECT_EQ(served(set, "shop.example.com"), "shop");
  EXPECT_EQ(served(set, "SHOP.Example.COM"), "shop");  // case-insensitive
  EXPECT_EQ(served(set, "a.example.com"), "wild");
  EXPECT_EQ(served(set, "other.example.org"), "wild");
  EXPECT_EQ(served(set, "a.b.example.com"), "configured default");  // one label only
  EXPECT_EQ(served(set, "example.com"), "configured default");
  EXPECT_EQ(served(set, "unknown.test"), "configured default");
  EXPECT_EQ(served(set, ""), "configured default");  // no SNI
  EXPECT_EQ(&set->certificate_for("x.example.com"), &set->certificate_for("y.example.com"));
}

TEST_F(CertificateSetTest, GeneratedDefaultWhenNoneIsConfigured) {
  const auto set = build(false, false);
  EXPECT_EQ(served(set, ""), "kube-balancer default");
  EXPECT_EQ(served(set, "nobody.test"), "kube-balancer default");
  EXPECT_EQ(served(set, "shop.example.com"), "shop");
}

TEST_F(CertificateSetTest, AlpnSelectsHttp11UnlessHttp2IsEnabled) {
  auto set = build(false, false);
  EXPECT_EQ(test::handshake(set, {"shop.example.com", {"h2", "http/1.1"}}).alpn, "http/1.1");
  EXPECT_EQ(test::handshake(set, {"shop.example.com", {"http/1.1"}}).alpn, "http/1.1");
  const test::Outcome none = test::handshake(set, {"shop.example.com", {}});
  EXPECT_TRUE(none.ok);
  EXPECT_EQ(none.alpn, "");  // no ALPN: HTTP/1.1
  EXPECT_FALSE(test::handshake(set, {"shop.example.com", {"h2"}}).ok);  // no_application_protocol

  set = build(true, false);
  EXPECT_EQ(test::handshake(set, {"shop.example.com", {"http/1.1", "h2"}}).alpn, "h2");  // server's order
  EXPECT_EQ(test::handshake(set, {"shop.example.com", {"http/1.1"}}).alpn, "http/1.1");
}

TEST_F(CertificateSetTest, OnlyTls12And13) {
  const auto set = build(false, false);
  test::ClientOptions old{"shop.example.com", {}};
  old.max_version = TLS1_1_VERSION;
  EXPECT_FALSE(test::handshake(set, old).ok);
  test::ClientOptions v12{"shop.example.com", {}};
  v12.max_version = TLS1_2_VERSION;
  EXPECT_TRUE(test::handshake(set, v12).ok);
  test::ClientOptions v13{"shop.example.com", {}};
  v13.min_version = TLS1_3_VERSION;
  EXPECT_TRUE(test::handshake(set, v13).ok);
}

TEST_F(CertificateSetTest, IntermediateSettingsOnEveryContext) {
  const auto set = build(false, true);
  for (const char* sni : {"", "shop.example.com", "a.example.com"}) {
    SSL_CTX* ctx = set->select(sni);
    EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
    EXPECT_EQ(SSL_CTX_get_max_proto_version(ctx), TLS1_3_VERSION);
    const uint64_t options = SSL_CTX_get_options(ctx);
    EXPECT_TRUE(options & SSL_OP_NO_COMPRESSION);
    EXPECT_TRUE(options & SSL_OP_NO_RENEGOTIATION);
    EXPECT_FALSE(options & SSL_OP_CIPHER_SERVER_PREFERENCE);
    EXPECT_FALSE(options & SSL_OP_NO_TICKET);
    EXPECT_EQ(SSL_CTX_get_session_cache_mode(ctx), SSL_SESS_CACHE_OFF);
    // The TLS 1.2 list is ECDHE with AES-GCM or ChaCha20 only.
    SslPtr ssl(SSL_new(ctx));
    STACK_OF(SSL_CIPHER)* ciphers = SSL_get_ciphers(ssl.get());
    for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
      const std::string name = SSL_CIPHER_get_name(sk_SSL_CIPHER_value(ciphers, i));
      if (name.rfind("TLS_", 0) == 0) continue;  // TLS 1.3 suites
      EXPECT_EQ(name.rfind("ECDHE-", 0), 0u) << name;
      EXPECT_TRUE(name.find("GCM") != std::string::npos || name.find("CHACHA20") != std::string::npos) << name;
    }
  }
}

}  // namespace
}  // namespace kb::proxy::tls
